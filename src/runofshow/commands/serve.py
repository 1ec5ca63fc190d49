"""`runofshow serve`: serve a journal to followers and browser pages, in a process of its own.

On its own, for a session another process controls or a journal synced by
file: `runofshow serve JOURNAL --listen HOST:PORT`. `run --serve` starts the
same command as its child, handing it the listening socket and a pipe that
says which records are on disk, and a socket its commands go over (the
hidden --listen-fd, --control-fd, --command-fd, --osc-fd and --parent); see
`sync.supervisor`. On its own it has no controller: control requests are
answered 503, saying so.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

from runofshow.errors import UserError
from runofshow.journal.codec import DECODER
from runofshow.sync.admission import Slots
from runofshow.sync.listen import bind, parse_listen, tls_context

#: How much of a journal's first line is read to tell that it is one.
HEADER_BYTES = 1 << 20


def run_serve(
    journal: str,
    listen: str | None,
    *,
    certfile: str | None = None,
    keyfile: str | None = None,
    max_connections: int | None = None,
    listen_fd: int | None = None,
    control_fd: int | None = None,
    command_fd: int | None = None,
    osc_fd: int | None = None,
    parent: int | None = None,
    allow_embed: tuple[str, ...] = (),
) -> int:
    """Serve `journal` until stopped (ctrl+c, SIGTERM) or, as a child, until its controller goes."""
    from runofshow.sync.service import die_with_parent, more_files, serve_journal

    if parent is not None:
        die_with_parent(parent)  # first: a server never outlives the controller that started it
    path = Path(journal)
    check_journal(path)
    if (listen is None) == (listen_fd is None):
        raise UserError("serve needs --listen [HOST:]PORT, the address to serve on")
    context = tls_context(certfile, keyfile)
    if max_connections is not None and max_connections < 1:
        raise UserError(f"--max-connections {max_connections}: give at least 1")
    sock = socket.socket(fileno=listen_fd) if listen_fd is not None else bind(*parse_listen(listen or ""))
    more_files()
    slots = Slots(max_connections) if max_connections is not None else None
    try:
        return asyncio.run(
            serve_journal(
                path,
                sock,
                ssl_context=context,
                control_fd=control_fd,
                command_fd=command_fd,
                osc_fd=osc_fd,
                slots=slots,
                embed=allow_embed,
                announce=lambda text: print(text, flush=True),
            )
        )
    except KeyboardInterrupt:
        return 130
    finally:
        sock.close()


def run_serve_hub(
    hub: str,
    listen: str | None,
    *,
    hub_creds: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> int:
    """Serve every room on the hub (pages and followers) until stopped; stateless, so run as many as you like."""
    from runofshow.clock import SystemClock
    from runofshow.sync.hub.connect import HubCredentials, hub_servers
    from runofshow.sync.hub.tier import HubTier
    from runofshow.sync.service import more_files

    hub_servers(hub)  # a bad address is the first thing to hear about
    creds = HubCredentials.find(hub_creds)
    if listen is None:
        raise UserError("serve --hub needs --listen [HOST:]PORT, the address to serve on")
    context = tls_context(certfile, keyfile)
    sock = bind(*parse_listen(listen))
    more_files()
    host, port = sock.getsockname()[:2]
    scheme = "https" if context else "http"
    tier = HubTier(hub, sock, SystemClock(), creds=creds, ssl_context=context)

    def ready() -> None:
        print(f"Serving every room of {hub} on {scheme}://{host}:{port}/r/ROOM/ (stage: /r/ROOM/stage)", flush=True)

    try:
        asyncio.run(tier.serve_forever(ready))
    except KeyboardInterrupt:
        return 130
    finally:
        sock.close()
    return 0


def check_journal(path: Path) -> None:
    """A clear line for a journal that is missing or is not one, before any socket is opened."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such journal") from None
    except OSError as error:
        raise UserError(f"{path}: cannot read it: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UserError(f"{path}: is a directory; give the journal file in it")
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"{path}: is not a regular file")
    try:
        with open(path, "rb") as file:
            first = file.readline(HEADER_BYTES)
    except OSError as error:
        raise UserError(f"{path}: cannot read it: {error.strerror or error}") from None
    try:
        header = DECODER.decode(first.decode())
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("type") != "header":
        raise UserError(f"{path}: not a runofshow journal (its first line is not a header)")
