"""The moderator's commands, typed: whoever sends one (a key, a co-host, a script), it is one of these.

Each carries who issued it (`actor`) and, optionally, the journal seq its
sender last saw (`if_seq`): a command decided on a stale picture (two
operators pressing next at once) is refused instead of skipping a speaker.
`from_name` turns the words of a command line or an API call into one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from runofshow.domain.events import KEYBOARD, Event
from runofshow.errors import RunofshowError

#: The speaker, answering a message from the stage page.
STAGE = "stage"


class CommandError(RunofshowError):
    """A command that makes no sense now (e.g. pause before start); nothing was recorded."""


class StaleCommand(CommandError):
    """A command sent on a picture of the session that has changed since (`if_seq` is behind)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Issued:
    """What every command carries: who issued it, and the journal seq it was based on (None: whatever is now)."""

    actor: str = KEYBOARD
    if_seq: int | None = None


@dataclass(frozen=True, slots=True)
class Start(Issued):
    """Start the session (live: on the agenda's timeline; rehearsal: from now)."""


@dataclass(frozen=True, slots=True)
class Pause(Issued):
    """Stop the current segment's clock."""


@dataclass(frozen=True, slots=True)
class Resume(Issued):
    """Let the current segment's clock run again."""


@dataclass(frozen=True, slots=True)
class Next(Issued):
    """Move to the next segment still to run."""


@dataclass(frozen=True, slots=True)
class Previous(Issued):
    """Go back one segment (undoing the `next` that led here, when it did)."""


@dataclass(frozen=True, slots=True)
class Skip(Issued):
    """Cut the current segment and start the next."""


@dataclass(frozen=True, slots=True)
class Goto(Issued):
    """Make segment `to` (1-based) current."""

    to: int


@dataclass(frozen=True, slots=True)
class Extend(Issued):
    """Give the current segment `seconds` more (negative: less)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Later(Issued):
    """Move the current segment to after the next one still to run (or after segment `after`), keeping its remaining time, and start the next."""

    after: int | None = None


@dataclass(frozen=True, slots=True)
class Adopt(Issued):
    """Make the current flexible segment's allotment the length the shrink advice gives it."""


@dataclass(frozen=True, slots=True)
class Message(Issued):
    """Show `text` to the speaker until the segment changes (`pinned`: until it is replaced); an empty text clears it."""

    text: str
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class Seen(Issued):
    """The speaker's "got it" to the message now showing."""

    actor: str = field(default=STAGE, kw_only=True)


@dataclass(frozen=True, slots=True)
class End(Issued):
    """End the session."""


Command = Start | Pause | Resume | Next | Previous | Skip | Goto | Extend | Later | Adopt | Message | Seen | End

#: Each command's name, as keys, the command line and the control API spell it.
NAMES: Mapping[str, type[Command]] = {
    "start": Start,
    "pause": Pause,
    "resume": Resume,
    "next": Next,
    "previous": Previous,
    "skip": Skip,
    "goto": Goto,
    "extend": Extend,
    "later": Later,
    "adopt": Adopt,
    "message": Message,
    "seen": Seen,
    "end": End,
}


def name_of(command: Command) -> str:
    """The command's name (`Next()` -> "next")."""
    return type(command).__name__.lower()


def from_name(name: str, /, *, actor: str | None = None, if_seq: int | None = None, **args: object) -> Command:
    """The typed command that `name` and `args` say; CommandError, in words for a person, if they do not make one.

    Arguments the command does not take are ignored, as a form or a query string may carry others.
    With no `actor`, the keyboard (the stage, for `seen`).
    """
    kind = NAMES.get(name)
    if kind is None:
        raise CommandError(f"unknown command {name!r}")
    if kind is Seen:
        return Seen(actor=STAGE if actor is None else actor, if_seq=if_seq)
    actor = KEYBOARD if actor is None else actor
    if kind is Goto:
        to = args.get("to")
        if type(to) is not int:
            raise CommandError(f"there is no segment {to}; give its number")
        return Goto(to, actor=actor, if_seq=if_seq)
    if kind is Extend:
        seconds = args.get("seconds")
        if type(seconds) not in (int, float) or not math.isfinite(seconds):  # type: ignore[arg-type]
            raise CommandError("extend needs a non-zero number of seconds")
        return Extend(float(seconds), actor=actor, if_seq=if_seq)  # type: ignore[arg-type]
    if kind is Message:
        text, pinned = args.get("text"), args.get("pinned", False)
        if not isinstance(text, str):
            raise CommandError("a message is text")
        if type(pinned) is not bool:
            raise CommandError("pinned is true or false")
        return Message(text, pinned, actor=actor, if_seq=if_seq)
    if kind is Later:
        after = args.get("after")
        if after is not None and type(after) is not int:
            raise CommandError(f"there is no segment {after}; give the number of the one to follow")
        return Later(after, actor=actor, if_seq=if_seq)
    return kind(actor=actor, if_seq=if_seq)  # type: ignore[call-arg]


class Durability(Protocol):
    """Where a command's record stands on the way to disk (the controller's journal writer, or a remote ack)."""

    def is_durable(self, seq: int) -> bool:
        """Whether record `seq` is fsynced now (never waits)."""
        ...

    def wait_answered(self, seq: int, timeout: float) -> bool:
        """Wait up to `timeout` s for the first try at writing `seq`; whether it reached the disk."""
        ...


#: How long `Ack.durable` waits for the writer's first try.
ANSWER_WAIT_S = 10.0


@dataclass(frozen=True, slots=True)
class Ack:
    """What a command did: the event recorded (already applied), warnings noticed first, and its way to disk.

    The command took effect at once; it is *acknowledged* when its record is
    fsynced. `on_disk` says whether it is now, without waiting; `durable`
    waits for the first try, for scripts and tests (never on a screen).
    With no `durability` (a remote controller's answer, sent after fsync)
    the record is on disk already.
    """

    event: Event
    noticed: tuple[Event, ...] = ()
    durability: Durability | None = field(default=None, repr=False, compare=False)

    @property
    def seq(self) -> int:
        """The record's sequence number: acknowledged once the journal's durable seq reaches it."""
        return self.event.seq

    @property
    def on_disk(self) -> bool:
        """Whether the record is fsynced now (never waits)."""
        return self.durability is None or self.durability.is_durable(self.seq)

    @property
    def durable(self) -> bool:
        """Whether the record reached the disk at the first try (waits for that try, a few seconds at most)."""
        return self.durability is None or self.durability.wait_answered(self.seq, ANSWER_WAIT_S)
