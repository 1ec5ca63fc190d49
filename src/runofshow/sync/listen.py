"""What serving needs before the first follower: the session's token, the listening socket, TLS.

Each is made before the moderator's screen opens, so a busy port, a bad
certificate or an unsafe token file is one clear line, not a failure later.
"""

from __future__ import annotations

import os
import secrets
import socket
import ssl
import stat
from pathlib import Path

from runofshow.errors import UserError


def token_path(journal: Path) -> Path:
    """The token file that sits beside a journal."""
    return journal.with_name(journal.name + ".token")


def session_token(journal: Path) -> str:
    """The session's token: made once, kept beside the journal (mode 0600) so a resumed session keeps it.

    Co-hosts following over the network reconnect on their own after the
    moderator's program restarts; a new token would lock them out. A token
    file that someone else owns, or that others may read, is refused: its
    token may already be known, or be one planted for us.
    """
    path = token_path(journal)
    token = _read_token(path)
    if token:
        return token
    token = secrets.token_urlsafe(12)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():  # an empty file left by a crash: replace it, never write through it
            path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(token + "\n")
            file.flush()
            os.fsync(file.fileno())
    except FileExistsError:
        raise UserError(f"{path}: appeared while the session's token was being made; run again") from None
    except OSError as error:
        raise UserError(f"{path}: cannot save the session's token: {error.strerror or error}") from None
    return token


def _read_token(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as error:
        if path.is_symlink():
            raise UserError(f"{path}: is a symbolic link; the session's token must be a file of its own") from None
        raise UserError(f"{path}: cannot read the session's token: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{path}: is not a regular file; remove it and run again")
        if info.st_uid != os.geteuid():
            raise UserError(f"{path}: belongs to another user; remove it, and a new token is made")
        if info.st_mode & 0o077:
            raise UserError(
                f"{path}: others may read it (mode {stat.S_IMODE(info.st_mode):04o}); "
                "remove it, and a new token is made"
            )
        data = os.read(fd, 4096)
    except OSError as error:
        raise UserError(f"{path}: cannot read the session's token: {error.strerror or error}") from None
    finally:
        os.close(fd)
    return data.decode(errors="replace").strip() or None


def parse_listen(text: str) -> tuple[str, int]:
    """ "[HOST:]PORT" → (host, port); the host defaults to loopback."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        raise UserError(
            f"{text!r} is not an address to serve on: give [HOST:]PORT, e.g. 8765 or 0.0.0.0:8765"
        ) from None
    if not 0 <= number <= 65535:
        raise UserError(f"{text!r} is not an address to serve on: the port must be 0 to 65535")
    return host, number


def bind(host: str, port: int, backlog: int = 128) -> socket.socket:
    """Bind the listening socket now, so a busy port is one clear error before the screen opens."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise UserError(f"cannot serve on host {host!r}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


def reachable_address() -> str:
    """This machine's address on the network others would reach it by, for the follow command.

    Connecting a UDP socket only asks the routing table which interface it
    would use; no packet is sent. The host name is the fallback (it often
    resolves to 127.0.0.1 on the machine itself, useless to a co-host).
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routed like any outside address, never used
        address = str(probe.getsockname()[0])
    except OSError:
        return socket.gethostname()
    finally:
        probe.close()
    return socket.gethostname() if address.startswith("127.") else address


def tls_context(certfile: str | None, keyfile: str | None) -> ssl.SSLContext | None:
    """A server TLS context from a certificate and key, or None for plain ws://."""
    if certfile is None and keyfile is None:
        return None
    if certfile is None:
        raise UserError("a TLS key needs its certificate too")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as error:
        raise UserError(f"{certfile}: cannot load it: {getattr(error, 'strerror', None) or error}") from None
    return context
