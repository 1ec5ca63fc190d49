"""The browser views: the speaker's stage page and the co-host page, on the server's own port.

A browser gets two things from the same port as the terminal followers:

- the pages themselves (HTML, CSS, JS shipped in the package), served without
  any token, under a strict Content-Security-Policy;
- a WebSocket at `/view?token=T&since=SEQ` that streams *derived view
  snapshots*: the `status --json` object of the one Python derivation, stamped
  with the server's time, on every new record and once a second. The page
  re-implements no engine rule; it only subtracts the time since the snapshot.

Two tokens decide what a browser may see. The session token (the co-hosts')
gets the whole view: every agenda row, notes, who runs the session. The stage
token (for speakers, or shared with an audience) gets only what is on a stage
display; it is refused the co-host stream and the journal stream.

A page that reconnects sends the `seq` of its last snapshot (`since`); as
each snapshot is the whole state, catching up is the next snapshot, sent at
once. The page keeps counting from its last one while the link is down.

The token travels as the `token` query parameter of the WebSocket handshake
(taken from the page's URL fragment, which the browser never sends with the
page request). Only the handshake carries it; tunnels and proxies that log
request lines will see it, which is one more reason to use https.

The page sends `{"type": "time", "id": N, "t0": ms}`; the server answers with
its own time, so the page can estimate its clock offset from the pair with the
smallest round trip (as NTP does). Anything else a page sends is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import OPEN

from runofshow.clock import Clock
from runofshow.domain.derive import View, derive
from runofshow.domain.events import ReplayError
from runofshow.domain.fold import State
from runofshow.domain.header import Header
from runofshow.journal.codec import JournalError
from runofshow.journal.lock import holder
from runofshow.session.bus import DurableRecord
from runofshow.session.replay import Replayer
from runofshow.sync.embed import frame_ancestors
from runofshow.sync.links import Links, forget_served, note_served, page_links, serving_text
from runofshow.sync.snapshots import cohost_snapshot, possible, stage_snapshot
from runofshow.words.display import seconds_to_next_change
from runofshow.words.status import status_document
from runofshow.words.text import literal

#: The WebSocket path the pages connect to.
VIEW_PATH = "/view"
#: How often a page gets a fresh snapshot when nothing happens (also its cue to check its clock).
VIEW_HEARTBEAT_S = 1.0
#: The strictest policy the pages work under: everything from this origin, nothing inline, no frames.
CSP = (
    "default-src 'self'; connect-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
)
#: Path → (file in `pages/`, content type). Only these are served.
PAGES: dict[str, tuple[str, str]] = {
    "/": ("cohost.html", "text/html; charset=utf-8"),
    "/control": ("cohost.html", "text/html; charset=utf-8"),
    "/stage": ("stage.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/control.js": ("control.js", "text/javascript; charset=utf-8"),
    "/stage.js": ("stage.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
#: Largest message a page may send (a clock ping is ~60 bytes).
MAX_PAGE_MESSAGE = 512
#: Unsent bytes above which a page skips a snapshot (so memory per page is bounded by about this).
MAX_PAGE_BUFFER = 256 * 1024
#: Seconds a page may stay over MAX_PAGE_BUFFER (reading nothing) before it is dropped, as a follower
#: too far behind is: it reconnects, and its next snapshot is the whole state.
PAGE_STALL_S = 10.0
#: The close code and reason for a page dropped for not reading.
BEHIND_CODE = 1013
BEHIND_REASON = "too far behind: reconnect"
#: Close codes that tell a page, which never sees a refused handshake's status, what is wrong with its link.
UNKNOWN_KEY = (4001, "this link is no longer valid")
STAGE_KEY = (4003, "this link is for the stage view")

STAGE = "stage"
COHOST = "cohost"
#: The control link's page: the co-host's view, and its buttons.
CONTROL = "control"


# -- HTTP --------------------------------------------------------------------


def _headers(content_type: str, length: int, embed: Sequence[str] = ()) -> Headers:
    """The headers of everything served to a browser; `embed`: the sites that may frame it (see `embed`)."""
    csp = CSP if not embed else CSP.replace(frame_ancestors(()), frame_ancestors(embed))
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(length)),
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]
    return Headers([header for header in headers if not (embed and header[0] == "X-Frame-Options")])


def _plain(status: HTTPStatus, text: str) -> Response:
    body = text.encode()
    return Response(status.value, status.phrase, _headers("text/plain; charset=utf-8", len(body)), body)


def _is_upgrade(request: Request) -> bool:
    return "websocket" in request.headers.get("Upgrade", "").lower()


def page_response(request: Request, embed: Sequence[str] = ()) -> Response | None:
    """The page or asset for a plain GET, or None if `request` is not for one (a WebSocket, say).

    `embed`: the sites allowed to show it in a frame (none by default).
    """
    path = urlsplit(request.path).path
    if _is_upgrade(request) and request.method != "HEAD":
        return None
    found = PAGES.get(path)
    if found is None:
        return _plain(HTTPStatus.NOT_FOUND, "not found\n")
    return asset_response(request, *found, embed)


def asset_response(request: Request, name: str, kind: str, embed: Sequence[str] = ()) -> Response:
    """A file of `pages/` as the answer to a GET (or HEAD: the same headers and no body), under the CSP.

    `embed`: the sites allowed to show it in a frame (none by default).
    """
    body = _asset(name)
    # HEAD: the same headers, Content-Length included, and no body.
    return Response(200, "OK", _headers(kind, len(body), embed), b"" if request.method == "HEAD" else body)


_ASSETS: dict[str, bytes] = {}


def _asset(name: str) -> bytes:
    if name not in _ASSETS:
        _ASSETS[name] = resources.files("runofshow.sync").joinpath("pages", name).read_bytes()
    return _ASSETS[name]


def same_origin(request: Request, secure: bool) -> bool:
    """Whether the browser's Origin is the server's own: scheme and the Host it asked for.

    A page from any other site carries its own Origin and is refused, so it
    cannot use a visitor's link. Behind a tunnel that ends TLS, the browser's
    origin is https while this server speaks http: both schemes are accepted
    for the same host, which the browser, not the page, puts in `Host`.
    """
    origin = request.headers.get("Origin")
    host = request.headers.get("Host")
    if origin is None or not host:
        return False
    schemes = ("https",) if secure else ("http", "https")
    return any(origin == f"{scheme}://{host}" for scheme in schemes)


# -- the snapshot stream -----------------------------------------------------


class WebViews:
    """Serves the pages and streams view snapshots to every browser connected to `/view`.

    It keeps one fold of the session for all pages, in the server's loop: the
    journal as it is on disk when serving starts (`load`), then each durable
    record the server takes from the session's bus (`take`), whose event was
    decoded once, where it was made. One View is derived per change (a burst
    of records, a page's arrival, the once-a-second tick) and each role's
    snapshot made from it and sent to every page: memory per page is one
    pending snapshot.
    """

    def __init__(
        self,
        path: Path,
        cohost_token: str,
        stage_token_: str,
        clock: Clock,
        *,
        secure: bool = False,
        base: str | None = None,
        now_ms: Callable[[], float] | None = None,
        embed: Sequence[str] = (),
        control_token: str | None = None,
    ) -> None:
        self.path = path
        #: The control link's token (None: no control link), renewed when the moderator revokes them.
        self.control_token = control_token
        #: Called when a control page arrives or leaves (the moderator's screen counts them).
        self.on_held: Callable[[], None] = lambda: None
        #: The sites allowed to show the pages in a frame (`--allow-embed`); none by default.
        self.embed = tuple(embed)
        #: http(s)://HOST:PORT as others reach it; the links are made from it.
        self.base = base
        self.cohost_token = cohost_token
        self.stage_token = stage_token_
        self.clock = clock
        self.secure = secure
        self._now_ms = now_ms or (lambda: self.clock.read().wall_us / 1000)
        #: The session's header and folded state, once `load` has read the journal.
        self._header: Header | None = None
        self._engine: State | None = None
        #: Why the pages may not show the whole session (a corrupt journal, say), or None.
        self.problem: str | None = None
        #: Each page's connection, and what its token lets it see.
        self._viewers: dict[ServerConnection, str] = {}
        self._ticker: asyncio.Task[None] | None = None
        #: The loop the pages are served in (the server's), from `load` on.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_view: View | None = None
        self._scheduled = False
        #: Since when (loop time) each page that is not reading has had more than MAX_PAGE_BUFFER unsent.
        self._stalled: dict[ServerConnection, float] = {}

    @property
    def viewers(self) -> int:
        """How many pages are connected now."""
        return len(self._viewers)

    def owns(self, request: Request) -> bool:
        """Whether a request is for the pages (any plain GET, or the view stream) rather than a terminal follower.

        The co-host page and the followers' WebSocket share `/`: the upgrade tells them apart.
        """
        return not _is_upgrade(request) or urlsplit(request.path).path == VIEW_PATH

    def decide(self, connection: ServerConnection, request: Request) -> tuple[Response | None, str | None]:
        """The page for a GET or HEAD; for the view stream, 403 for a foreign Origin, 401 without a valid token.

        Returns the response (None to open the stream) and what the token is
        (stage or cohost) to count the connection as. A page of ours (it says
        which with `page=`) with a wrong key is let in with no role, to be told
        why on the page (see `refusal`): a browser never sees a refused
        handshake's status.
        """
        path = urlsplit(request.path).path
        if request.method == "HEAD" or path != VIEW_PATH:
            return page_response(request, self.embed), None
        if not _is_upgrade(request):
            return _plain(HTTPStatus.BAD_REQUEST, "the view stream is a WebSocket\n"), None
        if not same_origin(request, self.secure):
            return _plain(HTTPStatus.FORBIDDEN, "this page is not from this server\n"), None
        role = self.role_of(request)
        if role is None and _page_of(request) is None:
            return _plain(HTTPStatus.UNAUTHORIZED, "a valid link is needed to see this session\n"), None
        # Snapshots are small and go to many pages at once: compressing each one
        # for each page separately costs more than it saves. Terminal followers keep it.
        connection.protocol.available_extensions = []
        return None, None if self.refusal(request) else role

    def role_of(self, request: Request) -> str | None:
        """stage, cohost, control, or None for a missing or wrong token."""
        given = (parse_qs(urlsplit(request.path).query).get("token") or [""])[0].encode()
        if hmac.compare_digest(given, self.cohost_token.encode()):
            return COHOST
        if hmac.compare_digest(given, self.stage_token.encode()):
            return STAGE
        if self.control_token is not None and hmac.compare_digest(given, self.control_token.encode()):
            return CONTROL
        return None

    @property
    def control_pages(self) -> int:
        """How many pages are open with the control link."""
        return sum(1 for role in self._viewers.values() if role == CONTROL)

    def drop_control(self) -> list[ServerConnection]:
        """The control token was renewed: forget the control pages, and return them to be closed."""
        dropped = [connection for connection, role in self._viewers.items() if role == CONTROL]
        for connection in dropped:
            self._viewers.pop(connection, None)
        return dropped

    def status(self, link_up: bool) -> dict[str, Any] | None:
        """The status document now (`words.status`), from this fold, or None before the journal has a header."""
        if self._engine is None or self._header is None:
            return None
        view = derive(self._engine, self.clock.read())
        extra = {
            "session": self._engine.agenda.session.title,
            "journal": str(self.path),
            "controller": holder(self.path),
        }
        return status_document(view, extra, link_up=link_up)

    def toggle(self) -> str:
        """What `toggle` means now: start before the start, resume while paused, else pause."""
        engine = self._engine
        if engine is None or not engine.started:
            return "start"
        return "resume" if engine.paused else "pause"

    def refusal(self, request: Request) -> tuple[int, str] | None:
        """Why a page's key cannot open it (unknown, or the stage's on the co-host page): a close code and reason."""
        role = self.role_of(request)
        if role is None:
            return UNKNOWN_KEY
        if role == STAGE and _page_of(request) == COHOST:
            return STAGE_KEY
        return None

    def view_role(self, request: Request) -> str | None:
        """Which snapshot a page is sent: its token's, or the stage's on the stage page whatever the key."""
        role = self.role_of(request)
        if role is None or self.refusal(request) is not None:
            return None
        return STAGE if _page_of(request) == STAGE else role

    def links(self) -> Links | None:
        """The speaker's and the co-host's links (each one a password), if the address is known."""
        return None if self.base is None else page_links(self.base, self.cohost_token, self.stage_token)

    def serving_text(self, follow_command: str) -> str:
        """What the moderator's screen shows while serving: the follow command, then the two links."""
        return serving_text(follow_command, self.links())

    async def start(self) -> None:
        """Leave a note of the address for `runofshow status`; any thread, any loop."""
        if self.base is not None:
            note_served(self.path, self.base)

    async def close(self) -> None:
        """Take the note back. The snapshots stop by themselves once the server has closed every page."""
        if self.base is not None:
            forget_served(self.path)

    def load(self, loop: asyncio.AbstractEventLoop) -> None:
        """In `loop`, the server's, as serving starts: fold the journal as it is on disk, once.

        The records made durable from then on come through `take`; any of them
        already read here is skipped by its seq.
        """
        self._loop = loop
        replayer = Replayer(str(self.path))
        try:
            with open(self.path, "rb") as journal:
                while chunk := journal.read(1 << 20):
                    replayer.feed(chunk)
            self.problem = None
        except JournalError as error:
            self.problem = str(error)
        except OSError as error:
            self.problem = f"{self.path}: {error.strerror or error}"
        self._header, self._engine = replayer.header, replayer.engine

    def take(self, record: DurableRecord) -> None:
        """In the server's loop: fold one durable record, already decoded, and send every page the new state soon."""
        engine = self._engine
        if engine is None or record.seq <= engine.seq:
            return
        try:
            if record.seq != engine.seq + 1:  # records come in order: only a journal that could not be read whole
                raise ReplayError(f"record {record.seq} does not follow record {engine.seq}")
            engine.apply(record.event)
        except ReplayError as error:  # the pages go on showing the session as far as it could be folded
            self.problem = f"{self.path}: {error}"
            return
        self._changed()

    def refresh(self) -> None:
        """Send every page a fresh snapshot soon; safe from any thread (the work is done in the pages' loop)."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # that loop has closed meanwhile
                loop.call_soon_threadsafe(self._changed)

    def _changed(self) -> None:
        """In the pages' loop: the state changed; send every page a snapshot soon.

        Records that come faster than the pages can be sent make one snapshot,
        not a queue of them: the one sent is derived after the last of them is folded.
        """
        loop = self._loop
        if loop is None or not self._viewers or self._scheduled:
            return
        self._scheduled = True
        loop.call_soon(self._send_scheduled)

    def _send_scheduled(self) -> None:
        self._scheduled = False
        with contextlib.suppress(Exception):  # a snapshot that fails must not end the stream
            self._broadcast()

    def snapshots(self, roles: Iterable[str] = (STAGE, COHOST)) -> dict[str, str] | None:
        """The snapshot texts for `roles` now, from one View, or None before the journal has a header."""
        if self._engine is None or self._header is None:
            return None
        reading = self.clock.read()
        view = derive(self._engine, reading)
        self._last_view = view
        sent = view.now_us / 1000
        texts = {}
        if STAGE in roles:
            stage = stage_snapshot(view)
            texts[STAGE] = json.dumps(
                {"type": "view", "role": STAGE, "server_ms": sent, "view": stage}, ensure_ascii=False
            )
        for role in (COHOST, CONTROL):
            if role not in roles:
                continue
            # The header's words come from the journal: made literal, as a follower's screen shows them.
            owner = literal(self._header.owner)
            agenda = self._engine.agenda
            full = cohost_snapshot(view, agenda.session.title, owner, agenda.messages, possible(self._engine, reading))
            texts[role] = json.dumps(
                {"type": "view", "role": role, "server_ms": sent, "problem": self.problem, "view": full},
                ensure_ascii=False,
            )
        return texts

    def _broadcast(self) -> None:
        """Write the new snapshot to every page at once, in this loop, without a task per page.

        A page whose connection still holds more than MAX_PAGE_BUFFER unsent
        bytes skips this snapshot: each one is the whole state, so the next
        one makes up for it, and a page that does not read costs at most that.
        """
        self._drop_stalled()
        texts = self.snapshots(set(self._viewers.values()))
        if texts is None:
            return
        for role, text in texts.items():
            ready = [
                connection
                for connection, given in self._viewers.items()
                if given == role and _buffered(connection) <= MAX_PAGE_BUFFER
            ]
            if ready:
                _send_to_all(ready, text)

    def _drop_stalled(self) -> None:
        """Drop each page that has read nothing for PAGE_STALL_S, as a follower that falls too far behind is."""
        assert self._loop is not None
        now = self._loop.time()
        for connection in list(self._viewers):
            if _buffered(connection) <= MAX_PAGE_BUFFER:
                self._stalled.pop(connection, None)
            elif now - self._stalled.setdefault(connection, now) >= PAGE_STALL_S:
                self._viewers.pop(connection, None)
                self._stalled.pop(connection, None)
                self._loop.create_task(_close_stalled(connection))

    async def _tick(self) -> None:
        """A fresh snapshot for every page at least once a second, for as long as there are pages.

        Timed to just after the big number's next change, where a warning
        colour changes too: a page then shows it with its new number.
        """
        while self._viewers:
            wait = VIEW_HEARTBEAT_S
            if self._last_view is not None:
                wait = min(wait, seconds_to_next_change(self._last_view))
            await asyncio.sleep(wait + 0.005)
            if self._viewers:
                with contextlib.suppress(Exception):  # a snapshot that fails must not end the stream
                    self._broadcast()

    async def handle(self, connection: ServerConnection) -> None:
        """Stream snapshots to one page until it goes; answer its clock pings. A wrong key is told why, and closed."""
        request = connection.request
        role = self.view_role(request) if request is not None else None
        if role is None:
            refusal = self.refusal(request) if request is not None else None
            if refusal is not None:
                await connection.close(*refusal)
            return
        self._viewers[connection] = role
        if role == CONTROL:
            self.on_held()
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick())
        try:
            texts = self.snapshots((role,))
            if texts is not None:
                await connection.send(texts[role])
            async for message in connection:
                if isinstance(message, str) and len(message) <= MAX_PAGE_MESSAGE:
                    answer = self._answer(message)
                    if answer is not None:
                        await connection.send(answer)
        except Exception:  # a page that goes away must never disturb the show
            pass
        finally:
            if self._viewers.pop(connection, None) == CONTROL:
                self.on_held()
            self._stalled.pop(connection, None)
            if not self._viewers and self._ticker is not None:
                self._ticker.cancel()  # the last page has gone: no snapshots until the next one comes

    def _answer(self, message: str) -> str | None:
        """The server's time for a page's clock ping; nothing for anything else."""
        try:
            ping = json.loads(message)
        except ValueError:
            return None
        if not isinstance(ping, dict) or ping.get("type") != "time":
            return None
        ident, t0 = ping.get("id"), ping.get("t0")
        if type(ident) is not int or type(t0) not in (int, float):
            return None
        return json.dumps({"type": "time", "id": ident, "t0": t0, "server_ms": self._now_ms()})


def _buffered(connection: ServerConnection) -> int:
    """Bytes written to a page's connection and not yet sent."""
    transport = connection.transport
    return 0 if transport is None else int(transport.get_write_buffer_size())


def _send_to_all(connections: list[ServerConnection], text: str) -> None:
    """One text frame, encoded and framed once, written as the same bytes to every page's socket.

    Pages have no extensions (no compression), so the frame is the same for
    all of them; websockets' own broadcast frames the message again for each.
    """
    frame = Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
    for connection in connections:
        transport = connection.transport
        if connection.protocol.state is OPEN and connection.send_in_progress is None and not transport.is_closing():
            transport.write(frame)


async def _close_stalled(connection: ServerConnection) -> None:
    """Close a page that does not read: a close frame if it gets through at once, else cut."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            await connection.close(BEHIND_CODE, BEHIND_REASON)
    connection.transport.abort()


def _page_of(request: Request) -> str | None:
    """Which page opened the stream, as it says with `page=` (None for a client that does not say)."""
    page = (parse_qs(urlsplit(request.path).query).get("page") or [""])[0]
    return page if page in (STAGE, COHOST) else None
