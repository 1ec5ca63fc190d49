"""Follow a room from the hub: `runofshow follow nats://HOST:4222/ROOM`.

The room's lines come from `room_lines` (the header, then each record,
caught up then live, each once and in order, whatever happens to the hub's
nodes) in a task of the follow screen's loop; the screen polls them into the
same Replayer as any follower. The controller's heartbeats carry its wall
clock, which corrects this machine's when the two disagree, as the
heartbeats of `run --serve` do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from runofshow.clock import Clock
from runofshow.domain.events import Event
from runofshow.domain.link import Link, LinkState, Via, control_state
from runofshow.errors import UserError
from runofshow.sync.follower import Follower
from runofshow.sync.hub.connect import REFUSED, HubCredentials, connect, split_room_url
from runofshow.sync.hub.names import beat_subject, journal_seq, stream_name
from runofshow.sync.hub.reader import RoomReader
from runofshow.sync.remote import SKEW_SAMPLES, CorrectedClock
from runofshow.words.text import literal

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg

#: How long the first connection to the hub may take before following gives up, in seconds.
FIRST_CONTACT_S = 10.0
#: A heartbeat whose wall clock is further than this from ours is ignored, in microseconds: anyone
#: who may publish to the hub can send one, and a clock moved by years would break every time shown.
MAX_SKEW_US = 24 * 3600 * 1_000_000


class HubFollower(Follower):
    """A room replayed from the hub's stream."""

    def __init__(self, url: str, clock: Clock, *, creds: HubCredentials | None = None) -> None:
        self.hub, self.room = split_room_url(url)
        self.url = url
        self.corrected = CorrectedClock(clock)
        super().__init__(url, self.corrected)
        self.creds = creds
        self._client: Client | None = None
        self._reader: RoomReader | None = None
        self._task: asyncio.Task[None] | None = None
        self._lines: list[bytes] = []
        self._arrived = asyncio.Event()
        self._skews: deque[int] = deque(maxlen=SKEW_SAMPLES)
        #: The stream's last sequence when we came: caught up once it has been read.
        self._target = 0
        #: Whether everything the hub had when we connected has arrived.
        self.caught_up = False
        #: When the controller's last heartbeat came (this machine's monotonic clock), or None before any:
        #: with the last record, what says the controller is silent.
        self.last_beat_mono: float | None = None

    async def first_contact(self, timeout: float = FIRST_CONTACT_S) -> bool:
        """Connect, start reading, and wait for the room's header; False if the room has no session yet."""
        why: list[str] = []
        refused = asyncio.Event()

        def failed(reason: str) -> None:
            why.append(reason)
            if reason == REFUSED:
                refused.set()  # a wrong password will not get better by trying again

        connecting = asyncio.create_task(
            connect(self.hub, self.creds, name=f"runofshow follower {self.room}", failed=failed)
        )
        refusal = asyncio.create_task(refused.wait())
        await asyncio.wait({connecting, refusal}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        refusal.cancel()
        if not connecting.done():
            connecting.cancel()
            with contextlib.suppress(BaseException):
                await connecting
            said = REFUSED if refused.is_set() else why[-1] if why else "no answer"
            raise UserError(f"cannot reach the hub at {self.hub}: {said}")
        self._client = connecting.result()
        import nats.js.errors

        with contextlib.suppress(nats.js.errors.NotFoundError, TimeoutError):
            info = await self._client.jetstream(timeout=2).stream_info(stream_name(self.room))
            self._target = info.state.last_seq
        self._reader = RoomReader(self._client, self.room)
        self._task = asyncio.create_task(self._read(self._reader))
        await self._client.subscribe(beat_subject(self.room), cb=self._beat)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not self._lines:
                    self._arrived.clear()
                    await self._arrived.wait()
        self.poll()
        return self.ready

    async def wait_for_room(self) -> None:
        """Wait until the room's first session arrives."""
        while not self.ready:
            self._arrived.clear()
            await self._arrived.wait()
            self.poll()

    async def _read(self, reader: RoomReader) -> None:
        async for line in reader.lines():
            self._lines.append(line)
            self._arrived.set()

    async def _beat(self, message: Msg) -> None:
        """A heartbeat: the controller's wall clock, for the correction."""
        try:
            wall = json.loads(message.data)["wall_us"]
        except (ValueError, KeyError, TypeError, RecursionError):
            return
        if not isinstance(wall, int) or isinstance(wall, bool):
            return
        skew = wall - self.corrected.base.read().wall_us
        if abs(skew) > MAX_SKEW_US:
            return  # not a clock anyone runs a session by: a beat published by someone else
        self.last_beat_mono = self.corrected.base.read().mono
        self._skews.append(skew)
        same = self.ready and self.header.boot is not None and self.header.boot == self.corrected.base.read().boot
        # Transit only ever makes the controller look behind: the largest sample is the best.
        self.corrected.offset_us = 0 if same else max(self._skews)

    def poll(self) -> Sequence[Event]:
        """Apply the lines received since the last poll, in order, each once."""
        lines, self._lines = self._lines, []
        applied: list[Event] = []
        for line in lines:
            if line.startswith(b'{"type":"header"') and self.ready:
                self.restart()  # the room's next session: replayed from its header
            applied += self.feed(line + b"\n")
        reader = self._reader
        if reader is not None and not self.caught_up and journal_seq(reader.last_sseq) >= journal_seq(self._target):
            self.caught_up = True
        return applied

    async def changes(self) -> AsyncIterator[None]:
        """Yield whenever lines arrive (the reader keeps going through the hub's failures)."""
        while True:
            self._arrived.clear()
            if self._task is not None and self._task.done():
                self._task.result()  # a bug in the reader: let it be seen
                return
            if not self._lines:
                try:
                    async with asyncio.timeout(2.0):
                        await self._arrived.wait()
                except TimeoutError:
                    pass  # the link's state may have changed: let the screen look
            yield

    async def close(self) -> None:
        """Stop reading and disconnect."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()

    def link(self) -> Link:
        """Which room on which hub, who runs the session there, and whether the hub answers."""
        last = self.engine.last_event_us if self.ready else None
        # Whoever controls the room since its last takeover, or the journal's owner.
        owner = (literal(self.engine.holder) if self.engine.holder else self.header.owner) if self.ready else None
        ended = self.ready and self.engine.ended
        state = control_state(ended=ended, last_type=self.last_type, held=None)
        problem = self.problem or (self._reader.problem if self._reader is not None else None)
        if self._client is not None and not self._client.is_connected:
            problem = "the hub does not answer; reconnecting"
        if state is LinkState.CONTROLLED and problem:
            state = LinkState.BROKEN
        shown = None if problem is None else literal(problem)
        return Link(state, Via.HUB, literal(self.url), owner, last, shown)
