"""The server as a process of its own: `runofshow serve`, on its own or as the child `run --serve` starts.

The process reads the journal itself: an index of where each record starts
(for catch-up) and one fold of the session (for the pages), built by one scan
as it starts. It learns of new records in one of two ways:

- from its controller, over a pipe (`control_fd`): one line per record made
  durable, its seq. Only records up to that seq are read, so nothing that
  might not be on disk is ever sent. The pipe's end (its controller quit or
  died) stops the server: it never outlives its controller.
- on its own (`runofshow serve JOURNAL`): from the file's changes (inotify,
  or a short poll), taking every whole record, as a file follower does.

Either way it reads each record once, decodes it once, and derives each view
once per change for every page (see `web`). It never takes the journal's
lock, and needs nothing from the controller's process but those notes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import resource
import signal
import socket
import ssl
import sys
from collections.abc import Callable
from pathlib import Path

from runofshow.clock import SystemClock
from runofshow.secrets import Token, token
from runofshow.sync.admission import Slots
from runofshow.sync.control import ControlApi
from runofshow.sync.control_link import ControllerLink
from runofshow.sync.listen import page_base
from runofshow.sync.server import JournalServer
from runofshow.sync.watch import FileWatch
from runofshow.sync.web import WebViews

#: What a child prints on its stdout once it serves, for the controller that started it.
READY = "ready"
#: Linux's prctl option: the signal this process gets when the thread that started it ends.
PR_SET_PDEATHSIG = 1
#: How much lower than its controller's a child server's scheduling priority is: on a busy machine
#: the moderator's keys are never queued behind serving, however many viewers there are.
CHILD_NICE = 10


async def serve_journal(
    path: Path,
    sock: socket.socket,
    *,
    ssl_context: ssl.SSLContext | None = None,
    control_fd: int | None = None,
    command_fd: int | None = None,
    osc_fd: int | None = None,
    slots: Slots | None = None,
    embed: tuple[str, ...] = (),
    announce: Callable[[str], None] = print,
) -> int:
    """Serve `path` on the listening `sock` until told to stop (SIGTERM, SIGINT, or the control pipe's end).

    With `command_fd` (a controller's child), commands from the control API and
    OSC (`osc_fd`, a bound UDP socket) go to the controller over that channel.
    """
    clock = SystemClock()
    secure = ssl_context is not None
    cohost, stage = token(path, Token.SESSION), token(path, Token.STAGE)
    control_token = token(path, Token.CONTROL)
    # On its own it leaves the note `status` prints the links from; a controller's child leaves that to it.
    base = page_base(sock, secure)
    web = WebViews(
        path,
        cohost,
        stage,
        clock,
        secure=secure,
        base=base if control_fd is None else None,
        control_token=control_token,
        embed=embed,
    )
    server: JournalServer

    def renewed(new_token: str) -> None:
        """In the server's loop: the moderator revoked every control link; close the ones open."""
        web.control_token = new_token
        dropped = api.renew(new_token) + web.drop_control()
        asyncio.get_running_loop().create_task(api.close_all(dropped))
        held()

    link = ControllerLink(command_fd, renewed)
    api = ControlApi(
        link,
        control_token=control_token,
        cohost_token=cohost,
        stage_token=stage,
        catch_up=lambda seq: server.read_new(seq),
        status=lambda: web.status(link.up),
        toggle=web.toggle,
    )

    def held() -> None:
        link.held(len(api.sockets) + web.control_pages)

    api.on_held = held
    web.on_held = held
    server = JournalServer(path, cohost, sock, clock, ssl_context=ssl_context, web=web, slots=slots, control=api)
    await server.start()
    osc = None
    if osc_fd is not None:
        from runofshow.sync.osc import OscCommands

        osc = OscCommands(api, socket.socket(fileno=osc_fd))
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(osc.start(), server.loop))
    try:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(signum, stop.set)
        feed = _from_controller(server, control_fd) if control_fd is not None else _from_file(server)
        feeding = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(feed, server.loop))
        announce(READY if control_fd is not None else web.serving_text(server.follow_command()))

        async def stopped() -> None:
            await stop.wait()

        stopping: asyncio.Future[None] = asyncio.ensure_future(stopped())
        await asyncio.wait([feeding, stopping], return_when=asyncio.FIRST_COMPLETED)
        for task in (feeding, stopping):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await server.drain(seq=server.index.last_seq)  # the last records (a detach) reach every follower
    finally:
        if osc is not None:
            osc.close(server.loop)
        await server.close()
    return 0


async def _from_controller(server: JournalServer, fd: int) -> None:
    """In the server's loop: read the seqs the controller says are on disk, and the records up to them, until EOF."""
    loop = asyncio.get_running_loop()
    ended = loop.create_future()
    limit = 0
    partial = b""

    def readable() -> None:
        nonlocal limit, partial
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        *lines, partial = (partial + data).split(b"\n")
        for line in lines:
            if line.strip().isdigit():
                limit = max(limit, int(line))
        server.read_new(limit)
        if not data and not ended.done():
            ended.set_result(None)

    os.set_blocking(fd, False)
    loop.add_reader(fd, readable)
    try:
        await ended
    finally:
        loop.remove_reader(fd)
        os.close(fd)


async def _from_file(server: JournalServer) -> None:
    """In the server's loop: read every whole record as the file changes (replaced or cut back: read it anew)."""
    watch = FileWatch(server.path)
    try:
        async with contextlib.aclosing(watch.changes()) as changes:
            async for _ in changes:
                if server.file.replaced():
                    server.reopen()
                server.read_new()
    finally:
        watch.close()


def die_with_parent(parent: int) -> None:
    """Be ended (SIGTERM) when the process that started this one ends (exit now if it has); yield the CPU to it.

    Linux only (prctl); elsewhere the control pipe's end does the same, a moment later.
    """
    name = ctypes.util.find_library("c") if sys.platform == "linux" else None
    if name is not None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        raise SystemExit(0)  # it ended before prctl took hold
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICE)


def more_files() -> None:
    """Raise this process's limit on open files to the most it may have: each viewer is one."""
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
