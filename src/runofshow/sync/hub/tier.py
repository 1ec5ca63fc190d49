"""`serve --hub`: a stateless web tier that serves every room on the hub, from the rooms' streams.

It holds nothing a viewer's link depends on: the journal of each room comes
from its stream (`room_lines`), the keys from the hub's token bucket (each
room's SHA-256 hashes, put there by its controller), so any number of these
processes can stand behind any load balancer and a link works on each.

A link names its room under `/r/ROOM`:

| path | what |
|---|---|
| `/r/ROOM/#KEY` | the co-host page (session key) |
| `/r/ROOM/control#KEY` | the co-host page with its buttons (control key) |
| `/r/ROOM/stage#KEY` | the stage page (stage key, or the session key) |
| `/r/ROOM/view` | the pages' snapshot stream (WebSocket) |
| `ws://HOST:PORT/r/ROOM` | the journal stream that `follow` reads (session key) |
| `ws://HOST:PORT/r/ROOM/stage` | the stage's journal stream (`follow --stage`) |
| `/r/ROOM/api/v1/<command>` | the control API (`GET` or `POST`; control key, the stage key for `seen`) |
| `/r/ROOM/api/v1/status` | the status document (control or session key) |
| `ws://HOST:PORT/r/ROOM/api/v1/ws` | the control WebSocket (control key) |

A room is read from the hub when its first viewer comes, and kept: its
lines are held in memory (a day's journal is a few thousand lines), folded
once for every page, and sent from there to every follower.

The control API is `sync.control`'s, with the keys checked against the room's
hashes: a command goes as a NATS request to `runofshow-control.<room>`, which
the room's controller answers once its record is on disk (see
`sync.hub.mirror`); the reply's status is this process's fold once the
record has come from the stream. No answer within ANSWER_TIMEOUT_S: 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import replace
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from runofshow.clock import Clock
from runofshow.domain.instants import format_instant
from runofshow.journal.codec import JournalError
from runofshow.session.replay import Replayer
from runofshow.sync.admission import Lenient, given_token, request_problem
from runofshow.sync.control import API_PREFIX, WS_PATH, Call, ControlApi, json_response, socket_actor
from runofshow.sync.hub.connect import HubCredentials, connect
from runofshow.sync.hub.names import ROOM_PATTERN, control_subject
from runofshow.sync.hub.reader import header_session, room_lines
from runofshow.sync.stage_feed import stage_header
from runofshow.sync.web import COHOST, CONTROL, STAGE, VIEW_PATH, WebViews, page_response

#: The key-value bucket where each room's controller puts its keys' hashes.
TOKENS_BUCKET = "runofshow_tokens"
#: How long a room's key hashes are trusted before they are read again.
TOKENS_TTL_S = 5.0
#: How long a first viewer waits for a room's header from the hub.
FIRST_LINE_S = 5.0
#: How often a follower hears from the tier when nothing happens (liveness and clock sync).
HEARTBEAT_S = 2.0
#: Live records a follower may have waiting before it is dropped as too far behind.
QUEUE_RECORDS = 256
#: The largest message a client may send (it is thrown away).
MAX_FRAME = 2**16
#: The path prefix every room's links start with.
ROOM_PREFIX = "/r/"
#: How long a command waits for the room's controller to answer (it answers once the record is on disk).
ANSWER_TIMEOUT_S = 10.0
NO_CONTROLLER = "the room's controller does not answer"
BEHIND_REASON = "too far behind: reconnect from your last seq"
NEW_SESSION_REASON = "the room holds another session now: reconnect"

_quiet = logging.getLogger("runofshow.hub.tier")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def token_hash(token: str) -> str:
    """What the bucket keeps of a key: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def split_room_path(path: str) -> tuple[str, str] | None:
    """(`room`, the rest of the path, from its `/`) for `/r/ROOM…`, or None for any other path."""
    if not path.startswith(ROOM_PREFIX):
        return None
    room, slash, rest = path[len(ROOM_PREFIX) :].partition("/")
    if not ROOM_PATTERN.fullmatch(room):
        return None
    return room, slash + rest


class RoomViews(WebViews):
    """A room's pages: the same snapshots as one session's, fed from its lines, keys checked against hashes."""

    def __init__(self, room: str, clock: Clock) -> None:
        super().__init__(Path(room), "", "", clock)  # a name, never opened: `load` reads no file
        #: The room's key hashes, by role ("session", "stage"), as the bucket last said.
        self.hashes: dict[str, str] = {}

    def role_of(self, request: Request) -> str | None:
        """cohost for the session key, stage for the stage key, control for the control key (the control
        page, whose buttons use the room's control API), None for anything else."""
        return role_of_hashes(given_token(request), self.hashes, control=True)

    def load(self, loop: asyncio.AbstractEventLoop) -> None:
        """Nothing to read: the lines come from the hub (see `HubRoom.take`)."""
        self._loop = loop

    def fold(self, replayer: Replayer, problem: str | None) -> None:
        """The room's fold changed: every page gets a snapshot soon."""
        self._header, self._engine = replayer.header, replayer.engine
        self.problem = problem
        self._changed()


def role_of_hashes(token: str, hashes: dict[str, str], *, control: bool = False) -> str | None:
    """Which role a key has in a room, from the bucket's hashes; None for none.

    The control key counts only where asked for (`control`: the control API); elsewhere it is no key.
    """
    if not token:
        return None
    given = token_hash(token).encode()
    if control and hashes.get("control") and hmac.compare_digest(given, hashes["control"].encode()):
        return CONTROL
    if hashes.get("session") and hmac.compare_digest(given, hashes["session"].encode()):
        return COHOST
    if hashes.get("stage") and hmac.compare_digest(given, hashes["stage"].encode()):
        return STAGE
    return None


class RoomLink:
    """The control API's way to a room's controller: a NATS request on the room's control subject."""

    def __init__(self, room: str, client: Callable[[], object]) -> None:
        self.subject = control_subject(room)
        self._client = client

    async def start(self) -> None:
        """Nothing to open: the tier's hub client is shared by every room."""

    async def close(self) -> None:
        """Nothing to close: each request waits for its own answer."""

    async def send(self, call: Call, actor: str) -> dict[str, Any]:
        """Send one command; the controller's answer, or 503 if none answers in time."""
        import nats.errors

        message = {"command": call.name, "args": call.args, "actor": actor, "if_seq": call.if_seq}
        try:
            client = self._client()
            reply = await client.request(  # type: ignore[attr-defined]
                self.subject, json.dumps(message).encode(), timeout=ANSWER_TIMEOUT_S
            )
            answer = json.loads(reply.data)
        except (nats.errors.Error, TimeoutError, OSError, ValueError):
            return {"ok": False, "code": 503, "error": NO_CONTROLLER}
        if not isinstance(answer, dict):
            return {"ok": False, "code": 503, "error": NO_CONTROLLER}
        return answer


class RoomControl(ControlApi):
    """`sync.control`'s API for one room, its keys checked against the room's hashes from the bucket."""

    def __init__(self, room: HubRoom, client: Callable[[], object]) -> None:
        super().__init__(
            RoomLink(room.name, client),
            control_token="",
            cohost_token="",
            stage_token="",
            catch_up=lambda seq: None,  # the record comes from the stream: `run` waits for the fold to have it
            status=lambda: room.views.status(True),
            toggle=room.views.toggle,
        )
        self.views = room.views

    def role(self, given: str) -> str | None:
        """control, cohost, stage, or None, from the room's hashes."""
        return role_of_hashes(given, self.views.hashes, control=True)

    async def http(self, request: Request, given: str, body: bytes, *, page: bool = False) -> Response:
        """As `ControlApi.http`, but a request without one of the room's keys learns nothing of the room:
        any visitor of a tier may guess a room's name."""
        if self.role(given) is None:
            text = "a valid control token is needed (Authorization: Bearer TOKEN or ?token=)"
            return json_response(401, _no(text))
        return await super().http(request, given, body, page=page)


class _Live:
    """One follower of a room: its live records still to send."""

    __slots__ = ("connection", "queue", "dropped")

    def __init__(self, connection: ServerConnection) -> None:
        self.connection = connection
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue(QUEUE_RECORDS)
        self.dropped: str | None = None


class HubRoom:
    """One room read from the hub: its lines (index = seq, 0 the header), its fold for the pages, its followers."""

    def __init__(self, name: str, url: str, creds: HubCredentials | None, clock: Clock) -> None:
        self.name = name
        self.clock = clock
        self.lines: list[str] = []
        self.replayer = Replayer(name)
        self.problem: str | None = None
        self.views = RoomViews(name, clock)
        self.views.load(asyncio.get_running_loop())
        self.followers: set[_Live] = set()
        self.has_header = asyncio.Event()
        self._stage_header: str | None = None
        self.control: RoomControl | None = None
        self._task = asyncio.get_running_loop().create_task(self._read(url, creds))

    async def _read(self, url: str, creds: HubCredentials | None) -> None:
        async for line in room_lines(url, self.name, creds=creds):
            self.take(line)

    def take(self, line: bytes) -> None:
        """One line from the stream: the header (a new session starts the room over) or the next record."""
        text = line.decode(errors="replace")
        if header_session(line) is not None:
            if self.lines:
                for live in list(self.followers):
                    self._drop(live, NEW_SESSION_REASON)
            self.lines, self.replayer, self._stage_header = [text], Replayer(self.name), None
            self._feed(line)
            self.has_header.set()
            return
        if not self.lines:
            return
        seq = len(self.lines)
        self.lines.append(text)
        self._feed(line)
        for live in list(self.followers):
            try:
                live.queue.put_nowait((seq, text))
            except asyncio.QueueFull:
                self._drop(live, BEHIND_REASON)

    def _feed(self, line: bytes) -> None:
        try:
            self.replayer.feed(line + b"\n")
        except JournalError as error:
            self.problem = str(error)
        self.views.fold(self.replayer, self.problem)

    def stage_header(self) -> str:
        """The header a stage feed gets ("" when this session cannot be shown to the stage alone)."""
        if self._stage_header is None:
            self._stage_header = stage_header(self.lines[0]) or ""
        return self._stage_header

    def _drop(self, live: _Live, reason: str) -> None:
        self.followers.discard(live)
        live.dropped = reason
        with contextlib.suppress(asyncio.QueueFull):
            live.queue.put_nowait((-1, ""))

    async def close(self) -> None:
        """Stop reading the room (its reader says goodbye to the hub for at most 2 s)."""
        self._task.cancel()
        await asyncio.wait([self._task], timeout=2.0)


class HubTier:
    """Serves every room on the hub: pages, page streams and follower streams, on one port."""

    def __init__(
        self,
        url: str,
        sock: socket.socket,
        clock: Clock,
        *,
        creds: HubCredentials | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.url = url
        self.sock = sock
        self.clock = clock
        self.creds = creds
        self.ssl_context = ssl_context
        self.rooms: dict[str, HubRoom] = {}
        self._hashes: dict[str, tuple[float, dict[str, str] | None]] = {}
        self._client: object | None = None
        self._server: Server | None = None

    async def serve_forever(self, ready: Callable[[], None] | None = None) -> None:
        """Serve until cancelled."""
        self._server = await serve(
            self._handle,
            sock=self.sock,
            ssl=self.ssl_context,
            process_request=self._admit,
            create_connection=Lenient,  # a POST to a room's control API is read with its body
            open_timeout=5,
            max_size=MAX_FRAME,
            max_queue=2,
            ping_interval=20,
            ping_timeout=20,
            close_timeout=2,
            server_header=None,
            logger=_quiet,
        )
        if ready is not None:
            ready()
        try:
            await asyncio.Future()
        finally:
            self._server.close()
            await self._server.wait_closed()
            for room in self.rooms.values():
                await room.close()
            if self._client is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(2.0):  # a hub that does not answer must not hold the exit
                        await self._client.close()  # type: ignore[attr-defined]

    # -- keys --------------------------------------------------------------

    async def hashes(self, room: str) -> dict[str, str] | None:
        """The room's key hashes from the bucket (read again after TOKENS_TTL_S), or None if it has none."""
        now = self.clock.read().mono
        cached = self._hashes.get(room)
        if cached is not None and now - cached[0] < TOKENS_TTL_S:
            return cached[1]
        found = await self._read_hashes(room)
        self._hashes[room] = (now, found)
        if found is not None and room in self.rooms:
            self.rooms[room].views.hashes = found
        return found

    async def _read_hashes(self, room: str) -> dict[str, str] | None:
        import nats.errors
        import nats.js.errors

        if self._client is None:
            self._client = await connect(self.url, self.creds, name="runofshow serve --hub")
        try:
            js = self._client.jetstream(timeout=2)  # type: ignore[attr-defined]
            bucket = await js.key_value(TOKENS_BUCKET)
            entry = await bucket.get(room)
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.BucketNotFoundError, nats.js.errors.NotFoundError):
            return None
        except (nats.errors.Error, TimeoutError, OSError):
            return None
        try:
            value = json.loads(entry.value or b"")
        except ValueError:
            return None
        if not isinstance(value, dict):
            return None
        return {key: hashed for key, hashed in value.items() if isinstance(hashed, str)}

    # -- rooms -------------------------------------------------------------

    async def room(self, name: str) -> HubRoom | None:
        """The room, read from the hub from its first viewer on; None if its header does not come in time."""
        found = self.rooms.get(name)
        if found is None:
            found = HubRoom(name, self.url, self.creds, self.clock)
            self.rooms[name] = found
        found.views.hashes = self._hashes.get(name, (0.0, None))[1] or found.views.hashes
        try:
            async with asyncio.timeout(FIRST_LINE_S):
                await found.has_header.wait()
        except TimeoutError:
            return None
        return found

    # -- requests ----------------------------------------------------------

    async def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        try:
            return await self._decide(connection, request)
        except Exception:  # a request no rule foresaw: refused, never a 500
            return connection.respond(HTTPStatus.BAD_REQUEST, "bad request\n")

    async def _decide(self, connection: ServerConnection, request: Request) -> Response | None:
        problem = request_problem(request)
        if problem is not None:
            return connection.respond(*problem)
        path = urlsplit(request.path).path
        split = split_room_path(path)
        if split is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "a room's links start with /r/ROOM/\n")
        name, rest = split
        if rest.startswith(API_PREFIX):
            return await self._api(connection, name, replace(request, path=rest + _query(request)))
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        if not upgrade or request.method == "HEAD":
            if rest == "":  # the co-host page's assets are relative: it must end in a slash
                return _redirect(f"{ROOM_PREFIX}{name}/")
            return page_response(replace(request, path=rest))
        hashes = await self.hashes(name)
        if hashes is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "no such room on this hub\n")
        if rest == VIEW_PATH:
            room = await self.room(name)
            if room is None:
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "the room's journal is not on the hub yet\n")
            room.views.hashes = hashes
            response, _ = room.views.decide(connection, replace(request, path=rest + _query(request)))
            return response
        if rest not in ("", "/", "/stage"):
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        if request.headers.get("Origin") is not None:
            return connection.respond(HTTPStatus.FORBIDDEN, "browsers may not follow a session\n")
        role = role_of_hashes(given_token(request), hashes)
        if role is None or (role == STAGE and rest != "/stage"):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "a valid token is needed to follow this room\n")
        if await self.room(name) is None:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "the room's journal is not on the hub yet\n")
        return None

    async def _api(self, connection: ServerConnection, name: str, request: Request) -> Response | None:
        """The room's control API (`request.path` without its `/r/ROOM`): an HTTP request answered here, or
        None to open a control WebSocket (`/api/v1/ws`, served by `_handle`)."""
        hashes = await self.hashes(name)
        if hashes is None:
            return json_response(404, _no("no such room on this hub"))
        room = await self.room(name)
        if room is None:
            return json_response(503, _no("the room's journal is not on the hub yet"))
        room.views.hashes = hashes
        if room.control is None:
            room.control = RoomControl(room, self._connected)
        response, _ = await room.control.admit(connection, request, secure=self.ssl_context is not None)
        return response

    def _connected(self) -> object:
        """The hub client (`hashes` connects it before any command is sent)."""
        if self._client is None:
            raise OSError("not connected to the hub")
        return self._client

    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        if request is None:
            return
        split = split_room_path(urlsplit(request.path).path)
        if split is None or split[0] not in self.rooms:
            return
        room = self.rooms[split[0]]
        if split[1] == VIEW_PATH:
            await room.views.handle(connection)
            return
        if split[1] == WS_PATH:
            if room.control is not None:
                await room.control.serve_socket(connection, CONTROL, socket_actor(request))
            return
        await self._follow(room, connection, stage=split[1] == "/stage")

    async def _follow(self, room: HubRoom, connection: ServerConnection, *, stage: bool) -> None:
        """The header, every record after the follower's seq, then each new one, with heartbeats between."""
        query = parse_qs(urlsplit(connection.request.path if connection.request else "/").query)
        try:
            since = max(0, int((query.get("since") or ["0"])[0]))
        except ValueError:
            since = 0
        live = _Live(connection)
        drain = asyncio.create_task(_discard_input(connection, live))
        try:
            header = room.stage_header() if stage else room.lines[0]
            if not header:
                await connection.close(CloseCode.POLICY_VIOLATION, "this session cannot be shown to the stage alone")
                return
            # Caught up and joined in one step of the loop: no record can fall in between.
            backlog = room.lines[since + 1 :]
            room.followers.add(live)
            await connection.send(header)
            last = since
            for text in backlog:
                await connection.send(text)
                last += 1
            await self._heartbeat(connection, last)
            while live.dropped is None:
                try:
                    async with asyncio.timeout(HEARTBEAT_S):
                        seq, text = await live.queue.get()
                except TimeoutError:
                    await self._heartbeat(connection, last)
                    continue
                if seq > last:
                    await connection.send(text)
                    last = seq
            await connection.close(CloseCode.TRY_AGAIN_LATER, live.dropped)
        except Exception:  # a follower that goes away must never disturb the others
            pass
        finally:
            room.followers.discard(live)
            drain.cancel()
            with contextlib.suppress(BaseException):
                await drain

    async def _heartbeat(self, connection: ServerConnection, last: int) -> None:
        wall = format_instant(self.clock.read().wall_us)
        await connection.send(json.dumps({"type": "heartbeat", "wall": wall, "seq": last}))


async def _discard_input(connection: ServerConnection, live: _Live) -> None:
    """Read and drop whatever a follower sends; when it goes, wake its sender."""
    with contextlib.suppress(Exception):
        async for _ in connection:
            pass
    if live.dropped is None:
        live.dropped = "gone"
    with contextlib.suppress(asyncio.QueueFull):
        live.queue.put_nowait((-1, ""))


def _no(text: str) -> dict[str, Any]:
    return {"ok": False, "error": text, "status": None}


def _query(request: Request) -> str:
    query = urlsplit(request.path).query
    return f"?{query}" if query else ""


def _redirect(location: str) -> Response:
    body = b"see the room's page\n"
    headers = Headers(
        [("Location", location), ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return Response(HTTPStatus.MOVED_PERMANENTLY.value, "Moved Permanently", headers, body)
