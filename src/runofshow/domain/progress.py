"""What has happened to each segment so far, as the fold records it: read it, never write it."""

from __future__ import annotations

from dataclasses import dataclass, field

from runofshow.domain.events import WarningLevel

_LABELS: dict[WarningLevel, str] = {
    WarningLevel.WRAP_UP: "wrap-up",
    WarningLevel.FINAL: "final",
    WarningLevel.TIME_UP: "time's up",
}


@dataclass(frozen=True, slots=True)
class Crossing:
    """A threshold crossing: wrap-up, final minute, time's up, or a further overtime minute."""

    level: WarningLevel
    minute: int
    crossed_us: int

    @property
    def label(self) -> str:
        """Short human name, e.g. "wrap-up" or "+3 min"."""
        return _LABELS.get(self.level, f"+{self.minute} min")


@dataclass(slots=True)
class SegmentState:
    """What has happened to one segment so far (read it; only the fold writes it)."""

    elapsed: float = 0.0
    paused_s: float = 0.0
    extended_s: float = 0.0
    first_start_t: float | None = None
    first_start_us: int | None = None
    last_end_t: float | None = None
    last_end_us: int | None = None
    skipped: bool = False
    skips: int = 0
    """How many times it was left with `skip` (undone ones aside), kept when it is run again later."""
    #: Left by `next`, or left another way once its time was up: `next` will not come back to it.
    finished: bool = False
    pauses: int = 0
    extensions: int = 0
    fired: set[WarningLevel] = field(default_factory=set)
    overtime_fired: int = 0
    warnings: list[Crossing] = field(default_factory=list)
    changed_t: float = 0.0


@dataclass(frozen=True, slots=True)
class Entry:
    """How the current segment was entered, so that `previous` can undo it."""

    came_from: int
    to: int
    elapsed: float
    paused_s: float
    first_start_t: float | None
    first_start_us: int | None
    last_end_t: float | None
    last_end_us: int | None
    finished: bool
    #: Made by `next` or `skip`, which `previous` undoes even when they passed over finished segments.
    forward: bool
    skip: bool = False
