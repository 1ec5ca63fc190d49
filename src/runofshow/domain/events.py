"""The journal's records after the header: their types, their typed data, and how they are written and read.

The spelling of every type, field and level here is the journal format (see
docs/journal.md): a StrEnum member compares and serialises exactly as its
string, so journals written before these enums existed read the same.

A record's `data` is decoded once, into the frozen payload of its type, when
the record is read (`Event.from_json`, or `Event.from_data` for one written
out by hand); every shape and bound is checked there, and what gets past is
what the fold reads. The controller's own records start typed: `decide`
returns their payloads. Whether an event can follow the ones before it (a
segment number within the agenda, a pause while running) is the fold's to
decide. A payload's `to_json` is the only way its data is written, so a
record the controller makes is byte for byte the line every reader decodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, get_args

from runofshow.domain.agenda.model import MAX_SEGMENT
from runofshow.domain.bounds import check_instant, check_mono
from runofshow.domain.fields import EventType as EventType
from runofshow.domain.fields import Fields
from runofshow.domain.fields import ReplayError as ReplayError
from runofshow.domain.fields import WarningLevel as WarningLevel
from runofshow.domain.instants import format_instant, parse_instant

LIVE = "live"
REHEARSAL = "rehearsal"
#: A wall clock that disagrees with the monotonic clock by this much has been stepped.
JUMP_THRESHOLD_S = 1.0
#: Monotonic time that passed while the machine was not awake, above this, is a suspend.
SUSPEND_THRESHOLD_S = 2.0
#: The longest moderator message, in characters.
MAX_MESSAGE = 280
#: Who pressed the key on the moderator's own screen (and who makes the clock's records): never written.
KEYBOARD = "keyboard"
#: The longest actor a record may name (`api:` and a name a sender chose).
MAX_ACTOR = 80
#: The most an `extend` record may add or take away, in seconds: a segment's whole length (12 h).
MAX_EXTEND_S = MAX_SEGMENT.total_seconds()


@dataclass(frozen=True, slots=True)
class Start:
    """The show starts with segment 1; the planned timeline starts at `anchor_us`."""

    TYPE: ClassVar[EventType] = EventType.START
    anchor_us: int

    def to_json(self) -> dict[str, Any]:
        return {"anchor": format_instant(self.anchor_us)}

    @classmethod
    def read(cls, fields: Fields) -> Start:
        return cls(fields.instant("anchor"))


@dataclass(frozen=True, slots=True)
class Pause:
    """The countdown of `segment` (the current one) stops."""

    TYPE: ClassVar[EventType] = EventType.PAUSE
    segment: int

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment}

    @classmethod
    def read(cls, fields: Fields) -> Pause:
        return cls(fields.segment("segment"))


@dataclass(frozen=True, slots=True)
class Resume:
    """The countdown of `segment` (the current one) goes on."""

    TYPE: ClassVar[EventType] = EventType.RESUME
    segment: int

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment}

    @classmethod
    def read(cls, fields: Fields) -> Resume:
        return cls(fields.segment("segment"))


@dataclass(frozen=True, slots=True)
class Next:
    """Segment `from_` is done; segment `to` (a later one) starts."""

    TYPE: ClassVar[EventType] = EventType.NEXT
    from_: int
    to: int

    def to_json(self) -> dict[str, Any]:
        return {"from": self.from_, "to": self.to}

    @classmethod
    def read(cls, fields: Fields) -> Next:
        return cls(fields.segment("from"), fields.segment("to"))


@dataclass(frozen=True, slots=True)
class Skip:
    """Segment `segment` is cut (marked skipped); segment `to` (a later one) starts."""

    TYPE: ClassVar[EventType] = EventType.SKIP
    segment: int
    to: int

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment, "to": self.to}

    @classmethod
    def read(cls, fields: Fields) -> Skip:
        return cls(fields.segment("segment"), fields.segment("to"))


@dataclass(frozen=True, slots=True)
class Previous:
    """Back from `from_` to `to`; `undo` when it undoes the move that led to `from_`."""

    TYPE: ClassVar[EventType] = EventType.PREVIOUS
    from_: int
    to: int
    undo: bool

    def to_json(self) -> dict[str, Any]:
        return {"from": self.from_, "to": self.to, "undo": self.undo}

    @classmethod
    def read(cls, fields: Fields) -> Previous:
        return cls(fields.segment("from"), fields.segment("to"), fields.flag("undo"))


@dataclass(frozen=True, slots=True)
class Goto:
    """A jump from `from_` to any segment `to`."""

    TYPE: ClassVar[EventType] = EventType.GOTO
    from_: int
    to: int

    def to_json(self) -> dict[str, Any]:
        return {"from": self.from_, "to": self.to}

    @classmethod
    def read(cls, fields: Fields) -> Goto:
        return cls(fields.segment("from"), fields.segment("to"))


@dataclass(frozen=True, slots=True)
class Extend:
    """The current segment gets `seconds` more (less, when negative); at most MAX_EXTEND_S either way."""

    TYPE: ClassVar[EventType] = EventType.EXTEND
    segment: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment, "seconds": self.seconds}

    @classmethod
    def read(cls, fields: Fields) -> Extend:
        return cls(fields.segment("segment"), fields.number("seconds", limit=MAX_EXTEND_S, at_least=-MAX_EXTEND_S))


@dataclass(frozen=True, slots=True)
class End:
    """The session ends, in segment `segment`."""

    TYPE: ClassVar[EventType] = EventType.END
    segment: int

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment}

    @classmethod
    def read(cls, fields: Fields) -> End:
        return cls(fields.segment("segment"))


@dataclass(frozen=True, slots=True)
class Warning:
    """Segment `segment` crossed a threshold at `crossed_at_us`; `minute` (1, 2, …) for overtime, else 0."""

    TYPE: ClassVar[EventType] = EventType.WARNING
    segment: int
    level: WarningLevel
    minute: int
    crossed_at_us: int

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"segment": self.segment, "level": self.level.value}
        if self.level is WarningLevel.OVERTIME:
            data["minute"] = self.minute
        data["crossed_at"] = format_instant(self.crossed_at_us)
        return data

    @classmethod
    def read(cls, fields: Fields) -> Warning:
        segment, level = fields.segment("segment"), fields.level("level")
        minute = fields.whole("minute", at_least=1) if level is WarningLevel.OVERTIME else 0
        return cls(segment, level, minute, fields.instant("crossed_at"))


@dataclass(frozen=True, slots=True)
class ClockJump:
    """The wall clock was stepped by `seconds` (either way); no remaining time changes."""

    TYPE: ClassVar[EventType] = EventType.CLOCK_JUMP
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"seconds": self.seconds}

    @classmethod
    def read(cls, fields: Fields) -> ClockJump:
        return cls(fields.number("seconds"))


@dataclass(frozen=True, slots=True)
class Suspend:
    """The machine slept `seconds` (never negative); it counts as elapsed time."""

    TYPE: ClassVar[EventType] = EventType.SUSPEND
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"seconds": self.seconds}

    @classmethod
    def read(cls, fields: Fields) -> Suspend:
        return cls(fields.number("seconds", at_least=0.0))


@dataclass(frozen=True, slots=True)
class Reopen:
    """A controller opened the journal again, `since_last_s` after its last record.

    `uncertain` when the machine restarted in between (that time is by the
    wall clock); `clock_jump_s` when the wall clock was stepped meanwhile.
    """

    TYPE: ClassVar[EventType] = EventType.REOPEN
    since_last_s: float
    uncertain: bool
    clock_jump_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"since_last_s": self.since_last_s, "uncertain": self.uncertain}
        if self.clock_jump_s is not None:
            data["clock_jump_s"] = self.clock_jump_s
        return data

    @classmethod
    def read(cls, fields: Fields) -> Reopen:
        jump = fields.number("clock_jump_s") if fields.has("clock_jump_s") else None
        return cls(fields.number("since_last_s"), fields.flag("uncertain"), jump)


@dataclass(frozen=True, slots=True)
class Detach:
    """The moderator quit without ending the session; the next `run` resumes it."""

    TYPE: ClassVar[EventType] = EventType.DETACH

    def to_json(self) -> dict[str, Any]:
        return {}

    @classmethod
    def read(cls, fields: Fields) -> Detach:
        return cls()


@dataclass(frozen=True, slots=True)
class Message:
    """The moderator's message to the stage (at most MAX_MESSAGE characters); empty clears it.

    It shows until the segment changes, unless `pinned`; the end clears it either way.
    """

    TYPE: ClassVar[EventType] = EventType.MESSAGE
    text: str
    pinned: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "pinned": True} if self.pinned else {"text": self.text}

    @classmethod
    def read(cls, fields: Fields) -> Message:
        return cls(fields.text("text", limit=MAX_MESSAGE), fields.flag("pinned") if fields.has("pinned") else False)


@dataclass(frozen=True, slots=True)
class Seen:
    """The speaker saw the message recorded at seq `message` (their "got it")."""

    TYPE: ClassVar[EventType] = EventType.SEEN
    message: int

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message}

    @classmethod
    def read(cls, fields: Fields) -> Seen:
        return cls(fields.whole("message", at_least=1))


@dataclass(frozen=True, slots=True)
class Later:
    """Segment `segment` will run after segment `after`, with the time it has left; segment `to` starts now."""

    TYPE: ClassVar[EventType] = EventType.LATER
    segment: int
    after: int
    to: int

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment, "after": self.after, "to": self.to}

    @classmethod
    def read(cls, fields: Fields) -> Later:
        return cls(fields.segment("segment"), fields.segment("after"), fields.segment("to"))


@dataclass(frozen=True, slots=True)
class Adopt:
    """The current segment `segment` is allotted `seconds` in all: the advised length; `auto` when the agenda asked for it."""

    TYPE: ClassVar[EventType] = EventType.ADOPT
    segment: int
    seconds: float
    auto: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"segment": self.segment, "seconds": self.seconds}
        if self.auto:
            data["auto"] = True
        return data

    @classmethod
    def read(cls, fields: Fields) -> Adopt:
        auto = fields.flag("auto") if fields.has("auto") else False
        return cls(fields.segment("segment"), fields.number("seconds", limit=MAX_EXTEND_S, at_least=0.0), auto)


#: What a record's `data` decodes to: one type per event type.
Payload = (
    Start | Pause | Resume | Next | Skip | Previous | Goto | Extend | End | Warning | ClockJump | Suspend | Reopen
    | Detach | Message | Seen | Later | Adopt
)  # fmt: skip

_READERS: dict[str, Callable[[Fields], Payload]] = {kind.TYPE: kind.read for kind in get_args(Payload)}


def decode_data(kind: object, data: Mapping[str, Any]) -> Payload:
    """The payload of a record of type `kind` whose `data` is `data`; ReplayError if it is not one."""
    if not isinstance(kind, str) or kind not in _READERS:
        raise ReplayError(f"unknown event type {kind!r}")
    return _READERS[kind](Fields(EventType(kind), data))


# -- the record --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One journal record after the header: where and when it was made, and its typed data."""

    seq: int
    wall_us: int
    mono: float
    boot: str | None
    payload: Payload
    #: Who caused it: `keyboard` (the moderator's keys, and the clock's own records), `cohost:NAME`,
    #: `api:NAME`, `stage`, `hub:NAME`. Written only when it is not `keyboard`.
    actor: str = KEYBOARD

    @property
    def type(self) -> str:
        """What the record says happened: its payload's EventType, which is its `type` string."""
        return self.payload.TYPE

    @property
    def data(self) -> dict[str, Any]:
        """The record's `data` object, exactly as it is written."""
        return self.payload.to_json()

    def to_json(self) -> dict[str, Any]:
        """The record as it is written to the journal (`actor` only when it is not the keyboard)."""
        record: dict[str, Any] = {
            "seq": self.seq,
            "type": self.payload.TYPE.value,
            "wall": format_instant(self.wall_us),
            "mono": self.mono,
            "boot": self.boot,
            "data": self.payload.to_json(),
        }
        if self.actor != KEYBOARD:
            record["actor"] = self.actor
        return record

    @classmethod
    def from_data(
        cls,
        seq: int,
        kind: str,
        wall_us: int,
        mono: float,
        boot: str | None,
        data: Mapping[str, Any],
        actor: str = KEYBOARD,
    ) -> Event:
        """A record from its parts, its `data` decoded as it would be read; ReplayError if it is not valid."""
        return cls(seq, wall_us, mono, boot, decode_data(kind, data), actor)

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> Event:
        """Decode a journal record, its data included, once.

        Raise ValueError if it is not a record at all, and ReplayError if its
        type is unknown or its data is not what that type carries. On the
        replay path of every reader, so it checks types exactly (`type(x) is
        int` also refuses a bool) rather than with isinstance.
        """
        try:
            seq, kind, wall, mono = record["seq"], record["type"], record["wall"], record["mono"]
        except KeyError as missing:
            raise ValueError(f"no {missing.args[0]!r} in the record") from None
        boot = record.get("boot")
        data = record.get("data", {})
        if type(seq) is not int or seq < 1:
            raise ValueError("seq must be a positive whole number")
        if type(kind) is not str or type(wall) is not str:
            raise ValueError("type and wall must be text")
        mono = check_mono(mono)
        if boot is not None and type(boot) is not str:
            raise ValueError("boot must be text or null")
        if type(data) is not dict:
            raise ValueError("data must be an object")
        actor = record.get("actor", KEYBOARD)
        if type(actor) is not str or not 0 < len(actor) <= MAX_ACTOR:
            raise ValueError(f"actor must be text of 1 to {MAX_ACTOR} characters")
        return cls(seq, check_instant(parse_instant(wall), "wall"), mono, boot, decode_data(kind, data), actor)
