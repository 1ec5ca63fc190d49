"""A journal in, planned-vs-actual rows out: what `runofshow report` is made of.

Nothing here draws. Every figure comes from replaying the journal with the
engine and taking its view at the journal's last record, never at "now", so
the report of a finished journal is the same whenever and wherever it is made.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pendulum

from runofshow.domain.derive import RowStatus, View, derive
from runofshow.domain.instants import to_pendulum, to_us
from runofshow.domain.link import LinkState, control_state
from runofshow.domain.progress import Crossing
from runofshow.domain.spans import Span
from runofshow.journal.codec import JournalError
from runofshow.journal.lock import holder
from runofshow.session.replay import replay

# A segment's outcome.
DONE = "done"
SKIPPED = "skipped"
OPEN = "open"
NOT_RUN = "not_run"

# A session's state, as far as its journal (and its lock) can tell.
NOT_STARTED = "not_started"
RUNNING = "running"
DETACHED = "detached"
INTERRUPTED = "interrupted"
ENDED = "ended"

#: A started session's state, by who drives it (`control_state`, the rule the followers go by too).
_STATES = {
    LinkState.ENDED: ENDED,
    LinkState.CONTROLLED: RUNNING,
    LinkState.DETACHED: DETACHED,
    LinkState.STOPPED: INTERRUPTED,
}

#: A segment's outcome, by where its row stands at the last record.
_OUTCOMES = {RowStatus.CURRENT: OPEN, RowStatus.SKIPPED: SKIPPED, RowStatus.DONE: DONE, RowStatus.PENDING: NOT_RUN}

#: How many of the largest overruns the totals name.
TOP_OVERRUNS = 3


class Part(StrEnum):
    """What one part of the end's offset is (`SessionReport.end_parts`)."""

    START = "start"
    SEGMENT = "segment"
    PAUSED = "paused"
    UNRUN = "unrun"
    REST = "rest"


@dataclass(frozen=True, slots=True)
class SegmentReport:
    """One agenda row after the fact: the plan, what happened, and the difference.

    `runs` and `paused` are when the segment was running or paused, for the
    chart; a segment visited twice (goto) has two runs.
    """

    number: int
    title: str
    speaker: str | None
    kind: str
    flexible: bool
    status: str
    planned_start: pendulum.DateTime
    planned_end: pendulum.DateTime
    planned_s: int
    allotted_s: float
    actual_start: pendulum.DateTime | None
    actual_end: pendulum.DateTime | None
    actual_s: float | None
    delta_s: float | None
    paused_s: float
    pauses: int
    extended_s: float
    extensions: int
    skipped: bool
    skips: int
    warnings: tuple[Crossing, ...]
    runs: tuple[Span, ...]
    paused: tuple[Span, ...]

    @property
    def ran(self) -> bool:
        """Whether it was ever under way (done, cut short, or still open)."""
        return self.status != NOT_RUN


@dataclass(frozen=True, slots=True)
class EndPart:
    """One part of how late (+) or early (−) the show ended; `segment` for a segment's own over/under."""

    part: Part
    seconds: float
    segment: SegmentReport | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """A record someone other than the moderator's keyboard caused: who, when, and what (its type and data)."""

    seq: int
    at: pendulum.DateTime
    actor: str
    type: str
    data: dict[str, object]


@dataclass(frozen=True, slots=True)
class SessionReport:
    """One journal's session, planned against actual, with the totals the organizers ask for."""

    journal: str
    title: str
    date: pendulum.Date
    timezone: str
    mode: str
    session_id: str
    owner: str
    agenda_path: str
    state: str
    holder: str | None
    planned_start: pendulum.DateTime
    planned_end: pendulum.DateTime
    planned_s: int
    #: The agenda's planned breaks between segments, added up.
    breaks_s: int
    actual_start: pendulum.DateTime | None
    actual_end: pendulum.DateTime | None
    last_record: pendulum.DateTime | None
    actual_s: float | None
    end_offset_s: float | None
    projected_end: pendulum.DateTime | None
    segments: tuple[SegmentReport, ...]
    records: int
    torn_line: int | None
    uncertain: bool
    clock_jumps: int
    suspends: int
    reopens: int
    #: Who did what from outside the moderator's keyboard (co-hosts, the API, the stage), in order.
    actions: tuple[Action, ...] = ()

    @property
    def started(self) -> bool:
        """Whether the show was ever started."""
        return self.state != NOT_STARTED

    @property
    def ended(self) -> bool:
        """Whether the moderator ended it; otherwise the report stops at the last record."""
        return self.state == ENDED

    @property
    def open_segment(self) -> SegmentReport | None:
        """The segment under way at the last record of a session that did not end."""
        return next((s for s in self.segments if s.status == OPEN), None)

    @property
    def start_offset_s(self) -> float | None:
        """How late (+) or early (−) the show started against the plan; 0 in a rehearsal."""
        if self.actual_start is None:
            return None
        return (self.actual_start - self.planned_start).total_seconds()

    @property
    def paused_s(self) -> float:
        """Paused time over all segments."""
        return sum(s.paused_s for s in self.segments)

    @property
    def pauses(self) -> int:
        """How many times the show was paused."""
        return sum(s.pauses for s in self.segments)

    @property
    def extended_s(self) -> float:
        """Time added (or, if negative, taken) by extensions, over all segments."""
        return sum(s.extended_s for s in self.segments)

    @property
    def extensions(self) -> int:
        """How many extensions were given."""
        return sum(s.extensions for s in self.segments)

    @property
    def overruns(self) -> tuple[SegmentReport, ...]:
        """The segments that ran longest past their plan, largest first."""
        # Over by what rounds to at least a second (the rounding rule of docs/report.md).
        over = [s for s in self.segments if s.ran and s.delta_s is not None and s.delta_s >= 0.5]
        over.sort(key=lambda s: (-(s.delta_s or 0.0), s.number))
        return tuple(over[:TOP_OVERRUNS])

    @property
    def overrun_s(self) -> float:
        """Time the fixed (not flexible) segments ran past their plan, all added up."""
        return sum(max(0.0, s.delta_s or 0.0) for s in self.segments if s.ran and not s.flexible)

    @property
    def end_parts(self) -> tuple[EndPart, ...]:
        """How late (+) or early (−) the show ended, part by part; the parts add up to `end_offset_s` exactly.

        The start's lateness; each segment that ran and was left (done or
        skipped), over or under its plan; the time paused; in a session that
        ended, the plan of the segments that never ran; and the rest: the
        agenda's breaks (which nothing waits for), or, for a session that did
        not end, the segment under way and those left, as projected.
        """
        if not self.started or self.end_offset_s is None:
            return ()
        parts = [EndPart(Part.START, self.start_offset_s or 0.0)]
        parts += [
            EndPart(Part.SEGMENT, s.delta_s, s)
            for s in self.segments
            if s.delta_s is not None and s.status in (DONE, SKIPPED)
        ]
        parts.append(EndPart(Part.PAUSED, self.paused_s))
        if self.ended:
            parts.append(EndPart(Part.UNRUN, -float(sum(s.planned_s for s in self.segments if s.actual_s is None))))
        parts.append(EndPart(Part.REST, self.end_offset_s - math.fsum(p.seconds for p in parts)))
        return tuple(parts)

    def end_part(self, part: Part, *, flexible: bool | None = None) -> float:
        """The parts of one kind added up (of the segments, only the fixed or the flexible ones, if asked)."""
        return math.fsum(
            p.seconds
            for p in self.end_parts
            if p.part == part and (flexible is None or p.segment is None or p.segment.flexible == flexible)
        )


# ---------------------------------------------------------------------------
# Reading a journal


_EARLIEST_US = to_us(pendulum.datetime(1900, 1, 1))
_LATEST_US = to_us(pendulum.datetime(9000, 1, 1))


def _check_sane(name: str, view: View) -> None:
    """Refuse figures no session can have, which the engine lets through and no renderer could show."""
    figures = [view.offset_s]
    instants = [view.planned_start, view.planned_end, view.projected_end]
    for row in view.segments:
        figures += [row.allotted_s, row.extended_s, row.paused_s, row.actual_s or 0.0]
        instants += [m for m in (row.planned_start, row.planned_end, row.actual_start, row.actual_end) if m is not None]
    moments = [to_us(m) for m in instants] + [w.crossed_us for row in view.segments for w in row.warnings]
    moments += [view.now_us] + ([] if view.last_event_us is None else [view.last_event_us])
    if not all(math.isfinite(x) for x in figures):
        raise JournalError(f"{name}: corrupt journal (a duration in it is not a number)")
    if not all(_EARLIEST_US <= m < _LATEST_US for m in moments):
        raise JournalError(f"{name}: corrupt journal (a time in it is before 1900 or after 9000)")


def _actual(
    start: pendulum.DateTime | None, end: pendulum.DateTime | None, spans: tuple[Span, ...]
) -> tuple[pendulum.DateTime | None, pendulum.DateTime | None]:
    """A segment's actual start and end as the first and last instants of its spans, when it has any.

    The spans are what `parts` words; taking the start and end from the
    records' own wall clocks instead converts the same instant a second way,
    and the two can differ by a microsecond of rounding.
    """
    if not spans:
        return start, end
    first = to_pendulum(min(a for a, _ in spans)) if start is not None else None
    last = to_pendulum(max(b for _, b in spans)) if end is not None else None
    return first, last


def load(path: str | Path) -> SessionReport:
    """Replay the journal at `path` and report on it; raise JournalError if it is not one.

    The journal is replayed once, with the spans noted as each event is
    applied and no list of events kept; a torn last line is left out, as
    every reader does.
    """
    name = str(path)
    try:
        replayed = replay(path)
        torn = replayed.torn
        engine = replayed.engine
        # The last record is the report's "now": a finished journal always reads the same.
        view = derive(engine, engine.last_reading)
    except (ArithmeticError, ValueError, RecursionError) as error:
        # Records that parse but hold impossible values (Infinity seconds, the year 9999, deep nesting).
        raise JournalError(f"{name}: corrupt journal ({type(error).__name__}: {error})") from None
    _check_sane(name, view)
    header = replayed.header
    agenda = replayed.agenda

    owner = None if engine.ended else holder(name)
    if not engine.started:
        state = NOT_STARTED
    else:
        state = _STATES[control_state(ended=engine.ended, last_type=engine.last_type, held=bool(owner))]

    segments = []
    for row in view.segments:
        runs, paused = engine.spans(row.number - 1)
        actual_start, actual_end = _actual(row.actual_start, row.actual_end, runs + paused)
        status = _OUTCOMES[row.status]
        segment = row.segment
        segments.append(
            SegmentReport(
                number=row.number,
                title=segment.title,
                speaker=segment.speaker,
                kind=segment.kind,
                flexible=segment.flexible,
                status=status,
                planned_start=row.planned_start,
                planned_end=row.planned_end,
                planned_s=segment.duration_s,
                allotted_s=row.allotted_s,
                actual_start=actual_start,
                actual_end=actual_end,
                actual_s=row.actual_s,
                delta_s=row.delta_s,
                paused_s=row.paused_s,
                pauses=row.pauses,
                extended_s=row.extended_s,
                extensions=row.extensions,
                skipped=row.skipped,
                skips=engine.segments[row.number - 1].skips,
                warnings=row.warnings,
                runs=runs,
                paused=paused,
            )
        )

    started = engine.started
    return SessionReport(
        journal=name,
        title=agenda.session.title,
        date=agenda.session.date,
        timezone=agenda.session.timezone,
        mode=header.mode,
        session_id=header.session_id,
        owner=header.owner,
        agenda_path=header.agenda_path,
        state=state,
        holder=owner,
        planned_start=view.planned_start,
        planned_end=view.planned_end,
        planned_s=agenda.duration_s,
        breaks_s=sum(gap.seconds for gap in agenda.gaps),
        actual_start=segments[0].actual_start if started else None,
        actual_end=None if engine.end_us is None else to_pendulum(engine.end_us),
        last_record=None if engine.last_event_us is None else to_pendulum(engine.last_event_us),
        # The view is at the last record: start to end, or to the last record of a session that did not end.
        actual_s=view.total_s if started else None,
        end_offset_s=view.offset_s if started else None,
        projected_end=view.projected_end if started else None,
        segments=tuple(segments),
        records=engine.seq,
        torn_line=None if torn is None else torn.line,
        uncertain=engine.uncertain,
        clock_jumps=len(engine.clock_jumps),
        suspends=len(engine.suspends),
        reopens=engine.reopens,
        actions=tuple(
            Action(event.seq, to_pendulum(event.wall_us), event.actor, event.type, event.data)
            for event in replayed.actions
        ),
    )


# ---------------------------------------------------------------------------
# Comparing sessions


@dataclass(frozen=True, slots=True)
class ComparedSegment:
    """One segment across sessions: its row in each, or None where it was not on the agenda."""

    number: int
    title: str
    kind: str
    planned_s: int
    rows: tuple[SegmentReport | None, ...]


@dataclass(frozen=True, slots=True)
class KindAverage:
    """The average over/under of one kind of segment, per session and over all of them.

    Only segments that ran to their end count: a cut or unfinished one says
    nothing about how long that kind of segment takes.
    """

    kind: str
    counts: tuple[int, ...]
    averages: tuple[float | None, ...]
    count: int
    average: float | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """Several sessions of the same or similar agendas, side by side."""

    sessions: tuple[SessionReport, ...]
    segments: tuple[ComparedSegment, ...]
    kinds: tuple[KindAverage, ...]


def _key(title: str) -> str:
    return re.sub(r"\s+", " ", title).strip().casefold()


def _keys(segments: tuple[SegmentReport, ...]) -> list[tuple[str, int]]:
    """A title key per segment, numbered when a title repeats (two "Break"s)."""
    seen: dict[str, int] = {}
    keys = []
    for segment in segments:
        key = _key(segment.title)
        seen[key] = seen.get(key, 0) + 1
        keys.append((key, seen[key]))
    return keys


def compare(sessions: Sequence[SessionReport]) -> Comparison:
    """Line sessions up segment by segment and kind by kind.

    Segments match by title; one left unmatched takes the same-numbered slot
    if that slot is free and of the same kind (a talk renamed between a
    rehearsal and the show). The rest get rows of their own.
    """
    sessions = tuple(sessions)
    columns: list[list[SegmentReport | None]] = []  # per compared row, one cell per session
    order: list[SegmentReport] = []  # the row's first appearance
    by_key: dict[tuple[str, int], int] = {}
    for column, session in enumerate(sessions):
        taken: set[int] = set()
        pending: list[tuple[tuple[str, int], SegmentReport]] = []
        for key, segment in zip(_keys(session.segments), session.segments):
            row = by_key.get(key)
            if row is not None and row not in taken:
                columns[row][column] = segment
                taken.add(row)
            else:
                pending.append((key, segment))
        for key, segment in pending:
            row = segment.number - 1
            if row < len(order) and row not in taken and order[row].kind == segment.kind:
                columns[row][column] = segment
                taken.add(row)
                continue
            columns.append([None] * len(sessions))
            columns[-1][column] = segment
            order.append(segment)
            by_key.setdefault(key, len(order) - 1)
            taken.add(len(order) - 1)

    compared = tuple(
        ComparedSegment(first.number, first.title, first.kind, first.planned_s, tuple(cells))
        for first, cells in zip(order, columns)
    )

    kinds: dict[str, list[list[float]]] = {}
    for session in sessions:
        for segment in session.segments:
            kinds.setdefault(segment.kind, [[] for _ in sessions])
    for column, session in enumerate(sessions):
        for segment in session.segments:
            if segment.status == DONE and segment.delta_s is not None:
                kinds[segment.kind][column].append(segment.delta_s)
    averages = []
    for kind, per_session in kinds.items():
        every = [d for deltas in per_session for d in deltas]
        averages.append(
            KindAverage(
                kind=kind,
                counts=tuple(len(d) for d in per_session),
                averages=tuple(sum(d) / len(d) if d else None for d in per_session),
                count=len(every),
                average=sum(every) / len(every) if every else None,
            )
        )
    return Comparison(sessions, compared, tuple(averages))
