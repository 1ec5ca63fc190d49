"""Follow a session served by another machine's `runofshow run --serve`.

The follower keeps the last `seq` it has applied. After a drop it reconnects
with backoff and asks for what came after that seq, so no record is missed or
applied twice. Heartbeats carry the server's wall clock, which corrects this
machine's clock when the two disagree.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections import deque
from collections.abc import AsyncIterator, Sequence
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, InvalidURI, WebSocketException
from websockets.frames import CloseCode

from runofshow.clock import Clock
from runofshow.domain.events import Event
from runofshow.domain.instants import Reading, parse_instant
from runofshow.domain.link import Link, LinkState, Via, control_state
from runofshow.errors import UserError
from runofshow.journal.codec import JournalError
from runofshow.sync.follower import Follower
from runofshow.words.text import literal

#: Waits before each reconnection attempt, in seconds; the last one repeats.
BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 4.0, 5.0)
#: How many heartbeats the clock correction looks back over.
SKEW_SAMPLES = 8


class CorrectedClock:
    """This machine's clocks, with the wall clock moved to agree with the server's."""

    def __init__(self, base: Clock) -> None:
        self.base = base
        self.offset_us = 0

    def read(self) -> Reading:
        """The base readings, wall time corrected."""
        reading = self.base.read()
        return Reading(reading.mono, reading.awake, reading.wall_us + self.offset_us, reading.boot)


def split_url(url: str, token: str | None) -> tuple[str, str]:
    """Check a ws:// or wss:// URL and take the token from it or from `token`."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        raise UserError(f"{url}: the port must be a number, as in ws://HOST:8765") from None
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise UserError(f"{url}: not a follow address; use ws://HOST:PORT (or wss://)")
    query = parse_qs(parts.query)
    found = token or next(iter(query.get("token", [])), None)
    if not found:
        raise UserError(f"{url}: a token is needed; copy the whole follow command from the moderator's screen")
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
    return bare, found


class RemoteFollower(Follower):
    """A session replayed from a WebSocket stream."""

    def __init__(
        self, url: str, token: str | None, clock: Clock, *, cafile: str | None = None, stage: bool = False
    ) -> None:
        self.url, self.token = split_url(url, token)
        #: Ask for the stage's feed (`/stage`), which the speakers' token may read too.
        self.stage = stage
        self.corrected = CorrectedClock(clock)
        super().__init__(self.url, self.corrected)
        self.cafile = cafile
        self._records: list[tuple[dict[str, object], bytes]] = []
        self._skews: deque[int] = deque(maxlen=SKEW_SAMPLES)
        self._connection: ClientConnection | None = None
        self._resync = False
        self.connected = False
        self.attempts = 0
        #: Whether everything the server had when we connected has arrived.
        self.caught_up = False

    def _address(self) -> str:
        since = self.engine.seq if self.ready else 0
        url = self.url.rstrip("/") + "/stage" if self.stage else self.url
        return f"{url}?{urlencode({'token': self.token, 'since': since})}"

    def _ssl(self) -> ssl.SSLContext | None:
        if not self.url.startswith("wss:"):
            return None
        return ssl.create_default_context(cafile=self.cafile)

    async def _open(self) -> ClientConnection:
        try:
            return await connect(self._address(), ssl=self._ssl(), open_timeout=5, max_size=2**24, ping_interval=20)
        except InvalidStatus as error:
            code = error.response.status_code
            if code == 401:
                raise UserError(
                    f"{self.url}: the server refused the token (HTTP 401); check it on the moderator's screen"
                ) from None
            if code == 403:
                raise UserError(f"{self.url}: the server refused this client (HTTP 403)") from None
            if code == 503:
                raise UserError(f"{self.url}: the server has as many followers as it takes (HTTP 503)") from None
            raise UserError(f"{self.url}: the server answered HTTP {code}, not a runofshow session") from None
        except InvalidURI:
            raise UserError(f"{self.url}: not a valid address") from None

    async def first_contact(self, timeout: float = 10.0) -> None:
        """Connect once and wait for the header; a refusal or no answer is a UserError."""
        try:
            connection = await asyncio.wait_for(self._open(), timeout)
        except (OSError, TimeoutError, WebSocketException) as error:
            raise UserError(f"cannot reach {self.url}: {_reason(error)}") from None
        self._connection = connection
        try:
            while not self.ready:
                message = await asyncio.wait_for(connection.recv(), timeout)
                self._take(message)
                self.poll()
        except (TimeoutError, WebSocketException, OSError) as error:
            await connection.close()
            raise UserError(f"{self.url}: no session came from the server ({_reason(error)})") from None
        self.connected = True

    def _take(self, message: str | bytes) -> None:
        """Queue one message: records for the engine, heartbeats for the clock. The only parse of each."""
        data = message.encode() if isinstance(message, str) else message
        try:
            record = json.loads(data)
        except ValueError:
            self.problem = "the server sent something that is not a journal record"
            return
        if not isinstance(record, dict):
            return
        if record.get("type") == "heartbeat":
            self.caught_up = True  # the server sends one right after the catch-up
            try:
                wall = parse_instant(record["wall"])
            except (ValueError, KeyError, TypeError):
                return
            self._skews.append(wall - self.corrected.base.read().wall_us)
            # Transit only ever makes the server look behind: the largest sample is the best.
            self.corrected.offset_us = max(self._skews) if self._same_machine() is False else 0
            return
        self._records.append((record, data))

    def _same_machine(self) -> bool | None:
        if not self.ready:
            return None
        return self.header.boot is not None and self.header.boot == self.corrected.base.read().boot

    def poll(self) -> Sequence[Event]:
        """Apply the records received since the last poll, each exactly once and in order."""
        records, self._records = self._records, []
        applied: list[Event] = []
        for record, line in records:
            if record.get("type") == "header":
                if self.ready and record.get("session") == self.header.session_id:
                    continue
                if self.ready:
                    # Another session behind the same address: this connection asked for the old
                    # one's records after its seq, so ask again from the start.
                    self._resync = True
                self.restart()
                applied += self._apply(line, record)
                continue
            if not self.ready:
                continue
            seq = record.get("seq")
            if not isinstance(seq, int) or seq <= self.engine.seq:
                continue  # already applied (a reconnect's catch-up overlaps)
            if seq != self.engine.seq + 1 or self._resync:
                # Keep showing what we have; reconnecting asks for everything after it.
                self.problem = f"record {seq} arrived after {self.engine.seq}; catching up"
                self._resync = True
                continue
            applied += self._apply(line, record)
        return applied

    def _apply(self, line: bytes, record: dict[str, object]) -> list[Event]:
        """Apply one record as parsed by `_take`, not parsed again; a corrupt one becomes `problem`, as in `feed`."""
        try:
            event = self.replayer.take(line, record)
        except JournalError as error:
            self.problem = str(error)
            return []
        if event is None:
            return []
        self.last_type = event.type
        return [event]

    async def changes(self) -> AsyncIterator[None]:
        """Yield whenever records arrive; keep reconnecting while the server is away."""
        connection, self._connection = self._connection, None
        while True:
            if connection is None:
                if self.attempts:
                    await asyncio.sleep(BACKOFF_S[min(self.attempts - 1, len(BACKOFF_S) - 1)])
                self.attempts += 1
                try:
                    # Not wait_for: on Python 3.11 it swallows a cancel that comes as the connection opens.
                    async with asyncio.timeout(10):
                        connection = await self._open()
                except (OSError, TimeoutError, WebSocketException, UserError) as error:
                    self.problem = f"connection lost, reconnecting (attempt {self.attempts}): {_reason(error)}"
                    yield
                    continue
                self.connected = True
                self.attempts = 0
                self.problem = None
                yield
            try:
                async for message in connection:
                    was_caught_up = self.caught_up
                    self._take(message)
                    if self._records or self.caught_up != was_caught_up:
                        yield
                    if self._resync:
                        self._resync = False
                        await connection.close()
                        break
            except (WebSocketException, OSError):
                pass
            self.connected = False
            closed, connection = connection, None
            if self.ready and self.engine.ended:
                self.problem = None  # nothing more will come: stop knocking
                yield
                return
            if closed.close_code == CloseCode.TRY_AGAIN_LATER:
                # Dropped for falling behind: catch up again from our seq, at once.
                self.problem = f"the server dropped this follower ({literal(closed.close_reason)}); catching up"
            else:
                self.problem = "connection lost, reconnecting"
            yield

    def link(self) -> Link:
        """Which server, who runs the session there, and whether the connection is up."""
        last = self.engine.last_event_us
        # The header's words (made literal by Follower.header), or the last takeover's controller.
        owner = self.header.owner if self.engine.holder is None else literal(self.engine.holder)
        # No lock to look at from here: the last record says whether the moderator quit.
        state = control_state(ended=self.engine.ended, last_type=self.last_type, held=None)
        if state is LinkState.CONTROLLED and self.problem:
            state = LinkState.BROKEN
        # Everything here came over the socket or could have: only literal text goes to a screen.
        problem = None if self.problem is None else literal(self.problem)
        return Link(state, Via.NETWORK, literal(self.url), owner, last, problem)


def _reason(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer"
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate verify failed ({error.verify_message}); trust the server's certificate with --cafile"
    if isinstance(error, ssl.SSLError):
        return f"the secure connection failed ({error.reason or error}); check wss:// and --cafile"
    if isinstance(error, ConnectionResetError):
        return "the server closed the connection at once (ws:// against a wss:// server, or the other way round?)"
    if isinstance(error, ConnectionRefusedError) or "Connect call failed" in str(error):
        return "connection refused (is 'runofshow run --serve' running there?)"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
