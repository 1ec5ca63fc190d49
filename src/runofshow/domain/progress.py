"""What has happened to each segment so far, as the fold records it: read it; only the fold changes it.

The fold decides what happens to the show; each segment's own bookkeeping
(its clock, its first start and last end, its warnings, what `previous`
needs to undo a move into it) is done by the methods here, which only the
fold calls.
"""

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


@dataclass(frozen=True, slots=True)
class Shown:
    """The moderator's message now showing: sent in segment `segment` (an index) by record `seq`.

    Unless `pinned`, it stops showing when another segment becomes current;
    `seen_us` is when the speaker answered "got it", if they did.
    """

    text: str
    sent_us: int
    seq: int
    segment: int
    pinned: bool = False
    seen_us: int | None = None


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
    #: Made by `next`, `skip` or `later`, which `previous` undoes even when they passed over finished segments.
    forward: bool
    skip: bool = False
    #: The run order before a `later`, which undoing it puts back.
    order: tuple[int, ...] | None = None


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
    #: The length last adopted from the shrink advice, if any (`adjusted_s` is what adopting it changed).
    adopted_s: float | None = None
    adjusted_s: float = 0.0
    #: How many times it was moved later in the show (undone ones aside).
    laters: int = 0

    def add(self, seconds: float, *, running: bool) -> None:
        """Count a stretch of `seconds` (none if negative) as running time, or as paused time."""
        if running:
            self.elapsed += max(0.0, seconds)
        else:
            self.paused_s += max(0.0, seconds)

    def enter(self, t: float, wall_us: int) -> None:
        """It becomes current at `t`: it keeps its first start, and is no longer left, skipped or finished."""
        if self.first_start_t is None:
            self.first_start_t = t
            self.first_start_us = wall_us
        self.last_end_t = None
        self.last_end_us = None
        self.skipped = False
        self.finished = False

    def leave(self, t: float, wall_us: int, stretch: float, *, running: bool) -> None:
        """It stops being current at `t`, the last `stretch` seconds of it running or paused."""
        self.add(stretch, running=running)
        self.last_end_t = t
        self.last_end_us = wall_us

    def entry(
        self, came_from: int, to: int, *, forward: bool, skip: bool, order: tuple[int, ...] | None = None
    ) -> Entry:
        """How it stands before a move into it (`to` is its index), for `previous` to put back."""
        return Entry(
            came_from=came_from,
            to=to,
            elapsed=self.elapsed,
            paused_s=self.paused_s,
            first_start_t=self.first_start_t,
            first_start_us=self.first_start_us,
            last_end_t=self.last_end_t,
            last_end_us=self.last_end_us,
            finished=self.finished,
            forward=forward,
            skip=skip,
            order=order,
        )

    def put_back(self, entry: Entry) -> tuple[float, float]:
        """Undo the move into it: it is as it was before; return the running and paused time it had since."""
        since = max(0.0, self.elapsed - entry.elapsed), max(0.0, self.paused_s - entry.paused_s)
        self.elapsed, self.paused_s = entry.elapsed, entry.paused_s
        self.first_start_t, self.first_start_us = entry.first_start_t, entry.first_start_us
        self.last_end_t, self.last_end_us = entry.last_end_t, entry.last_end_us
        self.finished = entry.finished
        return since

    def take_back(self, entry: Entry, ran: float, paused: float, t: float) -> None:
        """An undo returns here at `t`: it gets the time spent since it was left, and is current again."""
        self.elapsed += ran
        self.paused_s += paused
        self.changed_t = t
        self.last_end_t = None
        self.last_end_us = None
        self.skipped = False
        self.finished = False
        if entry.skip:
            self.skips -= 1
        if entry.order is not None:
            self.laters -= 1

    def rearm(self, remaining: float, wrap_up_s: float | None, final_s: float | None) -> None:
        """With `remaining` seconds left again (an extension, an undo), thresholds ahead may fire again."""
        for level, threshold in (
            (WarningLevel.WRAP_UP, wrap_up_s),
            (WarningLevel.FINAL, final_s),
            (WarningLevel.TIME_UP, 0),
        ):
            if threshold is not None and remaining > threshold:
                self.fired.discard(level)
        self.overtime_fired = min(self.overtime_fired, int(max(0.0, -remaining) // 60))

    def note(self, level: WarningLevel, minute: int, crossed_us: int) -> None:
        """A threshold was crossed at `crossed_us`: it does not fire again until it is ahead again."""
        if level is WarningLevel.OVERTIME:
            self.overtime_fired = max(self.overtime_fired, minute)
        else:
            self.fired.add(level)
        self.warnings.append(Crossing(level, minute, crossed_us))
