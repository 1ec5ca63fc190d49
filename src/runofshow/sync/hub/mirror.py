"""The moderator's journal mirrored into the room's stream on the hub, in a thread of its own.

The file journal stays the source of truth: the mirror only copies what is
already on disk. The journal writer's thread hands it each durable record
(`notify`, subscribed with `Delivery.WRITER_THREAD`), which only appends to
a queue and wakes the mirror's own asyncio loop: the moderator's screen never
waits for the hub, whether it answers, is slow, or is gone.

The mirror's loop:

- connects (trying again for ever) and makes sure the room's stream holds
  this session: it creates the stream (three replicas on a cluster, one on
  a single server) and publishes the header; or, when `run` comes back to a
  session, goes on after the stream's last record, having checked that the
  stream's copy of that record is this journal's;
- publishes every record after the hub's last one, one at a time and in
  order, each with `Nats-Expected-Last-Sequence` and `Nats-Msg-Id`; a
  record whose acknowledgement was lost is sent again and stored once;
- says every 2 s on `runofshow-beat.<room>` that the controller is alive,
  and puts the room's token hashes in the `runofshow_tokens` bucket, for the
  serve processes to admit its links;
- given the session's bus (`commands`), answers the control API's requests
  on `runofshow-control.<room>` (from `serve --hub`): each is published on the
  bus as an `Inbound`, carried out by the screen as a key, and answered (by
  `session.inbound.Answers`, from the writer's thread or the screen's loop)
  once its record is on disk; the reply is handed to this loop, never awaited
  there. A fenced controller stops answering, so the room's new one is heard.

When the stream holds a record this journal does not have at that seq, or
refuses a publish on the expected sequence, another controller writes to
the room (a co-host took over): the health becomes FENCED, saying who (the
actor of that first foreign record, else its session's owner) and when, the
mirror publishes nothing more, and `unpublished()` gives the lines the hub
refused. What the screen does then is not decided here.

A room whose stream holds another session is replaced by this one only if
that session has ended, or its last record is older than `STALE_US` (12 h,
as `run` resumes a session): a forum's room runs one session after another.
A session still going on there is never overwritten: the health is IN_USE
and nothing is published (choose another `--room`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runofshow.clock import Clock
from runofshow.domain.commands import CommandError
from runofshow.domain.instants import parse_instant
from runofshow.domain.link import HubHealth, HubState
from runofshow.journal.codec import MAX_LINE_BYTES
from runofshow.secrets import Token, token
from runofshow.session.bus import Answer, Bus, Delivery, DurableRecord, Inbound
from runofshow.session.inbound import command_of, reply_of
from runofshow.sync.hub.connect import HubCredentials, connect, reason
from runofshow.sync.hub.names import (
    beat_subject,
    control_subject,
    journal_seq,
    message_id,
    stream_name,
    stream_seq,
    subject,
)

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.aio.subscription import Subscription
    from nats.js.client import JetStreamContext

    from runofshow.session.controller import Controller

__all__ = ["HubHealth", "HubMirror", "HubState", "TOKENS_BUCKET", "mirror_controller", "room_token_hashes"]

#: The key-value bucket that holds each room's token hashes.
TOKENS_BUCKET = "runofshow_tokens"
#: How often the controller says it is alive, in seconds.
BEAT_S = 2.0
#: How long one request to the hub may take before it is tried again, in seconds.
REQUEST_S = 2.0
#: Waits before trying again after a failure, in seconds; the last one repeats.
BACKOFF_S = (0.1, 0.25, 0.5, 1.0, 2.0)
#: A room's other session is replaced once its last record is this old (µs): `run` stops resuming it then.
STALE_US = 12 * 3600 * 1_000_000
#: How many replicas a room's stream has on a cluster.
REPLICAS = 3
#: JetStream's error code for a publish whose expected last sequence is not the stream's.
WRONG_LAST_SEQUENCE = 10071
#: JetStream's error code for replicas asked of a server that is not in a cluster.
NOT_CLUSTERED = 10074


def room_token_hashes(journal: Path) -> dict[str, str]:
    """The SHA-256 of the session's co-host, stage and control tokens, as the tokens bucket holds them."""
    kinds = {"session": Token.SESSION, "stage": Token.STAGE, "control": Token.CONTROL}
    return {name: hashlib.sha256(token(journal, kind).encode()).hexdigest() for name, kind in kinds.items()}


class Fenced(Exception):
    """Another controller wrote to the room: who and when, as the stream says."""

    def __init__(self, by: str | None, since_us: int | None) -> None:
        super().__init__(by)
        self.by = by
        self.since_us = since_us


class InUse(Exception):
    """The room's stream holds another session that is still going on."""

    def __init__(self, by: str | None, since_us: int | None) -> None:
        super().__init__(by)
        self.by = by
        self.since_us = since_us


def _fields(line: bytes) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return {}
    return record if isinstance(record, dict) else {}


def _wall_us(record: Mapping[str, Any]) -> int | None:
    try:
        return parse_instant(str(record["wall"]))
    except (KeyError, ValueError, TypeError):
        return None


def _owner(header: Mapping[str, Any]) -> str | None:
    user, host = header.get("user"), header.get("host")
    return f"{user}@{host}" if isinstance(user, str) and isinstance(host, str) else None


class HubMirror:
    """Copies a controller's durable records into its room's stream, never in the controller's way."""

    def __init__(
        self,
        url: str,
        room: str,
        journal_path: Path,
        header_line: bytes,
        session_id: str,
        durable_seq: int,
        clock: Clock,
        creds: HubCredentials | None = None,
        *,
        token_hashes: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url
        self.room = room
        self.path = Path(journal_path)
        self.header_line = header_line.rstrip(b"\n")
        self.session = session_id
        self.clock = clock
        self.creds = creds
        self.stream = stream_name(room)
        self.subject = subject(room)
        #: The room's token hashes, put in the tokens bucket once the hub answers.
        self.tokens = dict(token_hashes) if token_hashes is not None else room_token_hashes(self.path)
        #: The last seq on disk, as the writer told it (or as it was when the mirror was made).
        self.durable = durable_seq
        #: The last seq the hub acknowledged (-1: not even the header yet, or not known).
        self.acked = -1
        self._lines: dict[int, bytes] = {}
        self._inbox: deque[tuple[int, bytes]] = deque()
        self._inbox_lock = threading.Lock()
        self._refused: list[tuple[int, bytes]] = []
        self._health = HubHealth(HubState.UNREACHABLE, room, durable_seq + 1)
        self._watchers: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._closing = False
        self._thread: threading.Thread | None = None
        self._client: Client | None = None
        self._started = threading.Event()
        #: The session's bus, to take the control API's commands on (None: the mirror takes none).
        self.commands: Bus | None = None

    # -- any thread ----------------------------------------------------------------

    def start(self) -> None:
        """Start the mirror's thread and loop; returns at once, whether the hub answers or not."""
        self._thread = threading.Thread(target=self._run, name="runofshow-hub-mirror", daemon=True)
        self._thread.start()
        self._started.wait(5)

    def notify(self, record: DurableRecord) -> None:
        """A record is on disk (the writer's thread): queue it and wake the loop; never blocks."""
        with self._inbox_lock:  # held for an append: never long
            self._inbox.append((record.seq, record.line.rstrip(b"\n")))
            self.durable = max(self.durable, record.seq)
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                loop.call_soon_threadsafe(wake.set)

    def health(self) -> HubHealth:
        """Where the room's copy stands now; cheap, for every tick."""
        health = self._health
        if health.state in (HubState.FENCED, HubState.IN_USE):
            return health
        behind = max(0, self.durable - self.acked)
        if health.state is HubState.OK:
            return HubHealth(HubState.BEHIND, self.room, behind) if behind else health
        return HubHealth(health.state, self.room, behind, problem=health.problem)

    def watch(self, changed: Callable[[], None]) -> None:
        """Call `changed` (from the mirror's thread: quick, thread-safe) whenever `health()` changes."""
        self._watchers.append(changed)

    def unpublished(self) -> list[bytes]:
        """Once FENCED: the lines the hub refused, and every record written since (none is sent any more)."""
        with self._inbox_lock:
            if self._health.state is not HubState.FENCED:
                return []
            newest = self._refused[-1][0] if self._refused else self.acked
            return [line for _, line in self._refused] + [line for seq, line in self._inbox if seq > newest]

    def close(self, timeout: float = 2.0) -> None:
        """Send what is left for up to `timeout` seconds, then stop; what is still unsent stays in the journal."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not self._closing:
            self._closing = True
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._close_soon, timeout)
        if self._thread is not None:
            self._thread.join(timeout + 2.0)

    # -- the mirror's thread -------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main(loop))
        finally:
            self._loop = None
            loop.close()

    def _close_soon(self, timeout: float) -> None:
        assert self._wake is not None and self._stop is not None
        self._wake.set()
        if self._health.state in (HubState.FENCED, HubState.IN_USE):
            self._stop.set()  # nothing will be sent (fenced, or in use): no reason to wait
            return
        asyncio.get_running_loop().call_later(timeout, self._stop.set)

    def _set(self, health: HubHealth) -> None:
        if health == self._health:
            return
        self._health = health
        self._tell()

    def _tell(self) -> None:
        for changed in list(self._watchers):
            with contextlib.suppress(Exception):  # a watcher that fails must not stop the mirror
                changed()

    async def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        self._wake, self._stop = asyncio.Event(), asyncio.Event()
        self._loop = loop
        self._started.set()
        work = asyncio.create_task(self._work())
        stop = asyncio.create_task(self._stop.wait())
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        if work.done() and not work.cancelled() and work.exception() is not None:
            # A bug, not the hub: the screen must not go on saying the hub is fine.
            error = work.exception()
            self._set(HubHealth(HubState.UNREACHABLE, self.room, problem=f"the mirror stopped: {error!r}"))
        for task in (work, stop):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        if self._client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._client.close(), 1.0)

    async def _work(self) -> None:
        async def disconnected() -> None:
            if self._health.state not in (HubState.FENCED, HubState.IN_USE):
                self._set(HubHealth(HubState.UNREACHABLE, self.room, max(0, self.durable - self.acked)))

        async def reconnected() -> None:
            assert self._wake is not None
            self._wake.set()

        self._client = client = await connect(
            self.url,
            self.creds,
            name=f"runofshow controller {self.room}",
            disconnected=disconnected,
            reconnected=reconnected,
            failed=self._failed,
        )
        js = client.jetstream(timeout=REQUEST_S)
        beats = asyncio.create_task(self._beat(client))
        tokens: asyncio.Task[None] | None = None
        listening: Subscription | None = None
        try:
            await self._retrying(lambda: self._claim(js))
            if self.commands is not None:  # only once the room's stream holds this session
                listening = await self._retrying(
                    lambda: client.subscribe(control_subject(self.room), cb=self._on_command)
                )
            # Beside the records, never before them: a hub that will not take the tokens (permissions, say)
            # must not hold the journal back.
            tokens = asyncio.create_task(self._put_tokens_retrying(js))
            await self._publish_all(js)
        except Fenced as fenced:
            self._pending()  # what only the file has, read outside the lock
            with self._inbox_lock:
                self._drain()
                self._refused = sorted((seq, line) for seq, line in self._lines.items() if seq > self.acked)
                self._health = HubHealth(HubState.FENCED, self.room, 0, fenced.by, fenced.since_us)
            self._tell()
        except InUse as in_use:
            self._set(HubHealth(HubState.IN_USE, self.room, 0, in_use.by, in_use.since_us))
        finally:
            if listening is not None:  # fenced: the room's new controller answers now
                with contextlib.suppress(Exception):
                    await listening.unsubscribe()
            for task in (beats, tokens):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
        await asyncio.Event().wait()  # fenced or in use: nothing more to do until closed

    async def _on_command(self, msg: Msg) -> None:
        """A command from the control API: published on the bus; its answer is sent back once on disk."""
        loop = asyncio.get_running_loop()

        def answer(given: Answer) -> None:  # any thread (the writer's, the screen's loop): never blocks
            data = json.dumps(reply_of(given)).encode()
            with contextlib.suppress(RuntimeError):  # the loop has closed: the sender times out
                asyncio.run_coroutine_threadsafe(msg.respond(data), loop)

        bus = self.commands
        if bus is None or self._health.state in (HubState.FENCED, HubState.IN_USE):
            answer(Answer(False, code=503, error="this controller no longer runs the room"))
            return
        message = _fields(msg.data)
        try:
            command = command_of(message)
        except CommandError as error:
            answer(Answer(False, code=400, error=str(error)))
            return
        if command is None:
            answer(Answer(False, code=400, error="not a command"))
            return
        bus.commands.publish(Inbound(command, answer))

    def _failed(self, why: str) -> None:
        """The client could not reach a server, or was refused: the status line says why."""
        if self._health.state not in (HubState.FENCED, HubState.IN_USE):
            self._set(HubHealth(HubState.UNREACHABLE, self.room, problem=why))

    async def _retrying(self, step: Callable[[], Any]) -> Any:
        """Run `step` until it succeeds; Fenced and InUse end it. The hub's failures make the health UNREACHABLE."""
        import nats.errors

        attempt = 0
        while True:
            try:
                return await step()
            except (Fenced, InUse):
                raise
            except (nats.errors.Error, TimeoutError, OSError) as error:
                if self._health.state not in (HubState.FENCED, HubState.IN_USE):
                    behind = max(0, self.durable - self.acked)
                    self._set(HubHealth(HubState.UNREACHABLE, self.room, behind, problem=reason(error)))
                await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                attempt += 1

    def _pending(self) -> dict[int, bytes]:
        """Every record line not yet acknowledged, by seq: those notified, and any only the file has."""
        with self._inbox_lock:
            self._drain()
            durable = self.durable  # what was drained: a record told since is not missing, only on its way
        for seq in [seq for seq in self._lines if seq <= self.acked]:
            del self._lines[seq]
        missing = [seq for seq in range(max(1, self.acked + 1), durable + 1) if seq not in self._lines]
        if missing:
            self._lines.update(self._from_file(min(missing), max(missing)))
        return self._lines

    def _drain(self) -> None:
        """Move what the writer queued into `_lines` (with `_inbox_lock` held)."""
        while self._inbox:
            seq, line = self._inbox.popleft()
            if seq > self.acked:
                self._lines[seq] = line

    def _from_file(self, first: int, last: int) -> dict[int, bytes]:
        """Records `first`…`last` read from the journal file (on disk: the writer said so)."""
        found: dict[int, bytes] = {}
        with contextlib.suppress(OSError), open(self.path, "rb") as journal:
            for raw in journal:
                if len(raw) > MAX_LINE_BYTES or not raw.endswith(b"\n"):
                    break
                seq = _fields(raw).get("seq")
                if isinstance(seq, int) and first <= seq <= last:
                    found[seq] = raw.rstrip(b"\n")
                if isinstance(seq, int) and seq >= last:
                    break
        return found

    async def _claim(self, js: JetStreamContext) -> None:
        """Make the room's stream hold this session: create it, take it over from an old session, or resume it."""
        import nats.js.errors
        from nats.js.api import StreamConfig

        try:
            info = await js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            info = None
        if info is not None and info.state.messages > 0:
            header = await js.get_msg(self.stream, 1)
            theirs = _fields(bytes(header.data or b""))
            if theirs.get("session") == self.session:
                await self._resume(js, journal_seq(info.state.last_seq))
                return
            await self._replace_or_refuse(js, theirs, info.state.last_seq)
            info = None
        if info is None:
            config = StreamConfig(
                name=self.stream,
                subjects=[self.subject],
                num_replicas=REPLICAS,
                duplicate_window=3600.0,
            )
            try:
                await js.add_stream(config)
            except nats.js.errors.APIError as error:
                if error.err_code != NOT_CLUSTERED:
                    raise
                config.num_replicas = 1
                await js.add_stream(config)
        await self._publish(js, 0, self.header_line)

    async def _replace_or_refuse(self, js: JetStreamContext, theirs: Mapping[str, Any], last_sseq: int) -> None:
        """Another session holds the room: delete its stream if it is over, else InUse."""
        last = _fields(bytes((await js.get_msg(self.stream, last_sseq)).data or b""))
        last_us = _wall_us(last)
        over = last.get("type") == "end" or (last_us is not None and self.clock.read().wall_us - last_us > STALE_US)
        if not over:
            raise InUse(_owner(theirs), last_us)
        await js.delete_stream(self.stream)

    async def _resume(self, js: JetStreamContext, hub_last: int) -> None:
        """The stream holds this session up to record `hub_last`: go on after it if it is ours, else Fenced.

        The last record both copies hold alike is found walking back: what
        follows it on the hub was written by another controller.
        """
        top = min(hub_last, self.durable)
        mine = self._from_file(1, top) if top > 0 else {}
        mine[0] = self.header_line
        common = top
        while common > 0:
            stored = bytes((await js.get_msg(self.stream, stream_seq(common))).data or b"")
            if stored == mine.get(common):
                break
            common -= 1
        self.acked = common
        if common < hub_last:
            await self._fenced_at(js, common + 1)

    async def _fenced_at(self, js: JetStreamContext, seq: int) -> None:
        """Raise Fenced, naming who wrote record `seq` (its actor, else its session's owner) and when."""
        by: str | None = None
        since: int | None = None
        theirs = False
        with contextlib.suppress(Exception):
            message = await js.get_msg(self.stream, stream_seq(seq))
            # A line without this session's message id was not written by any controller of it.
            theirs = (message.headers or {}).get("Nats-Msg-Id") != message_id(self.session, seq)
            if not theirs:
                record = _fields(bytes(message.data or b""))
                actor = record.get("actor")
                by = actor if isinstance(actor, str) else None
                since = _wall_us(record)
        if by is None and not theirs:
            with contextlib.suppress(Exception):
                by = _owner(_fields(bytes((await js.get_msg(self.stream, 1)).data or b"")))
        raise Fenced(by, since)

    async def _publish(self, js: JetStreamContext, seq: int, line: bytes) -> None:
        """Publish record `seq` (0: the header) on the expected sequence; Fenced if another's is in its place."""
        import nats.js.errors

        headers = {
            "Nats-Msg-Id": message_id(self.session, seq),
            "Nats-Expected-Last-Sequence": str(stream_seq(seq) - 1),
        }
        try:
            ack = await js.publish(self.subject, line, headers=headers)
        except nats.js.errors.APIError as error:
            if error.err_code != WRONG_LAST_SEQUENCE:
                raise
            ack = None
        if ack is None or ack.duplicate or ack.seq != stream_seq(seq):
            # Stored before (a lost acknowledgement), or refused: ours only if the stream holds these very bytes.
            try:
                stored = bytes((await js.get_msg(self.stream, stream_seq(seq))).data or b"")
            except nats.js.errors.NotFoundError:
                stored = None
            if stored != line:
                await self._fenced_at(js, seq)
        self.acked = seq

    async def _publish_all(self, js: JetStreamContext) -> None:
        """Publish every record after the hub's last, in order, as they come, until closed."""
        assert self._wake is not None
        while True:
            self._wake.clear()
            pending = self._pending()
            seq = self.acked + 1
            if seq in pending:
                await self._retrying(partial(self._publish, js, seq, pending[seq]))
                self._set(HubHealth(HubState.OK, self.room))
                continue
            self._set(HubHealth(HubState.OK, self.room))
            if self._closing:
                assert self._stop is not None
                self._stop.set()  # everything is on the hub: no need to wait out the close's timeout
                return
            await self._wake.wait()

    async def _put_tokens_retrying(self, js: JetStreamContext) -> None:
        """Put the room's token hashes in the bucket, trying again (more and more slowly) until the hub takes them."""
        import nats.errors

        wait = BACKOFF_S[0]
        while True:
            try:
                await self._put_tokens(js)
                return
            except (nats.errors.Error, TimeoutError, OSError):
                await asyncio.sleep(wait)
                wait = min(wait * 2, 30.0)

    async def _put_tokens(self, js: JetStreamContext) -> None:
        import nats.js.errors
        from nats.js.api import KeyValueConfig

        try:
            bucket = await js.key_value(TOKENS_BUCKET)
        except nats.js.errors.BucketNotFoundError:
            try:
                bucket = await js.create_key_value(KeyValueConfig(bucket=TOKENS_BUCKET, history=1, replicas=REPLICAS))
            except nats.js.errors.APIError as error:
                if error.err_code != NOT_CLUSTERED:
                    raise
                bucket = await js.create_key_value(KeyValueConfig(bucket=TOKENS_BUCKET, history=1, replicas=1))
        await bucket.put(self.room, json.dumps(self.tokens, sort_keys=True).encode())

    async def _beat(self, client: Client) -> None:
        """Say every BEAT_S that this controller is alive, with its last durable seq and its wall clock."""
        beat = beat_subject(self.room)
        while True:
            if client.is_connected:
                message = {"seq": self.durable, "wall_us": self.clock.read().wall_us, "actor": "keyboard"}
                with contextlib.suppress(Exception):
                    await client.publish(beat, json.dumps(message).encode())
            await asyncio.sleep(BEAT_S)


def header_line_of(journal: Path) -> bytes:
    """The journal's first line (its header), without the newline."""
    with open(journal, "rb") as file:
        return file.readline(MAX_LINE_BYTES + 1).rstrip(b"\n")


def mirror_controller(
    controller: Controller,
    url: str,
    room: str,
    creds: HubCredentials | None = None,
    *,
    token_hashes: Mapping[str, str] | None = None,
    commands: bool = False,
) -> HubMirror:
    """A started mirror of `controller`'s journal into `room`, told each record once it is on disk.

    Handoff: the journal writer's thread calls `HubMirror.notify` for each
    durable record (`Delivery.WRITER_THREAD`), which only queues it; the
    mirror's own thread and loop do the rest. With `commands`, the mirror also
    takes the control API's commands for the room onto the controller's bus
    (someone must carry them out: `session.inbound.Answers`).
    """
    mirror = HubMirror(
        url,
        room,
        controller.path,
        header_line_of(controller.path),
        controller.header.session_id,
        controller.durable_seq,
        controller.clock,
        creds,
        token_hashes=token_hashes,
    )
    controller.bus.records.subscribe(mirror.notify, deliver=Delivery.WRITER_THREAD)
    if commands:
        mirror.commands = controller.bus
    mirror.start()
    return mirror
