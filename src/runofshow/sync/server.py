"""Serve a journal to followers on other machines over a WebSocket, off the moderator's event loop.

The server runs in a thread of its own, with its own asyncio loop (`loop`).
`runofshow serve` runs it in a process of its own (see `service`), which
`run --serve` starts beside the moderator's (see `supervisor`): nothing a
follower does (connecting by the thousand, catching up on a long journal,
never reading) costs the moderator's process anything. There it reads each
new record from the file itself (`read_new`), when the controller says one is
on disk or the file changes. In a process that also controls the session (the
tests, the benches) it can instead be handed each record by the session's
bus, in its loop (`take`, subscribed with `Delivery.loop(server.loop)`).

A follower connects with the session's token and the last `seq` it has; it
gets the header, every record after that seq read from the file by the
server itself in bounded chunks (see `offsets.JournalIndex`), then each new
record as it is published. Each follower has a bounded queue of live
records; one that falls QUEUE_RECORDS behind is closed with code 1013 and a
reason, and reconnects from its seq. Whatever a follower sends is read and
thrown away, so no follower can change the session.

Memory, whatever the followers do:
- per connection: the websockets write buffer (WRITE_LIMIT; a catch-up chunk
  is only read once it is half empty), QUEUE_RECORDS references to record
  lines that all followers share, and what a follower may send before reading
  pauses (MAX_QUEUE messages of at most MAX_FRAME, thrown away as read);
- at most CATCH_UP_SLOTS catch-up chunks (`offsets.CHUNK_BYTES`) at once;
- at most `max_connections` token holders, and a small budget of connections
  still without a decision, counted from the TCP accept (see `admission`);
- the index, 16 bytes a record, and the header line, once.
Kernel socket buffers come on top, outside the process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hmac
import json
import logging
import socket
import ssl
import threading
from collections import deque
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from runofshow.clock import Clock
from runofshow.domain.instants import format_instant
from runofshow.session.bus import DurableRecord
from runofshow.session.controller import Controller
from runofshow.sync.admission import MAX_CONNECTIONS, Admitted, Kind, Slots, connection_class, given_token
from runofshow.sync.admission import request_problem as _request_problem
from runofshow.sync.control import API_PREFIX, WS_PATH, ControlApi, socket_actor
from runofshow.sync.listen import bind, follow_command, page_base, parse_listen, public_host, tls_context
from runofshow.sync.offsets import JournalIndex
from runofshow.sync.stage_feed import stage_header
from runofshow.sync.tail import JournalFile, TailProblem
from runofshow.sync.web import STAGE, WebViews

__all__ = [
    "HEARTBEAT_S",
    "JournalServer",
    "bind",
    "close_served",
    "page_base",
    "public_host",
    "parse_listen",
    "tls_context",
]

#: How often a follower hears from the server when nothing happens (liveness and clock sync).
HEARTBEAT_S = 2.0
#: Seconds a connection may take to finish its opening handshake (TLS included).
OPEN_TIMEOUT_S = 5.0
#: Live records a follower may have waiting before it is dropped as too far behind.
QUEUE_RECORDS = 256
#: The websockets write buffer of one connection, in bytes: sending waits while it is fuller.
WRITE_LIMIT = 32 * 1024
#: Followers whose catch-up chunk is read and sent at once; the others wait their turn.
CATCH_UP_SLOTS = 16
#: How often a follower whose socket is full is looked at again.
WRITABLE_POLL_S = 0.05
#: The largest message a follower may send (it is thrown away; more closes the connection).
MAX_FRAME = 2**16
#: Incoming messages buffered per connection before reading from the socket pauses.
MAX_QUEUE = 2
#: The journal stream for `follow --stage`: the stage token's, with only the stage's facts in its header.
STAGE_PATH = "/stage"
#: The close code and reason for a follower that fell too far behind.
BEHIND_CODE = CloseCode.TRY_AGAIN_LATER
BEHIND_REASON = "too far behind: reconnect from your last seq"

_quiet = logging.getLogger("runofshow.server")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False  # a flood of bad handshakes must not print onto the moderator's terminal


class _Follower:
    """One authenticated follower: its live records still to send, and why it was dropped."""

    __slots__ = ("connection", "pending", "wake", "dropped")

    def __init__(self, connection: ServerConnection) -> None:
        self.connection = connection
        self.pending: deque[tuple[int, str]] = deque()
        self.wake = asyncio.Event()
        self.dropped = False

    def offer(self, seq: int, text: str) -> bool:
        """Queue one live record; False when the queue is full."""
        if len(self.pending) >= QUEUE_RECORDS:
            return False
        self.pending.append((seq, text))
        self.wake.set()
        return True


class JournalServer:
    """Streams one journal to any number of followers, from a thread of its own."""

    def __init__(
        self,
        path: Path,
        token: str,
        sock: socket.socket,
        clock: Clock,
        *,
        ssl_context: ssl.SSLContext | None = None,
        web: WebViews | None = None,
        max_connections: int = MAX_CONNECTIONS,
        open_timeout: float = OPEN_TIMEOUT_S,
        slots: Slots | None = None,
        control: ControlApi | None = None,
    ) -> None:
        self.path = path
        #: The control API (HTTP and WebSocket) and its channel to the controller; None: no /api/v1/.
        self.control = control
        #: The browser pages and their view stream, on the same port and thread; None serves followers only.
        self.web = web
        self.token = token
        self.sock = sock
        self.clock = clock
        self.ssl_context = ssl_context
        #: Who may connect: the fair share of slots (see `admission`).
        self.slots = slots or Slots(max_connections)
        self.open_timeout = open_timeout
        #: Why the records past the index could not be read (a rewritten or corrupt file), or None.
        self.problem: str | None = None
        self.index = JournalIndex(path)
        #: The host and port as bound, read once: the socket belongs to the server's thread.
        self._address = sock.getsockname()
        self._live: set[_Follower] = set()
        self._authenticated = 0
        #: The server's own loop, run on its own thread once started: records are handed to `take` in it.
        self.loop = asyncio.new_event_loop()
        #: Whether the journal has been scanned: records taken before that are on disk, so the scan has them.
        self._serving = False
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._stop: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._done: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._closed = False
        #: The journal as read for catch-up and, in a process of its own, for new records.
        self.file = JournalFile(path, self.index)
        self._stage_header: str | None = None

    # -- the moderator's side (any thread) -------------------------------------

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self._address[1])

    @property
    def scheme(self) -> str:
        """ws or wss."""
        return "wss" if self.ssl_context else "ws"

    def follow_command(self) -> str:
        """The exact command a co-host types to follow this session."""
        return follow_command(self._address, self.ssl_context is not None, self.token)

    @property
    def followers(self) -> int:
        """How many followers are connected now (past the token check)."""
        return self._authenticated

    async def start(self) -> None:
        """Start the server's thread and wait, without blocking this loop, until it accepts followers."""
        if self._thread is not None:
            return
        if self.web is not None:
            await self.web.start()
        self._thread = threading.Thread(target=self._main, name="runofshow-server", daemon=True)
        self._thread.start()
        await asyncio.wrap_future(self._ready)

    async def drain(self, timeout: float = 1.0, *, seq: int = 0) -> None:
        """Wait (up to `timeout`) until record `seq` has been taken and every follower sent what was.

        The writer may hand over a record on its own thread a moment after
        the controller knows it is durable: `seq` says which one to wait for.
        """
        if self._thread is None or self._done.done():
            return
        with contextlib.suppress(concurrent.futures.TimeoutError, TimeoutError, RuntimeError):
            future = asyncio.run_coroutine_threadsafe(self._drained(timeout, seq), self.loop)
            await asyncio.wrap_future(future)

    async def close(self) -> None:
        """Stop serving, drop every follower and end the server's thread."""
        self._closed = True
        if self.web is not None:
            await self.web.close()
        stop = self._stop
        if self._thread is None:
            self.loop.close()  # never run: there is nothing to stop
            return
        if stop is not None:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(stop.set)
        with contextlib.suppress(Exception):
            await asyncio.wrap_future(self._ready)
        await asyncio.wrap_future(self._done)

    # -- the server's thread -----------------------------------------------------

    def _main(self) -> None:
        try:
            # As asyncio.run, on the loop made with the server: it may already hold records handed over.
            with asyncio.Runner(loop_factory=lambda: self.loop) as runner:
                runner.run(self._serve())
        except BaseException as error:  # noqa: BLE001 - reported to whoever awaits start()
            if not self._ready.done():
                self._ready.set_exception(error)
        finally:
            if not self._ready.done():
                self._ready.set_exception(RuntimeError("the server stopped before it started"))
            self._done.set_result(None)

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self._slots = asyncio.Semaphore(CATCH_UP_SLOTS)
        # No await between the scans and `_serving`: records handed over before are on disk, so
        # the scans have them; records handed over after are taken, and any already read skipped.
        self.index.scan()
        if self.web is not None:
            self.web.load(self.loop)
        self._serving = True
        self.file.open()
        if self.control is not None:
            await self.control.link.start()
        try:
            self._server = await serve(
                self._handle,
                sock=self.sock,
                ssl=self.ssl_context,
                process_request=self._admit,
                create_connection=connection_class(self.slots),
                open_timeout=self.open_timeout,
                max_size=MAX_FRAME,
                max_queue=MAX_QUEUE,
                write_limit=WRITE_LIMIT,
                ping_interval=20,
                ping_timeout=20,
                close_timeout=2,
                server_header=None,
                logger=_quiet,
            )
            if self._closed:
                return
            self._ready.set_result(None)
            await self._stop.wait()
        finally:
            self._closed = True
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
            if self.control is not None:
                await self.control.link.close()
            self.file.close()

    def take(self, record: DurableRecord) -> None:
        """In the server's loop: index a durable record, queue it for every live follower, fold it for the pages.

        Subscribe it to the session's records with `Delivery.loop(server.loop)`.
        Before the journal is scanned the record is left to the scan (it is on
        disk already); after serving has stopped there is no one to send to.
        """
        if not self._serving or self._closed:
            return
        seq = self.index.add(record.line)
        if seq is not None:  # else the scan had it, and every follower gets it in its catch-up
            text = record.line.decode(errors="replace").rstrip("\n")
            for follower in list(self._live):
                if not follower.offer(seq, text):
                    self._drop(follower)
        if self.web is not None:
            self.web.take(record)  # in this loop: the pages fold it (unless read already), and get a snapshot soon

    def read_new(self, limit: int | None = None) -> None:
        """In the server's loop: take the whole records the file has past the index, up to seq `limit` if given.

        For a server in a process of its own, which learns that there are new
        records (a note from the controller, a change to the file) but is
        handed none. A file that changed under the index is indexed again.
        """
        more = True
        while more and self._serving and not self._closed:
            try:
                records, more = self.file.new_records(limit)
            except LookupError:  # cut back or replaced: index it again; followers catch up from their seq
                self.reopen()
                return
            except TailProblem as error:
                self.problem = f"{self.path}: {error}"
                return
            self.problem = None
            for record in records:
                self.take(record)

    def reopen(self) -> None:
        """In the server's loop: the journal was replaced or cut back: open it again by its name, read it anew."""
        if self._closed:
            return
        self.file.reopen()
        self._stage_header = None
        if self.web is not None:
            self.web.load(self.loop)
            self.web.refresh()

    def _drop(self, follower: _Follower) -> None:
        """Close a follower that cannot keep up; it reconnects and catches up from its seq."""
        self._live.discard(follower)
        follower.dropped = True
        follower.pending.clear()
        follower.wake.set()
        asyncio.get_running_loop().create_task(follower.connection.close(BEHIND_CODE, BEHIND_REASON))

    async def _drained(self, timeout: float, seq: int) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.index.last_seq < seq or any(follower.pending for follower in self._live):
                    await asyncio.sleep(0.01)

    async def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse bad requests (4xx), browsers (403) and anyone without a token (401); pages go to the web views.

        A token holder is counted in its kind's slots (see `admission`), or
        answered 503 when they are full. Nothing here answers 5xx otherwise.
        """
        try:
            if self.control is not None and urlsplit(request.path).path.startswith(API_PREFIX):
                response, control = await self.control.admit(connection, request, secure=self.ssl_context is not None)
                kind = Kind.COHOST if control else None
            else:
                response, kind = self._decide(connection, request)
        except Exception:  # a request no rule foresaw: refused, never a 500
            return connection.respond(HTTPStatus.BAD_REQUEST, "bad request\n")
        if response is None and kind is not None and isinstance(connection, Admitted):
            if not connection.admit(kind):
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "as many viewers as this server takes\n")
        return response

    def _decide(self, connection: ServerConnection, request: Request) -> tuple[Response | None, Kind | None]:
        problem = _request_problem(request)
        if problem is not None:
            return connection.respond(*problem), None
        if self.web is not None and (request.method == "HEAD" or self.web.owns(request)):
            response, role = self.web.decide(connection, request)
            return response, None if role is None else Kind.STAGE if role == STAGE else Kind.COHOST
        if request.method == "HEAD":
            return connection.respond(HTTPStatus.NOT_FOUND, "no pages here\n"), None
        if request.headers.get("Origin") is not None:
            return connection.respond(HTTPStatus.FORBIDDEN, "browsers may not follow a session\n"), None
        if self._token_ok(request):
            return None, Kind.COHOST
        if urlsplit(request.path).path == STAGE_PATH and self._stage_token_ok(request):
            return None, Kind.STAGE
        return connection.respond(HTTPStatus.UNAUTHORIZED, "a valid token is needed to follow this session\n"), None

    def _stage_token_ok(self, request: Request) -> bool:
        if self.web is None:
            return False
        return hmac.compare_digest(given_token(request).encode(), self.web.stage_token.encode())

    def _token_ok(self, request: Request) -> bool:
        """The session's token; the control token too, so `follow --control TOKEN` needs no other."""
        given = given_token(request)
        if self.control is not None and self.control.role(given) == "control":
            return True
        return hmac.compare_digest(given.encode(), self.token.encode())

    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        if self.control is not None and request is not None and urlsplit(request.path).path == WS_PATH:
            await self.control.serve_socket(connection, "control", socket_actor(request))
            return
        if self.web is not None and connection.request is not None and self.web.owns(connection.request):
            await self.web.handle(connection)
            return
        query = parse_qs(urlsplit(connection.request.path if connection.request else "/").query)
        try:
            since = max(0, int((query.get("since") or ["0"])[0]))
        except ValueError:
            since = 0
        stage = urlsplit(connection.request.path if connection.request else "/").path == STAGE_PATH
        follower = _Follower(connection)
        self._authenticated += 1
        drain = asyncio.create_task(self._discard_input(follower))
        if self.control is not None and request is not None:
            self.control.follows(connection, given_token(request))  # closed if its control token is revoked
        try:
            last = await self._catch_up(connection, since, stage=stage)
            # Caught up and joined in one step of the loop: no record can fall in between.
            self._live.add(follower)
            await self._heartbeat(connection, last)
            await self._stream(follower, last)
        except Exception:  # a follower that goes away must never disturb the show
            pass
        finally:
            self._authenticated -= 1
            self._live.discard(follower)
            if self.control is not None:
                self.control.streams.discard(connection)
            drain.cancel()
            with contextlib.suppress(BaseException):
                await drain

    async def _catch_up(self, connection: ServerConnection, since: int, *, stage: bool = False) -> int:
        """Send the header and every indexed record after `since`, chunk by chunk; return the last seq sent.

        A stage feed gets a header with only the stage's facts (see `stage_feed`).
        """
        header = self.index.header
        if stage:
            if self._stage_header is None:
                self._stage_header = stage_header(self.index.header) or ""
            if not self._stage_header:
                await connection.close(CloseCode.POLICY_VIOLATION, "this session cannot be shown to the stage alone")
                return since
            header = self._stage_header
        await connection.send(header)
        last = since
        while True:
            await self._writable(connection)
            assert self._slots is not None
            async with self._slots:
                records = self.file.chunk(last)
                if not records:
                    return last
                for _, line in records:
                    await connection.send(line.decode(errors="replace"))
                last = records[-1][0]
            # A send over loopback rarely waits, so without this one follower's catch-up would hold
            # the loop: other handshakes would time out and live records wait.
            await asyncio.sleep(0)

    @staticmethod
    async def _writable(connection: ServerConnection) -> None:
        """Wait, holding no catch-up slot, until the connection's write buffer has room for a chunk.

        A follower that does not read fills its socket, then this buffer; it
        waits here, so it never holds a slot that readers are waiting for.
        """
        transport = connection.transport
        while not transport.is_closing() and transport.get_write_buffer_size() > WRITE_LIMIT // 2:
            await asyncio.sleep(WRITABLE_POLL_S)
        if transport.is_closing():
            raise ConnectionError("the follower has gone")

    async def _stream(self, follower: _Follower, last: int) -> None:
        connection = follower.connection
        while not follower.dropped:
            if not follower.pending:
                follower.wake.clear()
                try:
                    # Not wait_for: on Python 3.11 it swallows a cancel that comes as a record does.
                    async with asyncio.timeout(HEARTBEAT_S):
                        await follower.wake.wait()
                except TimeoutError:
                    await self._heartbeat(connection, last)
                    continue
            if follower.dropped or not follower.pending:  # dropped, or woken because the connection closed
                return
            seq, text = follower.pending.popleft()
            if seq > last:
                await connection.send(text)
                last = seq

    async def _heartbeat(self, connection: ServerConnection, last: int) -> None:
        reading = self.clock.read()
        await connection.send(json.dumps({"type": "heartbeat", "wall": format_instant(reading.wall_us), "seq": last}))

    async def _discard_input(self, follower: _Follower) -> None:
        """Read and drop whatever a follower sends: followers cannot change the session.

        When the connection closes, wake the sender at once, so that a gone
        follower (or the server closing) does not wait for the next heartbeat.
        """
        with contextlib.suppress(Exception):
            async for _ in follower.connection:
                pass
        follower.pending.clear()
        follower.wake.set()


async def close_served(controller: Controller, server: JournalServer) -> None:
    """Leave a served session: record the detach while followers can still be sent it, then stop serving."""
    controller.close()
    await server.drain(seq=controller.engine.seq)
    await server.close()
