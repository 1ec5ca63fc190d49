"""Taking a room over from a silent controller, and what a controller that was taken over keeps.

A co-host with the room's control token takes over when the controller has
said nothing (no record, no heartbeat) for a while: the room's stream is
copied, line for line, into a journal file of this machine's, a `Controller`
opens it and records a `takeover` (a new epoch), and from then on this
machine publishes the room's records, each with the stream sequence it
expects (see `names`). The old controller, if it comes back, finds the
stream moved on: the hub refuses its records (it is fenced), and `fence`
keeps every record the room does not have in a rescue file the report lists. The room never
has two writers, and nothing written is lost.

The network part runs on its own event loop (`take_over` is called off the
screen's loop, in a worker thread); the disk part is the controller's.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from runofshow.clock import Clock
from runofshow.domain.events import Event, ReplayError, Takeover
from runofshow.domain.instants import format_instant
from runofshow.domain.link import HubState
from runofshow.errors import RunofshowError
from runofshow.journal.codec import JournalError, crc_ok
from runofshow.journal.file import write_new
from runofshow.journal.places import state_dir
from runofshow.journal.rescue import save_fenced
from runofshow.session.controller import Controller
from runofshow.session.inbound import Answers
from runofshow.session.replay import Replayed, replay_bytes
from runofshow.sync.hub.connect import HubCredentials, connect
from runofshow.sync.hub.mirror import TOKENS_BUCKET as TOKENS_BUCKET
from runofshow.sync.hub.names import beat_subject, check_room, journal_seq, stream_name
from runofshow.sync.hub.silence import SilenceWatch
from runofshow.words.takeover import not_silent

#: The least time a takeover listens for the controller's heartbeat while it copies the room, in seconds.
#: Not a proof of silence (heartbeats come every 2 s): the expected sequence fences the loser anyway.
LISTEN_S = 0.3
#: How long the hub may take to answer one request while taking over, in seconds.
REQUEST_TIMEOUT_S = 5.0


class TakeoverRefused(RunofshowError):
    """A takeover that must not happen (a wrong token, a controller that still speaks, no such room); one line."""


def token_digest(token: str) -> str:
    """What the KV bucket keeps of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def control_token_matches(stored: bytes | None, token: str) -> bool:
    """Whether `token` is the room's control token, by the hashes its controller put in the KV bucket."""
    if not stored:
        return False
    try:
        hashes = json.loads(stored)
    except ValueError:
        return False
    expected = hashes.get("control") if isinstance(hashes, dict) else None
    return isinstance(expected, str) and hmac.compare_digest(expected, token_digest(token))


@dataclass(frozen=True, slots=True)
class RoomCopy:
    """A room's stream as journal lines (newline included), the header first."""

    room: str
    lines: list[bytes]
    #: The last record's journal seq (0: the header only).
    last_seq: int
    #: The room's token hashes as its controller put them in the KV bucket: kept as they are, so its links still work.
    tokens: dict[str, str]


async def _connect(url: str, creds: HubCredentials | None = None) -> Any:
    """A NATS connection to any of the hub's servers, or TimeoutError if none answers soon."""
    return await asyncio.wait_for(connect(url, creds, name="runofshow-takeover"), REQUEST_TIMEOUT_S)


async def fetch_room(
    url: str,
    room: str,
    token: str,
    *,
    silent_s: float,
    silent_after_s: float,
    holder: str | None,
    creds: HubCredentials | None = None,
) -> RoomCopy:
    """Check the token and the silence, then copy the room's stream; TakeoverRefused with its reason if not."""
    check_room(room)
    if silent_s < silent_after_s:
        raise TakeoverRefused(not_silent(holder, silent_s, silent_after_s))
    from nats.errors import Error as NatsError
    from nats.js.errors import NotFoundError

    try:
        nc = await _connect(url, creds)
    except (TimeoutError, OSError, NatsError) as error:
        raise TakeoverRefused(
            f"not taken over: the hub {url} cannot be reached ({error or type(error).__name__})"
        ) from None
    heard: list[bytes] = []

    async def on_beat(msg: Any) -> None:
        heard.append(msg.data)

    try:
        # A controller that speaks while we copy is not silent after all.
        beats = await nc.subscribe(beat_subject(room), cb=on_beat)
        await nc.flush()
        listening = asyncio.get_running_loop().time()
        js = nc.jetstream(timeout=REQUEST_TIMEOUT_S)
        try:
            kv = await js.key_value(TOKENS_BUCKET)
            entry = await kv.get(room)
            stored = entry.value
        except NotFoundError:
            stored = None
        if not control_token_matches(stored, token):
            raise TakeoverRefused(f"not taken over: that is not room {room}'s control token")
        try:
            info = await js.stream_info(stream_name(room))
        except NotFoundError:
            raise TakeoverRefused(f"not taken over: the hub has no room {room}") from None
        last = info.state.last_seq
        lines = [(await js.get_msg(stream_name(room), seq)).data + b"\n" for seq in range(1, last + 1)]
        await asyncio.sleep(max(0.0, LISTEN_S - (asyncio.get_running_loop().time() - listening)))
        await beats.unsubscribe()
        if heard:
            raise TakeoverRefused(not_silent(holder, 0.0, silent_after_s))
    except (TimeoutError, NatsError) as error:
        raise TakeoverRefused(f"not taken over: the hub did not answer ({error or type(error).__name__})") from None
    finally:
        await nc.close()
    if not lines:
        raise TakeoverRefused(f"not taken over: room {room}'s stream is empty")
    hashes = json.loads(stored or b"{}")
    return RoomCopy(room, lines, journal_seq(last), {k: v for k, v in hashes.items() if isinstance(v, str)})


def check_copy(copy: RoomCopy) -> Replayed:
    """Refuse a copy that is not a whole journal: each line sealed, and the records numbered 1, 2, 3…"""
    for number, line in enumerate(copy.lines[1:], start=1):
        if not crc_ok(line.rstrip(b"\n")):
            raise TakeoverRefused(f"not taken over: room {copy.room}'s record {number} is damaged on the hub")
        if json.loads(line).get("seq") != number:
            raise TakeoverRefused(f"not taken over: room {copy.room}'s record {number} is out of order on the hub")
    try:
        return replay_bytes(copy.room, b"".join(copy.lines))
    except JournalError as error:
        raise TakeoverRefused(
            f"not taken over: room {copy.room}'s journal on the hub cannot be replayed: {error}"
        ) from None


def write_copy(copy: RoomCopy, session_id: str, folder: Path | None = None) -> Path:
    """Put the room's lines, byte for byte, in a new journal file in the state folder; return its path."""
    place = folder or state_dir() / "rooms"
    for number in range(1, 1000):
        path = place / f"{copy.room}.{session_id}{'' if number == 1 else f'-{number}'}.jsonl"
        try:
            written = write_new(path, b"".join(copy.lines))
        except OSError as error:
            raise TakeoverRefused(
                f"not taken over: {path}: cannot write the journal: {error.strerror or error}"
            ) from None
        if written is not None:
            for fd in written:
                os.close(fd)
            return path
    raise TakeoverRefused(f"not taken over: {place} holds too many copies of room {copy.room}")


@dataclass(frozen=True, slots=True)
class TakenOver:
    """A room this terminal now controls: its controller, on the copied journal, and the hub's last record."""

    controller: Controller
    #: The last record the hub had when it was copied: the mirror publishes from the one after.
    hub_seq: int
    #: Who was silent.
    silent: str
    #: The room's token hashes, for the mirror to keep in the KV bucket (this terminal knows only the control token).
    tokens: dict[str, str]


def take_over(
    url: str,
    room: str,
    token: str,
    clock: Clock,
    *,
    silent_s: float,
    silent_after_s: float,
    holder: str | None = None,
    creds: HubCredentials | None = None,
    folder: Path | None = None,
) -> TakenOver:
    """Take room `room` over: copy its stream to a journal here, open it, and record the takeover.

    Blocking (network, then disk): call it off the screen's loop. Raises
    TakeoverRefused (one line) when the token is not the room's control
    token, the controller is not silent, or the hub cannot be read. The
    caller starts the hub mirror on `controller` from `hub_seq`: its first
    publish expects the stream to end at `hub_seq`, so if the old controller
    wrote meanwhile, this one is the one fenced.
    """
    copy = asyncio.run(
        fetch_room(url, room, token, silent_s=silent_s, silent_after_s=silent_after_s, holder=holder, creds=creds)
    )
    replayed = check_copy(copy)
    path = write_copy(copy, replayed.header.session_id, folder)
    silent = replayed.engine.holder or replayed.header.owner
    controller = Controller.open(path, clock, wait=True)
    try:
        # The silent controller's last record here is the one before the reopen: the hub's last, or later if a
        # rescue file of the session on this machine gave records the hub never had (they are its, and kept).
        after = max(copy.last_seq, controller.engine.seq - 1)
        controller.take_over(silent, after, silent_s)  # waits for it to be on disk: the first durable record
    except BaseException:
        controller.close()
        raise
    controller.wait = False  # from now on the moderator's screen drives it, and never waits for the disk
    return TakenOver(controller, copy.last_seq, silent, copy.tokens)


@dataclass(frozen=True, slots=True)
class Fenced:
    """A controller that was taken over: who took over and when, and where the records the room refused are kept."""

    #: The records this journal has that the room's history does not (written after the takeover).
    count: int
    path: Path | None
    #: Why they could not be saved, when they could not.
    problem: str | None
    #: The takeover that fenced it, as the room's stream records it (None when the stream does not say).
    by: str | None = None
    at_us: int | None = None
    epoch: int | None = None


def diverged(mine: list[bytes], room: list[bytes]) -> tuple[int, list[bytes]]:
    """Where this journal's lines leave the room's (the index of the first that differs), and this journal's from there."""
    first = next((i for i, (a, b) in enumerate(zip(mine, room)) if a != b), min(len(mine), len(room)))
    return first, mine[first:]


def _takeover_in(lines: list[bytes]) -> tuple[str | None, int | None, int | None]:
    """The first takeover record among `lines`: who, when (wall µs) and its epoch."""
    for line in lines:
        try:
            record = json.loads(line)
            if record.get("type") == "takeover":
                event = Event.from_json(record)
                assert isinstance(event.payload, Takeover)
                return event.payload.by, event.wall_us, event.payload.epoch
        except (ValueError, ReplayError, AssertionError):
            continue
    return None, None, None


def fence(
    controller: Controller, url: str, room: str, *, stop: Callable[[], None], creds: HubCredentials | None = None
) -> Fenced:
    """This controller was taken over: stop it, and keep every record of its journal the room's history does not have.

    Blocking (the hub, then the disk): call it off the screen's loop. `stop`
    ends what publishes for it (its mirror). The controller is closed with no
    `detach` (the session goes on under the new one); its journal is compared,
    line for line, with the room's stream, and the records from the first that
    differs on are saved in a fenced rescue file, which the report lists.
    """
    stop()
    controller.close(detach=False)
    mine = controller.path.read_bytes().splitlines(keepends=True)
    theirs = asyncio.run(_stream_lines(url, room, creds))
    first, refused = diverged(mine, theirs)
    by, at_us, epoch = _takeover_in(theirs[first:])
    if not refused:
        return Fenced(0, None, None, by, at_us, epoch)
    at = None if at_us is None else format_instant(at_us)
    path, problem = save_fenced(controller.header, controller.path, first - 1, refused, by=by, at=at)
    return Fenced(len(refused), path, None if path is not None else problem, by, at_us, epoch)


async def _stream_lines(url: str, room: str, creds: HubCredentials | None) -> list[bytes]:
    """Every line of the room's stream, the header first, each with its newline."""
    nc = await _connect(url, creds)
    try:
        js = nc.jetstream(timeout=REQUEST_TIMEOUT_S)
        last = (await js.stream_info(stream_name(room))).state.last_seq
        return [(await js.get_msg(stream_name(room), seq)).data + b"\n" for seq in range(1, last + 1)]
    finally:
        await nc.close()


class Closing(Protocol):
    """What goes on after a takeover and must stop on the way out (the hub mirror)."""

    def close(self, timeout: float = ...) -> None:
        """Stop, waiting at most `timeout` seconds."""
        ...


@dataclass(frozen=True, slots=True)
class Handed:
    """The session this terminal controls after a takeover, as the moderator's screen takes it."""

    source: Controller
    controls: Controller
    journal_label: str
    #: What copies its journal to the room now (its health is on the moderator's status line).
    hub: Any = None
    #: The control API's commands for the room, to carry out as keys (`session.inbound.Answers`).
    remote: Any = None


class RoomTakeover:
    """A co-host's way to take a room over: its silence, from a `SilenceWatch`, and `take_over` itself.

    `mirror` starts publishing a taken-over controller's records to the room
    (from the hub's last record, with the room's token hashes kept); what it
    returns is closed by `close()`, with the controller.
    """

    def __init__(
        self,
        url: str,
        room: str,
        token: str,
        clock: Clock,
        watch: SilenceWatch,
        mirror: Callable[[TakenOver], Closing],
        *,
        silent_after_s: float,
        creds: HubCredentials | None = None,
    ) -> None:
        self.url, self.room, self.token, self.clock = url, check_room(room), token, clock
        self.watch = watch
        self.mirror = mirror
        self.silent_after_s = silent_after_s
        self.creds = creds
        #: Once taken over: the controller, and what publishes its records.
        self.taken: TakenOver | None = None
        self.publishing: Closing | None = None

    def silent_s(self) -> float:
        """Seconds since the room's controller was last heard."""
        return self.watch.silent_s()

    def take_over(self, silent_s: float) -> Handed:
        """Take the room over and start mirroring it; TakeoverRefused (one line) if it must not be."""
        taken = take_over(
            self.url, self.room, self.token, self.clock,
            silent_s=silent_s, silent_after_s=self.silent_after_s, creds=self.creds,
        )  # fmt: skip
        self.taken = taken
        self.watch.close()  # from now on, this terminal is the one that speaks
        controller = taken.controller
        # Before the mirror takes the room's commands: each is answered once its record is on disk.
        answers = Answers(controller.bus, controller.durable_seq, lambda: controller.engine.seq)
        self.publishing = self.mirror(taken)
        return Handed(controller, controller, str(controller.path), self.publishing, answers)

    def close(self) -> None:
        """On the way out: close the journal (its detach record), then stop publishing once that is sent (2 s at most)."""
        self.watch.close()
        if self.taken is not None:
            self.taken.controller.close()
        if self.publishing is not None:
            self.publishing.close(2.0)


class Watched(Protocol):
    """A hub mirror as `when_fenced` reads it: its health, whose `state` says "fenced" once it is."""

    def health(self) -> Any:
        """Where the room's copy stands now."""
        ...

    def close(self, timeout: float = ...) -> None:
        """Stop publishing."""
        ...


def when_fenced(
    mirror: Watched,
    controller: Controller,
    url: str,
    room: str,
    then: Callable[[Fenced], None],
    *,
    creds: HubCredentials | None = None,
    fencing: Callable[..., Fenced] = fence,
) -> Callable[[], None]:
    """A callback for the mirror's `watch`: the first time its health is FENCED, fence the controller and call `then`.

    Called on the mirror's thread, it only starts a thread of its own, which
    stops the mirror, closes the controller and keeps its refused records,
    then hands the result to `then` (which posts it to the screen's loop).
    A failure to keep them is said in `Fenced.problem`, never raised.
    """
    started = threading.Event()

    def work() -> None:
        try:
            fenced = fencing(controller, url, room, stop=lambda: mirror.close(2.0), creds=creds)
        except Exception as error:  # the screen must still say it was taken over
            fenced = Fenced(0, None, f"the records written here could not be compared with the room's: {error}")
        then(fenced)

    def changed() -> None:
        if mirror.health().state == HubState.FENCED and not started.is_set():
            started.set()
            threading.Thread(target=work, name="runofshow-fenced", daemon=True).start()

    return changed
