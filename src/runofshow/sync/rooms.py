"""Many rooms at once, for the board: each a follower that also says when its controller was last heard of.

A room is followed the way `follow` follows one session: over a WebSocket
from a `run --serve` (or `serve`) link, or from a hub, where its journal is a
JetStream stream and its controller beats on a core NATS subject. Either way
the records are replayed by the same Replayer and fold, so the board shows
only what each room's own journal says.

A room is *heard of* when a record or a heartbeat arrives: over a WebSocket
the server's heartbeats (every 2 s; the server of `run --serve` dies with its
controller), from a hub the controller's own beats. `quiet_s` is how long ago
that was, by this machine's monotonic clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from urllib.parse import urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection

from runofshow.clock import Clock
from runofshow.domain.events import Event
from runofshow.domain.link import Link, LinkState, Via, control_state
from runofshow.errors import UserError
from runofshow.sync.follower import Follower
from runofshow.sync.hub.connect import HubCredentials
from runofshow.sync.hub.names import BEAT_PREFIX, ROOM_PATTERN
from runofshow.sync.hub.reader import header_session, list_rooms, room_lines
from runofshow.sync.remote import RemoteFollower, split_url
from runofshow.words.text import literal


class LineFollower(Follower):
    """A room replayed from journal lines handed to it (a hub's stream): the header, then each record."""

    def __init__(self, name: str, clock: Clock, *, room: str | None = None) -> None:
        super().__init__(name, clock)
        #: What the board calls this room.
        self.room = room or name
        self._lines: list[bytes] = []
        self._heard: float | None = None
        self._restart = False

    def take_line(self, line: bytes) -> None:
        """Queue one journal line (without its newline), from any code in this loop; `poll` applies it.

        A second header means the room holds another session now: it is replayed from its start.
        """
        if header_session(line) is not None and (self.ready or self._lines):
            self._lines = []
            self._restart = True
        self._lines.append(line.rstrip(b"\n") + b"\n")
        self.beat()

    def beat(self) -> None:
        """The room's controller said it is alive."""
        self._heard = self.clock.read().mono

    def quiet_s(self) -> float | None:
        """Seconds since the controller was last heard of; None if it never was."""
        return None if self._heard is None else self.clock.read().mono - self._heard

    def poll(self) -> Sequence[Event]:
        """Apply the lines taken since the last poll."""
        lines, self._lines = self._lines, []
        if self._restart:
            self._restart = False
            self.restart()
        return self.feed(b"".join(lines)) if lines else []

    def link(self) -> Link:
        """The hub's copy of the room: who writes it and when the last record came."""
        last = self.engine.last_event_us if self.ready else None
        problem = None if self.problem is None else literal(self.problem)
        state = control_state(ended=self.ready and self.engine.ended, last_type=self.last_type, held=None)
        if problem is not None and state is LinkState.CONTROLLED:
            state = LinkState.BROKEN
        owner = self.header.owner if self.ready else None
        return Link(state, Via.NETWORK, literal(self.name), owner, last, problem)


class WsRoom(RemoteFollower):
    """A room followed over a WebSocket link; every message from its server counts as hearing of it."""

    def __init__(
        self, url: str, token: str | None, clock: Clock, *, cafile: str | None = None, name: str | None = None
    ) -> None:
        super().__init__(url, token, clock, cafile=cafile)
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/")
        #: What the board calls this room: the name given with the link, else host:port and any path.
        self.room = name or f"{parts.netloc}{path}"
        self._heard: float | None = None
        #: Whether the server answered and refused (a wrong key, not a session): not worth waiting for.
        self.refused = False

    async def _open(self) -> ClientConnection:
        try:
            return await super()._open()
        except UserError:
            self.refused = True
            raise

    def _take(self, message: str | bytes) -> None:
        self._heard = self.corrected.base.read().mono
        super()._take(message)

    def quiet_s(self) -> float | None:
        """Seconds since the server last sent anything (its heartbeats come every 2 s); None if it never did."""
        return None if self._heard is None else self.corrected.base.read().mono - self._heard


def split_link(link: str) -> tuple[str, str | None]:
    """A follow link as `follow` takes it, or with the key after `#` as the pages' links have it: (url, token)."""
    parts = urlsplit(link)
    token = parts.fragment or None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, "")), token


def named_link(link: str) -> tuple[str | None, str]:
    """`NAME=LINK` as (NAME, LINK); a bare link as (None, LINK)."""
    name, equals, rest = link.partition("=")
    if equals and "://" in rest and ROOM_PATTERN.fullmatch(name):
        return name, rest
    return None, link


def ws_rooms(links: Sequence[str], clock: Clock, *, cafile: str | None = None) -> list[WsRoom]:
    """One room per link (`[NAME=]ws://HOST:PORT/#KEY`); a bad link is a UserError before anything connects."""
    rooms = []
    for given in links:
        name, link = named_link(given)
        url, token = split_link(link)
        split_url(url, token)  # refuses http:// and a link with no key, in one line
        rooms.append(WsRoom(url, token, clock, cafile=cafile, name=name))
    return rooms


class Rooms:
    """The rooms on a board, and one stream of "something changed" for all of them.

    `rooms` is the live list the screen reads each tick; a hub may add rooms to it as they appear.
    """

    def __init__(self) -> None:
        self.rooms: list[LineFollower | WsRoom] = []
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        #: Called (in this loop) on every piece of news, besides waking `changes` (e.g. the board's page).
        self.listeners: list[Callable[[], None]] = []

    def changed(self) -> None:
        """Say that some room has news (in this loop)."""
        self._changed.set()
        for listener in self.listeners:
            listener()

    def run(self, work: AsyncIterator[None] | Callable[[], AsyncIterator[None]]) -> None:
        """Run one room's feed in a task: each of its yields is news."""

        async def drive() -> None:
            iterator = work() if callable(work) else work
            with contextlib.suppress(asyncio.CancelledError):
                async for _ in iterator:
                    self.changed()

        task = asyncio.get_running_loop().create_task(drive())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def changes(self) -> AsyncIterator[None]:
        """Yield whenever any room has news."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            yield

    async def close(self, timeout: float = 2.0) -> None:
        """Stop every feed; one that does not stop within `timeout` (a hub not answering its goodbye) is left."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)


async def connect_ws(rooms: Rooms, found: Sequence[WsRoom], *, timeout: float = 10.0) -> None:
    """Reach every link once, together, then follow each.

    A link whose server refuses it (a wrong key) is a UserError at once; a
    server that does not answer yet is shown waiting, and tried again.
    """
    results = await asyncio.gather(*(room.first_contact(timeout) for room in found), return_exceptions=True)
    for room, result in zip(found, results):
        if isinstance(result, UserError) and not room.refused:
            room.problem = str(result)
        elif isinstance(result, BaseException):
            raise result
    for room in found:
        rooms.rooms.append(room)
        rooms.run(room.changes)


#: How often the board asks the hub whether rooms were added.
ROOMS_EVERY_S = 5.0


async def follow_hub(
    rooms: Rooms, url: str, clock: Clock, *, creds: HubCredentials | None = None, every_s: float = ROOMS_EVERY_S
) -> None:
    """Follow every room on the hub, and each room added later, with its controller's heartbeats; until cancelled."""
    from runofshow.sync.hub.connect import connect

    found: dict[str, LineFollower] = {}
    client = await connect(url, creds, name="runofshow board")

    async def heard(message: object) -> None:
        room = getattr(message, "subject", "")[len(BEAT_PREFIX) :]
        follower = found.get(room)
        if follower is not None:
            follower.beat()
            rooms.changed()

    try:
        await client.subscribe(BEAT_PREFIX + "*", cb=heard)
        while True:
            try:
                names = await list_rooms(url, creds=creds)
            except Exception:  # the hub away for a while: the rooms already followed wait for it themselves
                names = []
            for name in names:
                if name in found or not ROOM_PATTERN.fullmatch(name):
                    continue
                follower = LineFollower(name, clock, room=name)
                found[name] = follower
                rooms.rooms.append(follower)
                rooms.run(_room_feed(follower, url, creds))
            rooms.changed()
            await asyncio.sleep(every_s)
    finally:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2.0):  # a hub that does not answer must not hold the board's exit
                await client.close()


async def _room_feed(follower: LineFollower, url: str, creds: HubCredentials | None) -> AsyncIterator[None]:
    async for line in room_lines(url, follower.room, creds=creds):
        follower.take_line(line)
        yield
