"""The report's words: every cell and sentence of one session, as plain literal text.

Each format escapes these for itself (Markdown, HTML, the terminal); none of
them words a figure on its own, so the table, the minutes and the picture
always say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pendulum

from runofshow.domain.events import REHEARSAL
from runofshow.domain.instants import to_pendulum
from runofshow.report.model import (
    DETACHED,
    DONE,
    INTERRUPTED,
    NOT_RUN,
    NOT_STARTED,
    OPEN,
    RUNNING,
    SKIPPED,
    Part,
    SegmentReport,
    SessionReport,
)
from runofshow.report.numbers import (
    duration,
    lateness,
    lengthened,
    net_words,
    rounded_parts,
    signed,
    signed_whole,
    times,
    warning_labels,
    whole,
)
from runofshow.words.text import literal, shorten
from runofshow.words.timefmt import clock_time, describe_offset, format_duration
from runofshow.words.zones import zone_label

#: How many parts of a segment's run a table lists before it sums up the middle ones.
MOST_PARTS = 4

STATUS_WORDS = {DONE: "", SKIPPED: "skipped", OPEN: "open", NOT_RUN: "not run"}


def note(segment: SegmentReport) -> str:
    """The segment's state in a word, with a trace of a skip it came back from."""
    word = STATUS_WORDS[segment.status]
    if not segment.skips or segment.status == SKIPPED:
        return word
    return f"{word}; skipped earlier" if word else "skipped, then run"


def granted_delta(segment: SegmentReport) -> float | None:
    """Over (+) or under (−) what the segment was granted: its plan and every extension."""
    return None if segment.actual_s is None else segment.actual_s - segment.allotted_s


def granted(segment: SegmentReport) -> str:
    """The over/under against what was granted, worded; empty where nothing was added or taken."""
    return signed(granted_delta(segment)) if segment.extensions else ""


def granted_tone(segment: SegmentReport) -> str:
    """Which colour the over/under against what was granted takes."""
    delta = whole(granted_delta(segment) or 0.0)
    return "" if delta == 0 or not segment.extensions else "over" if delta > 0 else "under"


def tone(segment: SegmentReport) -> str:
    """Which colour a segment's actual bar takes."""
    if segment.status in (SKIPPED, OPEN):
        return segment.status
    return "over" if whole(segment.delta_s or 0.0) > 0 else "under"


def delta_tone(segment: SegmentReport) -> str:
    """Which colour a segment's over/under takes: none when on time."""
    delta = whole(segment.delta_s or 0.0)
    return "" if delta == 0 else "over" if delta > 0 else "under"


class Clock:
    """Instants shown as clock times in one zone, marked +1d on a later day than the plan's."""

    def __init__(self, tz: str, first_day: pendulum.Date) -> None:
        self.tz = tz
        self.first_day = first_day

    def __call__(self, moment: pendulum.DateTime | None, *, with_seconds: bool = True) -> str:
        if moment is None:
            return ""
        # The one rounding rule for instants too: 18:01:00.5 reads 18:01:01, as 300.5 s reads 5:01.
        rounded = moment.add(microseconds=500_000).set(microsecond=0)
        return clock_time(rounded, self.tz, first_day=self.first_day, with_seconds=with_seconds)


@dataclass(frozen=True, slots=True)
class Tally:
    """How long something took in all and how many times it happened: a segment's pauses or changes of length."""

    seconds: float
    count: int


@dataclass(frozen=True, slots=True)
class Cells:
    """One segment's row, as values: each format words the pauses, changes and warnings its own way."""

    number: int
    title: str
    speaker: str
    planned: str
    planned_start: str
    plan: str
    actual: str
    actual_start: str
    took: str
    delta: str
    granted: str
    parts: tuple[str, ...]
    paused: Tally | None
    extended: Tally | None
    warnings: tuple[str, ...]
    note: str

    def parts_text(self, separator: str = ", ") -> str:
        """Each stretch it ran, apart: a pause or a return (goto) splits it."""
        return separator.join(self.parts) if len(self.parts) > 1 else self.actual

    def paused_text(self) -> str:
        """ "2:00 (1)": the time paused and how many pauses; empty without one."""
        return f"{duration(self.paused.seconds)} ({self.paused.count})" if self.paused else ""

    def extended_text(self) -> str:
        """ "+1:00 (1)": the time added (or taken) and how many changes; empty without one."""
        return f"{signed(self.extended.seconds)} ({self.extended.count})" if self.extended else ""

    def notes(self) -> list[str]:
        """The pauses, changes and warnings as words, for one Notes column."""
        notes = []
        if self.paused:
            notes.append("paused " + self.paused_text())
        if self.extended:
            change = signed(self.extended.seconds)
            word = "shortened " if change.startswith("-") else "extended "
            notes.append(f"{word}{change.lstrip('+-')} ({self.extended.count})")
        if self.warnings:
            notes.append(", ".join(self.warnings))
        return notes


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the table in the minutes (Markdown, HTML): its header, and how it reads a row."""

    key: str
    name: str
    numeric: bool = False
    optional: bool = False

    def text(self, cells: Cells) -> str:
        """The cell of this column in `cells`, as plain literal text."""
        if self.key == "number":
            return str(cells.number)
        if self.key == "paused":
            return cells.paused_text()
        if self.key == "extended":
            return cells.extended_text()
        if self.key == "warnings":
            return ", ".join(cells.warnings)
        if self.key == "actual":
            return cells.parts_text()
        value: str = getattr(cells, self.key)
        return value


TABLE_COLUMNS = (
    Column("number", "#", numeric=True),
    Column("title", "Segment"),
    Column("speaker", "Speaker", optional=True),
    Column("planned", "Planned"),
    Column("plan", "Plan", numeric=True),
    Column("actual", "Actual"),
    Column("took", "Took", numeric=True),
    Column("delta", "Over/under", numeric=True),
    Column("granted", "Over/under granted", numeric=True, optional=True),
    Column("paused", "Paused", numeric=True, optional=True),
    Column("extended", "Extended", numeric=True, optional=True),
    Column("warnings", "Warnings", optional=True),
    Column("note", "Note", optional=True),
)
"""The minutes' columns, in order."""


def columns(rows: Sequence[Cells]) -> list[Column]:
    """The columns worth showing: the optional ones only when some row fills them."""
    return [c for c in TABLE_COLUMNS if not c.optional or any(c.text(row) for row in rows)]


#: How the report names each kind of actor.
ACTOR_KINDS = {"cohost": "co-host", "api": "API", "hub": "hub takeover"}


def actor_words(actor: str) -> str:
    """ "cohost:Ana" -> "Ana (co-host)", "api:deck" -> "deck (API)", "stage" -> "the stage"; literal."""
    kind, _, name = actor.partition(":")
    if not name:
        return "the stage" if kind == "stage" else literal(kind)
    return f"{literal(name)} ({ACTOR_KINDS.get(kind, literal(kind))})"


def action_words(kind: str, data: dict[str, object]) -> str:
    """What a record did, in a few words: "next 1 → 2", "extend segment 2 by +1:00", "message"."""
    if kind in ("next", "previous", "goto") and "from" in data and "to" in data:
        return f"{kind} {data['from']} → {data['to']}"
    if kind == "skip" and "segment" in data:
        return f"skip segment {data['segment']}"
    if kind == "extend" and isinstance(data.get("seconds"), int | float):
        seconds = float(data["seconds"])  # type: ignore[arg-type]
        return f"extend segment {data.get('segment')} by {'+' if seconds >= 0 else '−'}{duration(abs(seconds))}"
    if kind == "message":
        return "message cleared" if not data.get("text") else "message"
    return literal(kind)


class Shown:
    """One session as it is shown in one zone: every cell and sentence, as plain literal text."""

    def __init__(self, session: SessionReport, tz: str) -> None:
        self.session = session
        self.tz = tz
        self.clock = Clock(tz, session.planned_start.in_tz(tz).date())
        self.zone_name = zone_label(session.planned_start, tz)
        # A plan on whole minutes (live) drops the seconds; a rehearsal's starts when it was started.
        self.planned_seconds = any(
            moment.in_tz(tz).second or moment.microsecond
            for segment in session.segments
            for moment in (segment.planned_start, segment.planned_end)
        )

    def span(self, start: pendulum.DateTime | None, end: pendulum.DateTime | None, *, planned: bool = False) -> str:
        """ "18:00–18:10", or "18:01:10–…" while it has no end."""
        with_seconds = self.planned_seconds or not planned
        if start is None:
            return ""
        return f"{self.clock(start, with_seconds=with_seconds)}–{self.clock(end, with_seconds=with_seconds) if end else '…'}"

    def heading(self) -> str:
        """The session's title, marked when it was a rehearsal."""
        title = literal(self.session.title)
        return f"{title} — REHEARSAL" if self.session.mode == REHEARSAL else title

    def meta(self) -> str:
        """The day, the zone, the journal and who ran it, on one line."""
        return f"{self.dateline()} · {self.provenance()}"

    def dateline(self) -> str:
        """The day and the zone the times are in: what minutes need under the title."""
        day = self.session.planned_start.in_tz(self.tz).format("ddd D MMM YYYY")
        return f"{day} · times in {self.zone_name} ({self.tz})"

    def provenance(self) -> str:
        """Which journal, how long, and whose machine: for a footer, not for the minutes' heading."""
        s = self.session
        return f"journal {literal(s.journal)}, {times(s.records, 'record')} · {literal(s.owner)}"

    def notes(self) -> list[str]:
        """What a reader must know before trusting the figures."""
        s = self.session
        clock = self.clock
        notes: list[str] = []
        if s.mode == REHEARSAL:
            if s.actual_start is not None:
                notes.append(f"Rehearsal: the planned times count from its start at {clock(s.actual_start)}.")
            else:
                notes.append("Rehearsal: the planned times will count from its start.")
        upto = clock(s.last_record)
        open_ = s.open_segment
        where = f"segment {open_.number if open_ else '?'} is open and counted up to then"
        if s.state == NOT_STARTED:
            notes.append("Not started: there is nothing to compare yet.")
        elif s.state == RUNNING:
            notes.append(
                f"Still running ({literal(s.holder or '')}): reported up to its last record at {upto}; {where}."
            )
        elif s.state == DETACHED:
            notes.append(f"Not ended: the moderator quit at {upto} without ending it; {where}.")
        elif s.state == INTERRUPTED:
            notes.append(f"Not ended: the journal stops at {upto} (the controller stopped, e.g. a crash); {where}.")
        if s.torn_line is not None:
            notes.append(f"The journal's last record (line {s.torn_line}) was cut short; it is left out.")
        if s.uncertain:
            notes.append("Some time was counted by the wall clock after a restart, so it is less certain.")
        if s.clock_jumps:
            notes.append(f"The wall clock was stepped {times(s.clock_jumps)}; durations use the monotonic clock.")
        if s.suspends:
            notes.append(f"The machine slept {times(s.suspends)}; that time counts, as the room's clock kept running.")
        return notes

    def actions(self) -> list[str]:
        """Who did what from outside the moderator's keyboard, one line each: "18:02:10 Ana (co-host): next"."""
        return [
            f"{self.clock(action.at)} {actor_words(action.actor)}: {action_words(action.type, action.data)}"
            for action in self.session.actions
        ]

    def summary(self) -> list[str]:
        """The totals, one sentence each."""
        s = self.session
        planned = f"Planned {duration(s.planned_s)} ({self.span(s.planned_start, s.planned_end, planned=True)})"
        if not s.started:
            return [f"{planned}; not started."]
        clock = self.clock
        actual = duration(s.actual_s or 0.0)
        if s.ended:
            lines = [f"{planned}; actual {actual} ({self.span(s.actual_start, s.actual_end)})."]
        else:
            lines = [
                f"{planned}; {actual} so far ({clock(s.actual_start)} to the last record at {clock(s.last_record)})."
            ]
        start = ""
        if s.mode != REHEARSAL and s.start_offset_s is not None:
            start = f"Started at {clock(s.actual_start)}, {lateness(s.start_offset_s)}; "
        offset = describe_offset(whole(s.end_offset_s or 0.0), ended=s.ended).removeprefix("ended ")
        planned_end = clock(s.planned_end, with_seconds=self.planned_seconds)
        if s.ended:
            ending = f"ended at {clock(s.actual_end)}, {offset} (planned end {planned_end})."
        else:
            ending = f"would end at {clock(s.projected_end)}, {offset} (planned end {planned_end})."
        lines.append((start + ending) if start else ending[0].upper() + ending[1:])
        overruns = s.overruns
        if overruns:
            lines.append(
                "Largest overruns: "
                + "; ".join(f"{o.number} {shorten(literal(o.title), 60)} {signed(o.delta_s)}" for o in overruns)
                + "."
            )
        else:
            lines.append("No segment ran over its plan.")
        lines.append(self._ending())
        extras = []
        if s.pauses:
            extras.append(f"paused {duration(s.paused_s)} ({times(s.pauses, 'pause')})")
        if s.extensions:
            extras.append(f"{lengthened(s.extended_s)} ({times(s.extensions, 'change')})")
        skipped = [f"#{x.number}" for x in s.segments if x.status == SKIPPED]
        if skipped:
            extras.append("skipped: " + ", ".join(skipped))
        returned = [f"#{x.number}" for x in s.segments if x.skips and x.status != SKIPPED]
        if returned:
            extras.append("skipped, then run: " + ", ".join(returned))
        missed = [f"#{x.number}" for x in s.segments if x.status == NOT_RUN]
        if missed:
            extras.append("not run: " + ", ".join(missed))
        if extras:
            text = "; ".join(extras)
            lines.append(text[0].upper() + text[1:] + ".")
        return lines

    def _ending(self) -> str:
        """How the end's offset came about: the fixed and the flexible segments, the start, pauses, what never ran.

        The figures add up to the end's offset as the sentence before words it:
        each part is rounded so that their sum is that offset (`rounded_parts`).
        """
        s = self.session
        parts = s.end_parts
        figures = rounded_parts([p.seconds for p in parts], whole(s.end_offset_s or 0.0))
        fixed = [(p.segment, n) for p, n in zip(parts, figures) if p.segment is not None and not p.segment.flexible]
        flexible = [(p.segment, n) for p, n in zip(parts, figures) if p.segment is not None and p.segment.flexible]
        other = {p.part: n for p, n in zip(parts, figures) if p.segment is None}
        clauses = []
        if fixed:
            net = sum(n for _, n in fixed)
            over, under = sum(n for _, n in fixed if n > 0), -sum(n for _, n in fixed if n < 0)
            both = f", net ({format_duration(over)} over, {format_duration(under)} under)" if over and under else ""
            which = f"fixed segment #{fixed[0][0].number}" if len(fixed) == 1 else "fixed segments"
            clauses.append(f"{which} {net_words(net, 'over', 'under')}{both}")
        if len(flexible) == 1:
            segment, net = flexible[0]
            clauses.append(f"flexible segment #{segment.number} (~) {net_words(net, 'longer', 'shorter')}")
        elif flexible:
            each = ", ".join(f"#{segment.number} {signed_whole(n)}" for segment, n in flexible)
            net = sum(n for _, n in flexible)
            clauses.append(f"flexible segments (~) {net_words(net, 'longer', 'shorter')}, net ({each})")
        also = []
        if other.get(Part.START):
            also.append(f"the start {lateness(other[Part.START])}")
        if other.get(Part.PAUSED):
            also.append(f"{format_duration(other[Part.PAUSED])} paused")
        if other.get(Part.UNRUN):
            unrun = ", ".join(f"#{x.number}" for x in s.segments if x.actual_s is None)
            also.append(f"{unrun} not run ({signed_whole(other[Part.UNRUN])})")
        if other.get(Part.REST):
            rest = (
                "the agenda's breaks"
                if s.ended and s.breaks_s
                else "other time"
                if s.ended
                else "the segment under way and those left, as projected"
            )
            also.append(f"{rest} ({signed_whole(other[Part.REST])})")
        end = describe_offset(whole(s.end_offset_s or 0.0), ended=True).removeprefix("ended ")
        ending = f"the show ended {end}" if s.ended else f"it would end {end}"
        if also:
            ending = "with " + (", ".join(also[:-1]) + " and " + also[-1] if len(also) > 1 else also[0]) + ", " + ending
        text = "; ".join([*clauses, ending]) + "."
        return text[0].upper() + text[1:]

    def parts(self, segment: SegmentReport) -> tuple[str, ...]:
        """Each stretch the segment ran, as "18:11:30–18:15:00"; one still under way ends in "…".

        Beyond MOST_PARTS, the first and the last with a count between: a
        segment paused a hundred times would otherwise fill the page (and
        wording each part costs time).
        """
        runs = segment.runs
        last = len(runs) - 1

        def part(i: int) -> str:
            a, b = runs[i]
            return self.span(to_pendulum(a), None if segment.status == OPEN and i == last else to_pendulum(b))

        if len(runs) > MOST_PARTS:
            return (part(0), f"… {len(runs) - 2} more …", part(last))
        return tuple(part(i) for i in range(len(runs)))

    def cells(self, segment: SegmentReport) -> Cells:
        """The table's cells for one segment."""
        clock = self.clock
        return Cells(
            number=segment.number,
            title=literal(segment.title),
            speaker=literal(segment.speaker or ""),
            planned=self.span(segment.planned_start, segment.planned_end, planned=True),
            planned_start=clock(segment.planned_start, with_seconds=self.planned_seconds),
            plan=duration(segment.planned_s) + ("~" if segment.flexible else ""),
            actual=self.span(segment.actual_start, segment.actual_end),
            actual_start=clock(segment.actual_start),
            took="" if segment.actual_s is None else duration(segment.actual_s),
            delta=signed(segment.delta_s),
            granted=granted(segment),
            parts=self.parts(segment),
            paused=Tally(segment.paused_s, segment.pauses) if segment.pauses else None,
            extended=Tally(segment.extended_s, segment.extensions) if segment.extensions else None,
            warnings=tuple(warning_labels(segment.warnings)),
            note=note(segment),
        )
