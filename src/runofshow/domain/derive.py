"""What every front end shows, derived from the state and one clock reading, and nothing else.

`derive(state, reading)` is pure: the live screen, a follower, `status`, the
report and the JSON for scripts all call it, so they cannot disagree. The
JSON shape of `status --json` and `follow --json` lives here too, in
`status_json` (documented in docs/status-json.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pendulum

from runofshow.domain.advice import Flex as Flex
from runofshow.domain.advice import flex_plan, idle_before, left, projected_offset
from runofshow.domain.agenda.model import Segment
from runofshow.domain.events import LIVE
from runofshow.domain.fold import State
from runofshow.domain.instants import Reading, to_pendulum, to_us
from runofshow.domain.order import next_segment, still_to_run
from runofshow.domain.progress import Crossing
from runofshow.words.timefmt import whole_seconds


class RowStatus(StrEnum):
    """Where an agenda row stands: its `status` in `status --json` and on the pages."""

    #: Under way (paused included); none once the session has ended.
    CURRENT = "current"
    #: It ran: finished, left part-way, or the last one when the session ended.
    DONE = "done"
    #: Left by `skip` (and not entered again since).
    SKIPPED = "skipped"
    #: Never entered.
    PENDING = "pending"


class Urgency(StrEnum):
    """A view's alert: how urgent the current segment is, paused or not (`alert` in status --json)."""

    PENDING = "pending"
    RUNNING = "running"
    WRAP_UP = "wrap_up"
    FINAL = "final"
    OVERTIME = "overtime"
    DONE = "done"


class ViewPhase(StrEnum):
    """A view's phase: its urgency, or `paused` while the segment is paused (`phase` in status --json).

    Not the fold's `Phase` (not started, running, paused, ended): this one is
    what a screen shows, so a running segment says how urgent it is.
    """

    PENDING = "pending"
    RUNNING = "running"
    WRAP_UP = "wrap_up"
    FINAL = "final"
    OVERTIME = "overtime"
    PAUSED = "paused"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class SegmentView:
    """One agenda row at one instant: plan, what happened, and how they compare."""

    segment: Segment
    status: RowStatus
    zone: str
    planned_start_us: int
    planned_end_us: int
    allotted_s: float
    actual_start_us: int | None
    actual_end_us: int | None
    actual_s: float | None
    delta_s: float | None
    paused_s: float
    extended_s: float
    pauses: int
    extensions: int
    skipped: bool
    warnings: tuple[Crossing, ...]
    #: When it will start if the show goes on as projected, flexible shrinking applied; None unless it is ahead.
    expected_start_us: int | None = None
    #: The length it was given from the shrink advice (`a`, or `flex = "auto"`), if it was.
    adopted_s: float | None = None
    #: How many times it was moved later in the show (`l`); it runs, with what it had left, where it was put.
    laters: int = 0

    # Instants are kept as integers and made into pendulum objects only when
    # asked for: the live screen builds a view every second.

    @property
    def number(self) -> int:
        """1-based, as in `check`."""
        return self.segment.number

    @property
    def left_s(self) -> float:
        """What it still has of its allotment: all of it if it never ran; the rest if it was left part-way (or moved later)."""
        return max(0.0, self.allotted_s - (self.actual_s or 0.0))

    @property
    def planned_start(self) -> pendulum.DateTime:
        """Start on the planned timeline, in the session's zone."""
        return to_pendulum(self.planned_start_us).in_tz(self.zone)

    @property
    def planned_end(self) -> pendulum.DateTime:
        """End on the planned timeline, in the session's zone."""
        return to_pendulum(self.planned_end_us).in_tz(self.zone)

    @property
    def expected_start(self) -> pendulum.DateTime | None:
        """When it will start (UTC) if the show goes on as projected; None unless `next` will still reach it."""
        return None if self.expected_start_us is None else to_pendulum(self.expected_start_us)

    @property
    def actual_start(self) -> pendulum.DateTime | None:
        """When it first started (UTC), or None if it never ran."""
        return None if self.actual_start_us is None else to_pendulum(self.actual_start_us)

    @property
    def actual_end(self) -> pendulum.DateTime | None:
        """When it last stopped being current (UTC), or None."""
        return None if self.actual_end_us is None else to_pendulum(self.actual_end_us)


@dataclass(frozen=True, slots=True)
class View:
    """Everything a screen, a follower or a report shows, derived at one instant."""

    mode: str
    now: pendulum.DateTime
    now_us: int
    started: bool
    ended: bool
    paused: bool
    phase: ViewPhase
    alert: Urgency
    current: int | None
    elapsed_s: float
    remaining_s: float
    allotted_s: float
    offset_s: float
    planned_start: pendulum.DateTime
    planned_end: pendulum.DateTime
    projected_end: pendulum.DateTime
    starts_in_s: float | None
    #: How long the session has lasted, pauses included: start to end, or to now while it runs; 0 before the start.
    total_s: float
    flex: tuple[Flex, ...]
    unrecoverable_s: float
    segments: tuple[SegmentView, ...]
    uncertain: bool
    last_event_us: int | None
    seq: int
    #: The row `next` would move to (index), or None when it would be refused.
    next_index: int | None = None
    #: The moderator's message to the stage, literal as typed, and when it was sent.
    message: str | None = None
    message_at_us: int | None = None
    #: Whether it stays when the segment changes, and when the speaker answered "got it" (None: not yet).
    message_pinned: bool = False
    message_seen_at_us: int | None = None

    @property
    def message_seen(self) -> bool:
        """Whether the speaker answered "got it" to the message now showing."""
        return self.message_seen_at_us is not None

    @property
    def segment(self) -> SegmentView | None:
        """The current segment's row, if the show is under way."""
        return None if self.current is None else self.segments[self.current]

    @property
    def focus(self) -> SegmentView:
        """The segment the show is about: the current one, or the first before the start."""
        return self.segments[0 if self.current is None else self.current]

    @property
    def next_segment(self) -> SegmentView | None:
        """The row that `next` would move to (before the start: the one after the first)."""
        return None if self.next_index is None else self.segments[self.next_index]

    @property
    def message_at(self) -> pendulum.DateTime | None:
        """When the message now shown was sent (UTC)."""
        return None if self.message_at_us is None else to_pendulum(self.message_at_us)

    def as_status(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """`status_json(self, extra)`: the one JSON shape of the state."""
        return status_json(self, extra)


def status_json(view: View, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The state as one flat JSON object, for `status --json` and `follow --json`.

    `extra` adds the keys only the caller knows (the session title, the journal,
    the link); the shape is documented in docs/status-json.md.
    """
    focus = view.focus
    if view.started and not view.ended:
        remaining, elapsed, allotted = view.remaining_s, view.elapsed_s, view.allotted_s
    else:
        # Before the start, the first segment as planned; after the end, the last one as it ran.
        elapsed = focus.actual_s or 0.0
        allotted = focus.allotted_s
        remaining = allotted - elapsed
    state: dict[str, Any] = {
        "segment": focus.number,
        "title": focus.segment.title,
        "speaker": focus.segment.speaker,
        "phase": view.phase,
        "alert": view.alert,
        "remaining_s": round(remaining, 3),
        "elapsed_s": round(elapsed, 3),
        "allotted_s": round(allotted, 3),
        "offset_s": round(view.offset_s, 3),
        "projected_end": view.projected_end.isoformat(),
        "planned_end": view.planned_end.isoformat(),
        "starts_in_s": None if view.starts_in_s is None else round(view.starts_in_s, 3),
        "mode": view.mode,
        "paused": view.paused,
        "started": view.started,
        "ended": view.ended,
        "now": view.now.isoformat(),
        "seq": view.seq,
        "flex": [{"segment": f.number, "shrink_to_s": f.shrink_to_s} for f in view.flex],
        "unrecoverable_s": round(view.unrecoverable_s, 3),
        "next_segment": None if view.next_segment is None else view.next_segment.number,
        "message": view.message,
        "message_at": None if view.message_at is None else view.message_at.isoformat(),
        "message_pinned": view.message_pinned,
        "message_seen": view.message_seen,
        "message_seen_at": None
        if view.message_seen_at_us is None
        else to_pendulum(view.message_seen_at_us).isoformat(),
        "segments": [_segment_json(row) for row in view.segments],
    }
    if extra:
        state.update(extra)
    return state


def _segment_json(row: SegmentView) -> dict[str, Any]:
    return {
        "segment": row.number,
        "status": row.status,
        "planned_start": row.planned_start.in_tz("UTC").isoformat(),
        "expected_start": None if row.expected_start is None else row.expected_start.isoformat(),
        "allotted_s": round(row.allotted_s, 3),
        "adopted_s": None if row.adopted_s is None else round(row.adopted_s, 3),
        "later": row.laters > 0,
    }


@dataclass(frozen=True, slots=True)
class _Figures:
    """The headline figures of one instant, on the `t` axis."""

    phase: ViewPhase
    alert: Urgency
    elapsed: float
    remaining: float
    allotted: float
    offset: float
    starts_in: float | None


@dataclass(frozen=True, slots=True)
class _Plan:
    """The planned timeline on the `t` axis, and how to turn a place on it into an instant."""

    t0: float
    anchor_us: int
    end_t: float

    def instant(self, t: float) -> int:
        """The wall instant of `t`, counted from the plan's start in whole seconds (so a wall-clock step moves nothing)."""
        return self.anchor_us + whole_seconds(t - self.t0) * 1_000_000


def derive(state: State, reading: Reading) -> View:
    """Everything derived at the instant of `reading`, from the state and the clock."""
    t, _ = state.t_of(reading)
    agenda = state.agenda
    now_us = reading.wall_us
    anchor_us = _anchor_us(state, now_us)
    # Before the start the plan is on no axis yet; any origin will do, as only places relative to it become instants.
    t0 = state.anchor_t if state.started else t
    plan = _Plan(t0, anchor_us, t0 + agenda.duration_s)
    figures = _figures(state, t, now_us, anchor_us, plan.end_t)
    # Behind/ahead, the projected end and the shrink advice all come from this one rounded figure. Rounding
    # the projected end on its own (from the plan's start) could land on the other side of a half second.
    late = whole_seconds(figures.offset)
    planned_end_us = anchor_us + agenda.duration_s * 1_000_000
    flex: tuple[Flex, ...] = ()
    unrecoverable = 0
    cuts: dict[int, int] = {}
    if not state.ended:
        flex, unrecoverable, cuts = flex_plan(state, t, late)
    expected = {} if state.ended else _expected_starts(state, t, figures, plan, cuts)
    shown = state.shown
    return View(
        mode=state.mode,
        now=reading.wall,
        now_us=now_us,
        started=state.started,
        ended=state.ended,
        paused=state.paused,
        phase=figures.phase,
        alert=figures.alert,
        current=state.current,
        elapsed_s=figures.elapsed,
        remaining_s=figures.remaining,
        allotted_s=figures.allotted,
        offset_s=figures.offset,
        planned_start=to_pendulum(anchor_us),
        planned_end=to_pendulum(planned_end_us),
        projected_end=to_pendulum(planned_end_us + late * 1_000_000),
        starts_in_s=figures.starts_in,
        total_s=_total(state, t),
        flex=flex,
        unrecoverable_s=unrecoverable,
        segments=_rows(state, t, anchor_us, expected),
        uncertain=state.uncertain,
        last_event_us=state.last_event_us,
        seq=state.seq,
        next_index=_next_index(state),
        message=None if shown is None else shown.text,
        message_at_us=None if shown is None else shown.sent_us,
        message_pinned=shown is not None and shown.pinned,
        message_seen_at_us=None if shown is None else shown.seen_us,
    )


def _total(state: State, t: float) -> float:
    """From the start to the end, or to `t` while the show runs: the sum of every segment's running and paused time."""
    if not state.started:
        return 0.0
    return (t if state.end_t is None else state.end_t) - state.start_t


def _anchor_us(state: State, now_us: int) -> int:
    """Where the planned timeline begins: recorded at the start, else the agenda (live) or now (rehearsal)."""
    if state.anchor_us is not None:
        return state.anchor_us
    return to_us(state.agenda.start) if state.mode == LIVE else now_us


def _next_index(state: State) -> int | None:
    if state.ended:
        return None
    if state.current is None:
        return 1 if len(state.agenda.segments) > 1 else None
    return next_segment(state)


def _rows(state: State, t: float, anchor_us: int, expected: dict[int, int]) -> tuple[SegmentView, ...]:
    agenda = state.agenda
    zone = agenda.session.timezone
    rows = []
    for index, (segment, done) in enumerate(zip(agenda.segments, state.segments)):
        start_us = anchor_us + agenda.offset_of(segment) * 1_000_000
        ran = done.first_start_t is not None
        actual_s = state.elapsed(index, t) if ran else None
        rows.append(
            SegmentView(
                segment=segment,
                status=_status(state, index),
                zone=zone,
                planned_start_us=start_us,
                planned_end_us=start_us + segment.duration_s * 1_000_000,
                allotted_s=state.allotted(index),
                actual_start_us=done.first_start_us,
                actual_end_us=done.last_end_us,
                actual_s=actual_s,
                delta_s=None if actual_s is None else actual_s - segment.duration_s,
                paused_s=state.paused_for(index, t),
                extended_s=done.extended_s,
                pauses=done.pauses,
                extensions=done.extensions,
                skipped=done.skipped,
                warnings=tuple(done.warnings),
                expected_start_us=expected.get(index),
                adopted_s=done.adopted_s,
                laters=done.laters,
            )
        )
    return tuple(rows)


def _status(state: State, index: int) -> RowStatus:
    done = state.segments[index]
    if index == state.current and not state.ended:
        return RowStatus.CURRENT
    if done.skipped:
        return RowStatus.SKIPPED
    if done.first_start_t is not None:
        return RowStatus.DONE
    return RowStatus.PENDING


def _figures(state: State, t: float, now_us: int, anchor_us: int, planned_end_t: float) -> _Figures:
    if not state.started:
        live = state.mode == LIVE
        offset = max(0.0, (now_us - anchor_us) / 1e6) if live else 0.0
        starts_in = (anchor_us - now_us) / 1e6 if live and now_us < anchor_us else None
        return _Figures(ViewPhase.PENDING, Urgency.PENDING, 0.0, 0.0, 0.0, offset, starts_in)
    if state.ended:
        assert state.end_t is not None
        offset = state.end_t - planned_end_t
        return _Figures(ViewPhase.DONE, Urgency.DONE, 0.0, 0.0, 0.0, offset, None)
    assert state.current is not None
    index = state.current
    elapsed = state.elapsed(index, t)
    allotted = state.allotted(index)
    remaining = allotted - elapsed
    alert = _alert(state.agenda.segments[index], remaining)
    phase = ViewPhase.PAUSED if state.paused else ViewPhase(alert.value)
    return _Figures(phase, alert, elapsed, remaining, allotted, projected_offset(state, t), None)


def _alert(segment: Segment, remaining: float) -> Urgency:
    if remaining <= 0:
        return Urgency.OVERTIME
    if segment.final_s is not None and remaining <= segment.final_s:
        return Urgency.FINAL
    if segment.wrap_up_s is not None and remaining <= segment.wrap_up_s:
        return Urgency.WRAP_UP
    return Urgency.RUNNING


def _expected_starts(state: State, t: float, figures: _Figures, plan: _Plan, cuts: dict[int, int]) -> dict[int, int]:
    """When each segment ahead will start if the show goes on as projected, with the flexible plan applied."""
    if state.current is None:
        cursor = plan.t0 + max(0.0, figures.offset)
    else:
        cursor = t + max(0.0, figures.remaining - cuts.get(state.current, 0))
    starts = {}
    for index in still_to_run(state):
        cursor += idle_before(state, index)
        starts[index] = plan.instant(cursor)
        cursor += left(state, index, t) - cuts.get(index, 0)
    return starts
