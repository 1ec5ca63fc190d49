"""Reading rooms from the hub: a room's journal lines, caught up then live, and the list of rooms.

`room_lines` is what every reader of the hub stands on (a follower, a serve
process, the board). It yields the room's header line first, then each
record line after `after_seq`, in seq order, each once, forever: nodes
that die, a hub that goes away for a while, a client that reconnects to
another node, none of these make it skip or repeat a record, because it
keeps the last stream sequence it yielded and asks again from the next one.

It reads through an ordered consumer (ephemeral, flow-controlled, with
idle heartbeats, recreated from the next sequence whenever a gap or a
silence shows), and checks every message against what it expects: the next
stream sequence, and the `Nats-Msg-Id` of the session whose header it
yielded. When the room's stream starts holding another session (the room's
next session replaced it), it yields that session's header and its records
from the first: a reader that sees a second header starts again, as a
follower does when a journal file is replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from runofshow.sync.hub.connect import HubCredentials, connect
from runofshow.sync.hub.names import journal_seq, room_of_stream, stream_name, stream_seq, subject

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js.client import JetStreamContext

__all__ = ["list_rooms", "room_lines", "RoomReader"]

#: How often the consumer's server says it is alive when there is nothing to send, in seconds.
IDLE_HEARTBEAT_S = 1.0
#: A silence this long while the stream has more makes the reader make its consumer again.
STALL_S = 3.0
#: Each time that happens in a row, the silence it waits for doubles, up to this: a hub too busy to
#: deliver in time is not made busier by consumers made again and again.
MAX_STALL_S = 30.0
#: Wait between looks for a room's stream that does not exist yet, or a hub that does not answer.
RETRY_S = 0.5
#: How long one request to the hub may take, in seconds.
REQUEST_S = 1.0


def header_session(line: bytes) -> str | None:
    """The session id a header line carries, or None if it is not a header."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # anyone who may publish to the room can put anything there
        return None
    if not isinstance(record, dict) or record.get("type") != "header":
        return None
    session = record.get("session")
    return session if isinstance(session, str) else None


class RoomReader:
    """One room read from the hub; `lines()` is `room_lines`. Its state says how the reading goes."""

    def __init__(self, client: Client, room: str, *, after_seq: int = 0) -> None:
        self.client = client
        self.room = room
        self.stream = stream_name(room)
        self.subject = subject(room)
        self.after_seq = after_seq
        #: The header yielded, and its session id; None before it is read.
        self.header: bytes | None = None
        self.session: str | None = None
        #: The last stream sequence yielded (1: the header).
        self.last_sseq = 0
        #: How many times the consumer was made again (node deaths, gaps, silences).
        self.resets = 0
        #: What went wrong last (a missing stream, an unreachable hub), or None.
        self.problem: str | None = None
        #: The silence that makes the consumer be made again (see MAX_STALL_S).
        self.stall_s = STALL_S

    async def _read_header(self, js: JetStreamContext) -> bytes | None:
        """The stream's first message, or None while there is no stream (or no hub) to read it from."""
        import nats.errors
        import nats.js.errors

        try:
            message = await js.get_msg(self.stream, 1)
        except nats.js.errors.NotFoundError:
            self.problem = f"room {self.room} has no session on the hub yet"
            return None
        except (nats.errors.Error, TimeoutError, OSError) as error:
            self.problem = f"the hub does not answer ({type(error).__name__})"
            return None
        return bytes(message.data or b"")

    async def lines(self) -> AsyncIterator[bytes]:
        """The header line, then each record line after `after_seq`, in order, each once, forever."""
        js = self.client.jetstream(timeout=REQUEST_S)
        while True:
            header = await self._read_header(js)
            if header is None:
                await asyncio.sleep(RETRY_S)
                continue
            if header != self.header:
                new_session = self.header is not None
                self.header, self.session = header, header_session(header)
                self.problem = None
                yield header
                # A new session in the room: all of its records, whatever was asked for the old one.
                self.last_sseq = 1 if new_session else max(1, stream_seq(self.after_seq))
            async for line in self._records(js):
                yield line

    async def _records(self, js: JetStreamContext) -> AsyncIterator[bytes]:
        """Records after `last_sseq` until something says to look at the header again (a stall, another session)."""
        import nats.errors
        import nats.js.errors
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        queue: asyncio.Queue[Any] = asyncio.Queue()

        async def take(message: Any) -> None:
            queue.put_nowait(message)

        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self.last_sseq + 1,
            ack_policy=AckPolicy.NONE,
            mem_storage=True,
            num_replicas=1,
            inactive_threshold=30.0,
        )
        try:
            subscription = await js.subscribe(
                self.subject,
                stream=self.stream,
                ordered_consumer=True,
                idle_heartbeat=IDLE_HEARTBEAT_S,
                config=config,
                cb=take,
            )
        except nats.js.errors.NotFoundError:
            return
        except (nats.errors.Error, TimeoutError, OSError) as error:
            self.problem = f"the hub does not answer ({type(error).__name__})"
            await asyncio.sleep(RETRY_S)
            return
        try:
            while True:
                try:
                    message = await asyncio.wait_for(queue.get(), self.stall_s)
                except TimeoutError:
                    if await self._moved_on(js):
                        return
                    continue
                meta = message.metadata
                sseq = meta.sequence.stream
                if sseq <= self.last_sseq:
                    continue  # sent again after a reset: already yielded
                msg_id = (message.headers or {}).get("Nats-Msg-Id", "")
                session, _, seq_text = msg_id.rpartition(":")
                gap = sseq != self.last_sseq + 1
                if gap or (self.session and session != self.session):
                    # A gap, or another session's record: look at the stream again from the header.
                    self.resets += 1
                    if await self._read_header(js) != self.header:
                        return  # the room's next session (or no hub to ask): start from its header
                    # The same session: a record deleted, or a line published by someone else. Reading
                    # again would find the same thing, forever: say so once and go past it.
                    if gap:
                        self.problem = f"room {self.room}: records {journal_seq(self.last_sseq + 1)} to {journal_seq(sseq - 1)} are missing on the hub"
                    else:
                        self.problem = (
                            f"room {self.room}: stream message {sseq} is not a record of this session; skipped"
                        )
                        self.last_sseq = sseq
                        continue
                elif seq_text != str(journal_seq(sseq)):
                    self.problem = f"room {self.room}: stream message {sseq} is not record {journal_seq(sseq)}"
                else:
                    self.problem = None
                self.last_sseq = sseq
                self.stall_s = STALL_S
                yield bytes(message.data)
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _moved_on(self, js: JetStreamContext) -> bool:
        """After a silence: whether to start the consumer again (stream gone, replaced, or ahead of us)."""
        import nats.errors
        import nats.js.errors

        try:
            info = await js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            return True
        except (nats.errors.Error, TimeoutError, OSError) as error:
            self.problem = f"the hub does not answer ({type(error).__name__})"
            return False
        self.problem = None
        if info.state.first_seq > 1 or info.state.last_seq < self.last_sseq:
            return True  # not the stream we were reading
        if info.state.last_seq > self.last_sseq:
            self.resets += 1  # records there that the consumer has not brought: a consumer lost with its node
            self.stall_s = min(self.stall_s * 2, MAX_STALL_S)
            return True
        return False


async def room_lines(
    url: str, room: str, *, after_seq: int = 0, creds: HubCredentials | None = None
) -> AsyncIterator[bytes]:
    """Room `room`'s header line, then each record line after `after_seq` (catch-up, then live, forever).

    Lines are the journal's bytes without the newline. The hub may come and
    go: this waits for it, and for a room that has no stream yet.
    """
    client = await connect(url, creds, name=f"runofshow reader {room}")
    try:
        async for line in RoomReader(client, room, after_seq=after_seq).lines():
            yield line
    finally:
        with contextlib.suppress(Exception):
            await client.close()


async def list_rooms(url: str, *, creds: HubCredentials | None = None) -> list[str]:
    """Every room that has a stream on the hub, sorted by name."""
    client = await connect(url, creds, name="runofshow rooms")
    try:
        js = client.jetstream(timeout=REQUEST_S)
        names = await js.streams_info()
        rooms = {room_of_stream(info.config.name or "") for info in names}
        return sorted(room for room in rooms if room is not None)
    finally:
        with contextlib.suppress(Exception):
            await client.close()
