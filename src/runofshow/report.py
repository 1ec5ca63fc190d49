"""`runofshow report`: how long each segment really took, against the plan.

The figures come from `runofshow.core.report`; this module only lays them
out, as a terminal table with a timeline chart, or as Markdown, CSV, JSON,
HTML or SVG for the minutes. Text from an agenda or a journal is always
passed through `literal` and then escaped for the format, never used as
markup. Nothing here reads the clock: a report of a finished journal is the
same every time.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.style import Style
from rich.table import Table
from rich.text import Text

from runofshow.check import zone_label
from runofshow.core.agenda import zone
from runofshow.core.clock import to_us
from runofshow.core.events import REHEARSAL, Level
from runofshow.core.progress import Crossing
from runofshow.core.report import (
    DETACHED,
    DONE,
    INTERRUPTED,
    NOT_RUN,
    NOT_STARTED,
    OPEN,
    RUNNING,
    SKIPPED,
    Comparison,
    SegmentReport,
    SessionReport,
    compare,
    load,
)
from runofshow.core.spans import merge_spans
from runofshow.core.text import literal, shorten
from runofshow.core.timefmt import clock_time, describe_offset, format_duration
from runofshow.errors import UserError

FORMATS = ("table", "markdown", "csv", "json", "html", "svg")
#: Width of the table when it is written to a file rather than a terminal.
FILE_WIDTH = 120
#: Deltas smaller than this are "on time" in colour and in words.
ON_TIME_S = 1.0

SEGMENT_FIELDS = (
    "number",
    "title",
    "speaker",
    "kind",
    "flexible",
    "status",
    "planned_start",
    "planned_end",
    "planned_duration_s",
    "allotted_s",
    "actual_start",
    "actual_end",
    "actual_duration_s",
    "delta_s",
    "paused_s",
    "pauses",
    "extended_s",
    "extensions",
    "skipped",
    "warnings",
)
"""What each segment carries in JSON (docs/report.md)."""
CSV_FIELDS = ("journal", "mode", *SEGMENT_FIELDS)
"""The CSV columns, in order: the session's journal and mode, then the segment, so that
the rows of several journals can share one file."""

STATUS_WORDS = {DONE: "", SKIPPED: "skipped", OPEN: "open", NOT_RUN: "not run"}
COLOURS = {"plan": "grey62", "over": "red3", "under": "green4", "skipped": "yellow3", "open": "dodger_blue2"}
HTML_COLOURS = {
    "plan": "#b8b8b8",
    "over": "#c9302c",
    "under": "#3c9a3c",
    "skipped": "#d4a017",
    "open": "#2a7fd4",
    "paused": "#e2e2e2",
}


# ---------------------------------------------------------------------------
# Words and numbers


def seconds(value: float | None) -> float | int | None:
    """A duration for CSV and JSON: milliseconds at most, and a whole number when it is one."""
    if value is None:
        return None
    rounded = round(value, 3)
    return int(rounded) if rounded == int(rounded) else rounded


def iso(moment: pendulum.DateTime | None, tz: str) -> str | None:
    """ISO 8601 with the offset of `tz`, e.g. 2021-10-08T18:00:00+09:00."""
    return None if moment is None else moment.in_tz(tz).isoformat()


def signed(value: float | None) -> str:
    """An over/under as +3:00, -1:00 or 0:00."""
    if value is None:
        return ""
    return "0:00" if abs(value) < ON_TIME_S else format_duration(value, signed=True)


def warning_labels(warnings: Sequence[Crossing]) -> list[str]:
    """The warnings given, in order, with a run of overtime minutes shown as its last one."""
    labels: list[str] = []
    for index, crossing in enumerate(warnings):
        if crossing.level == Level.OVERTIME and index and warnings[index - 1].level == Level.OVERTIME:
            labels[-1] = crossing.label
        else:
            labels.append(crossing.label)
    return labels


class _Clock:
    """Instants shown as clock times in one zone, marked +1d on a later day than the plan's."""

    def __init__(self, tz: str, first_day: pendulum.Date) -> None:
        self.tz = tz
        self.first_day = first_day

    def __call__(self, moment: pendulum.DateTime | None, *, with_seconds: bool = True) -> str:
        if moment is None:
            return ""
        return clock_time(moment, self.tz, first_day=self.first_day, with_seconds=with_seconds)


class _Shown:
    """One session as it is shown in one zone: every cell and sentence, as plain literal text."""

    def __init__(self, session: SessionReport, tz: str) -> None:
        self.session = session
        self.tz = tz
        self.clock = _Clock(tz, session.planned_start.in_tz(tz).date())
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
        title = literal(self.session.title)
        return f"{title} — REHEARSAL" if self.session.mode == REHEARSAL else title

    def meta(self) -> str:
        s = self.session
        day = s.planned_start.in_tz(self.tz).format("ddd D MMM YYYY")
        return (
            f"{day} · times in {self.zone_name} ({self.tz}) · journal {literal(s.journal)}, "
            f"{_times(s.records, 'record')} · {literal(s.owner)}"
        )

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
            notes.append(f"The wall clock was stepped {_times(s.clock_jumps)}; durations use the monotonic clock.")
        if s.suspends:
            notes.append(f"The machine slept {_times(s.suspends)}; that time counts, as the room's clock kept running.")
        return notes

    def summary(self) -> list[str]:
        """The totals, one sentence each."""
        s = self.session
        planned = f"Planned {format_duration(s.planned_s)} ({self.span(s.planned_start, s.planned_end, planned=True)})"
        if not s.started:
            return [f"{planned}; not started."]
        clock = self.clock
        actual = format_duration(s.actual_s or 0.0)
        if s.ended:
            lines = [f"{planned}; actual {actual} ({self.span(s.actual_start, s.actual_end)})."]
        else:
            lines = [
                f"{planned}; {actual} so far ({clock(s.actual_start)} to the last record at {clock(s.last_record)})."
            ]
        start = ""
        if s.mode != REHEARSAL and s.start_offset_s is not None:
            start = f"Started at {clock(s.actual_start)}, {_lateness(s.start_offset_s)}; "
        offset = describe_offset(s.end_offset_s or 0.0, ended=s.ended).removeprefix("ended ")
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
        flexible = [str(x.number) for x in s.segments if x.flexible and x.status != NOT_RUN]
        if flexible:
            which = ("Flexible segment (~) " if len(flexible) == 1 else "Flexible segments (~) ") + ", ".join(flexible)
            over, saved = format_duration(s.overrun_s), format_duration(s.flex_saved_s)
            if s.overrun_s < ON_TIME_S and s.flex_saved_s < ON_TIME_S:
                lines.append(f"No fixed segment ran over, so {which.lower()} had nothing to absorb.")
            elif s.overrun_s < ON_TIME_S:
                lines.append(f"No fixed segment ran over; {which.lower()} ran {saved} short.")
            elif s.flex_saved_s <= s.overrun_s:
                lines.append(f"{which} absorbed {saved} of the {over} that fixed segments ran over.")
            else:
                extra = format_duration(s.flex_saved_s - s.overrun_s)
                lines.append(
                    f"{which} absorbed all {over} that fixed segments ran over, and ran {extra} shorter still."
                )
        elif any(x.flexible for x in s.segments):
            over = (
                "no fixed segment ran over"
                if s.overrun_s < ON_TIME_S
                else (f"fixed segments ran over by {format_duration(s.overrun_s)} in all")
            )
            lines.append(f"The flexible segments did not run; {over}.")
        else:
            lines.append(f"No flexible segments; fixed segments ran over by {format_duration(s.overrun_s)} in all.")
        extras = []
        if s.pauses:
            extras.append(f"paused {format_duration(s.paused_s)} ({_times(s.pauses, 'pause')})")
        if s.extensions:
            extras.append(f"{_lengthened(s.extended_s)} ({_times(s.extensions, 'change')})")
        skipped = [f"#{x.number}" for x in s.segments if x.status == SKIPPED]
        if skipped:
            extras.append("skipped: " + ", ".join(skipped))
        missed = [f"#{x.number}" for x in s.segments if x.status == NOT_RUN]
        if missed:
            extras.append("not run: " + ", ".join(missed))
        if extras:
            text = "; ".join(extras)
            lines.append(text[0].upper() + text[1:] + ".")
        return lines

    def cells(self, segment: SegmentReport) -> dict[str, str]:
        """The table's cells for one segment."""
        clock = self.clock
        paused = f"{format_duration(segment.paused_s)} ({segment.pauses})" if segment.pauses else ""
        extended = f"{signed(segment.extended_s)} ({segment.extensions})" if segment.extensions else ""
        return {
            "number": str(segment.number),
            "title": literal(segment.title),
            "speaker": literal(segment.speaker or ""),
            "planned": self.span(segment.planned_start, segment.planned_end, planned=True),
            "planned_start": clock(segment.planned_start, with_seconds=self.planned_seconds),
            "actual_start": clock(segment.actual_start),
            "plan": format_duration(segment.planned_s) + ("~" if segment.flexible else ""),
            "actual": self.span(segment.actual_start, segment.actual_end),
            "took": "" if segment.actual_s is None else format_duration(segment.actual_s),
            "delta": signed(segment.delta_s),
            "paused": paused,
            "extended": extended,
            "warnings": ", ".join(warning_labels(segment.warnings)),
            "note": STATUS_WORDS[segment.status],
        }


def _lengthened(seconds: float) -> str:
    """ "extended 2:00" or "shortened 1:00": a minus sign before a length is easy to miss."""
    if seconds < 0:
        return f"shortened {format_duration(-seconds)}"
    return f"extended {format_duration(seconds)}"


def _times(count: int, noun: str = "time") -> str:
    if noun == "time":
        return "once" if count == 1 else "twice" if count == 2 else f"{count} times"
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _lateness(offset: float) -> str:
    if abs(offset) < ON_TIME_S:
        return "on time"
    return f"{format_duration(abs(offset))} {'late' if offset > 0 else 'early'}"


def _tone(segment: SegmentReport) -> str:
    """Which colour a segment's actual bar takes."""
    if segment.status in (SKIPPED, OPEN):
        return segment.status
    return "over" if (segment.delta_s or 0.0) >= ON_TIME_S else "under"


def _delta_tone(segment: SegmentReport) -> str:
    """Which colour a segment's over/under takes: none when on time."""
    delta = segment.delta_s or 0.0
    return "" if abs(delta) < ON_TIME_S else "over" if delta > 0 else "under"


# ---------------------------------------------------------------------------
# Charts: one model, drawn in the terminal and as SVG


@dataclass(frozen=True, slots=True)
class Bar:
    """One line of a chart row: where it is filled and where it is paused, on the chart's axis."""

    label: str
    spans: tuple[tuple[float, float], ...]
    tone: str
    gaps: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class ChartRow:
    """A segment in a chart, with its bars (planned, actual, or one per session)."""

    number: int
    title: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """Bars on one axis from 0 to `high` (seconds); `ticks` picks labelled marks, at most so many."""

    title: str
    rows: tuple[ChartRow, ...]
    high: float
    ticks: Callable[[int], list[tuple[float, str]]]
    legend: tuple[tuple[str, str], ...]


_STEPS_MIN = (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720)
_LEGEND = (
    ("plan", "planned"),
    ("under", "on time or under"),
    ("over", "over"),
    ("skipped", "skipped"),
    ("open", "open"),
)


def _step(high: float, most: int) -> int:
    """Seconds between marks: the first round step that puts at most `most` marks on `high`."""
    return 60 * next((step for step in _STEPS_MIN if high / (step * 60) <= max(1, most)), _STEPS_MIN[-1])


def _legend(rows: list[ChartRow]) -> tuple[tuple[str, str], ...]:
    used = {bar.tone for row in rows for bar in row.bars}
    return tuple(item for item in _LEGEND if item[0] in used)


def timeline(shown: _Shown) -> Chart | None:
    """Planned and actual bars for each segment on one time axis, or None before the start."""
    s = shown.session
    if not s.started:
        return None
    origin = min([s.planned_start.int_timestamp, *(r[0] // 1_000_000 for x in s.segments for r in x.runs)])
    origin_us = origin * 1_000_000

    def axis(us: int) -> float:
        return (us - origin_us) / 1e6

    rows = []
    for segment in s.segments:
        planned = (axis(to_us(segment.planned_start)), axis(to_us(segment.planned_end)))
        bars = [Bar("plan", (planned,), "plan")]
        bars.append(
            Bar(
                "actual",
                tuple((axis(a), axis(b)) for a, b in segment.runs),
                _tone(segment),
                tuple((axis(a), axis(b)) for a, b in segment.paused),
            )
        )
        rows.append(ChartRow(segment.number, segment.title, tuple(bars)))
    high = max([bar_end for row in rows for bar in row.bars for _, bar_end in (*bar.spans, *bar.gaps)] or [1.0])
    tz = shown.tz

    def ticks(most: int) -> list[tuple[float, str]]:
        """Marks on round clock times of the zone shown (18:00, 18:15, …)."""
        step = _step(high, most)
        midnight = pendulum.from_timestamp(origin, tz=tz).start_of("day")
        k = math.ceil((origin - midnight.int_timestamp) / step)
        marks = []
        while (x := midnight.add(seconds=k * step).int_timestamp - origin) <= high:
            marks.append((float(x), midnight.add(seconds=k * step).format("HH:mm")))
            k += 1
        return marks

    return Chart(f"Timeline ({shown.zone_name})", tuple(rows), high, ticks, _legend(rows))


def durations(comparison: Comparison, letters: Sequence[str]) -> Chart:
    """For each segment, the planned length and each session's actual length, from zero."""
    rows = []
    for row in comparison.segments:
        bars = [Bar("plan", ((0.0, float(row.planned_s)),), "plan")]
        for letter, cell in zip(letters, row.rows):
            if cell is None or cell.actual_s is None:
                bars.append(Bar(letter, (), "plan"))
            else:
                bars.append(Bar(letter, ((0.0, cell.actual_s),), _tone(cell)))
        rows.append(ChartRow(row.number, row.title, tuple(bars)))
    high = max([end for row in rows for bar in row.bars for _, end in bar.spans] or [60.0])

    def ticks(most: int) -> list[tuple[float, str]]:
        step = _step(high, most)
        return [(float(k * step), format_duration(k * step)) for k in range(int(high // step) + 1)]

    return Chart("Durations", tuple(rows), high, ticks, _legend(rows))


class TextChart:
    """A chart drawn with block characters, as wide as the console allows."""

    def __init__(self, chart: Chart) -> None:
        self.chart = chart

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        chart = self.chart
        width = options.max_width
        tag = max(len(bar.label) for row in chart.rows for bar in row.bars)
        label_width = max(12, min(32, width // 3))
        bars_width = max(10, width - label_width - 1)
        span = chart.high or 1.0

        def col(x: float) -> float:
            return x / span * (bars_width - 1)

        ticks = chart.ticks(max(1, bars_width // 8))
        labels = Text(" " * bars_width)
        ruler = ["─"] * bars_width
        free = 0
        for x, text in ticks:
            at = min(bars_width - 1, round(col(x)))
            ruler[at] = "┼"
            at = min(at, bars_width - len(text))
            if at >= free:
                labels = labels[:at] + Text(text) + labels[at + len(text) :]
                free = at + len(text) + 1
        yield Text(chart.title.ljust(label_width)[:label_width] + " ", style="bold") + labels
        yield Text(" " * (label_width + 1)) + Text("".join(ruler), style="dim")
        for row in chart.rows:
            for index, bar in enumerate(row.bars):
                name = f"{row.number:>2} {literal(row.title)}" if index == 0 else ""
                room = label_width - tag - 1
                tag_style = "dim" if index else ""
                line = Text(shorten(name, room).ljust(room) + " " + " " * (tag - len(bar.label)))
                line.append(bar.label + " ", style=tag_style)
                cells = [" "] * bars_width
                styles: list[str | None] = [None] * bars_width
                glyph = "▒" if bar.tone == "plan" else "█"
                for a, b in bar.spans:
                    first = math.floor(col(a))
                    for c in range(max(0, first), min(bars_width, max(first + 1, math.ceil(col(b) - 1e-9)))):
                        cells[c], styles[c] = glyph, bar.tone
                for a, b in bar.gaps:  # only the cells a pause covers whole, so a short one does not eat a run
                    for c in range(max(0, math.ceil(col(a))), min(bars_width, math.floor(col(b)))):
                        cells[c], styles[c] = "·", "plan"
                for c, glyph in enumerate(cells):
                    tone = styles[c]
                    if tone is None:
                        line.append(glyph)
                    elif glyph == "█":
                        colour = COLOURS[tone]
                        line.append(glyph, style=Style(color=colour, bgcolor=colour))
                    else:
                        line.append(glyph, style=COLOURS["plan"])
                yield line
        legend = Text(" " * (label_width + 1))
        # Without colour, an actual bar cannot say over or under: the table does.
        items = chart.legend if console.color_system else (("plan", "planned"), ("under", "actual"))
        for tone, word in items:
            legend.append("▒" if tone == "plan" else "█", style=COLOURS[tone])
            legend.append(f" {word}   ")
        if any(bar.gaps for row in chart.rows for bar in row.bars):
            legend.append("· paused", style=COLOURS["plan"])
        legend.rstrip()
        yield legend


def svg_chart(chart: Chart, width: int = 960) -> str:
    """The chart as an inline SVG element with plain rectangles, for HTML."""
    label_width = 300
    tag_width = 56
    left = label_width + tag_width
    right = 16
    bar_height = 9
    row_gap = 8
    top = 34
    plot = width - left - right
    span = chart.high or 1.0
    lines_per_row = max(len(row.bars) for row in chart.rows)
    row_height = lines_per_row * (bar_height + 2) + row_gap
    height = top + len(chart.rows) * row_height + 40

    def x(value: float) -> float:
        return round(left + value / span * plot, 1)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(chart.title)}">',
        f"<style>{_CHART_CSS}</style>",
        f'<text x="0" y="14" class="title">{html.escape(chart.title)}</text>',
    ]
    for value, label in chart.ticks(max(1, plot // 70)):
        out.append(f'<line x1="{x(value)}" y1="{top - 8}" x2="{x(value)}" y2="{height - 40}" class="grid"/>')
        out.append(f'<text x="{x(value)}" y="{top - 12}" class="tick">{html.escape(label)}</text>')
    for number, row in enumerate(chart.rows):
        y0 = top + number * row_height
        name = shorten(f"{row.number} {literal(row.title)}", 44)
        out.append(f'<text x="0" y="{y0 + bar_height}" class="label">{html.escape(name)}</text>')
        for index, bar in enumerate(row.bars):
            y = y0 + index * (bar_height + 2)
            out.append(f'<text x="{left - 6}" y="{y + bar_height - 1}" class="tag">{html.escape(bar.label)}</text>')
            pixel = span / plot
            for a, b in merge_spans(bar.spans, pixel):
                out.append(_rect(x(a), y, x(b), bar_height, HTML_COLOURS[bar.tone]))
            for a, b in merge_spans(bar.gaps, pixel):
                out.append(_rect(x(a), y, x(b), bar_height, HTML_COLOURS["paused"]))
    legend_y = height - 16
    at = left
    for tone, word in chart.legend:
        out.append(_rect(at, legend_y - 9, at + 12, 10, HTML_COLOURS[tone]))
        out.append(f'<text x="{at + 16}" y="{legend_y}" class="legend">{html.escape(word)}</text>')
        at += 24 + 7 * len(word)
    if any(bar.gaps for row in chart.rows for bar in row.bars):
        out.append(_rect(at, legend_y - 9, at + 12, 10, HTML_COLOURS["paused"]))
        out.append(f'<text x="{at + 16}" y="{legend_y}" class="legend">paused</text>')
    out.append("</svg>")
    return "\n".join(out)


# Scoped to the chart: a <style> inside inline SVG applies to the whole page.
_CHART_CSS = (
    ".chart text{font-family:system-ui,sans-serif;font-size:11px;fill:#333}.chart .title{font-weight:bold;font-size:13px}"
    ".chart .tag{text-anchor:end;fill:#888}.chart .tick{text-anchor:middle;fill:#666}.chart .grid{stroke:#e6e6e6;stroke-width:1}"
)


def _rect(x0: float, y: float, x1: float, height: int, colour: str) -> str:
    return f'<rect x="{x0}" y="{y}" width="{max(1.0, round(x1 - x0, 1))}" height="{height}" fill="{colour}"/>'


# ---------------------------------------------------------------------------
# One session


TABLE_COLUMNS = (
    ("number", "#"),
    ("title", "Segment"),
    ("speaker", "Speaker"),
    ("planned", "Planned"),
    ("plan", "Plan"),
    ("actual", "Actual"),
    ("took", "Took"),
    ("delta", "Over/under"),
    ("paused", "Paused"),
    ("extended", "Extended"),
    ("warnings", "Warnings"),
    ("note", "Note"),
)


_NUMERIC = {"number", "plan", "took", "delta", "paused", "extended"}


def _columns(rows: list[dict[str, str]], keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The columns worth showing: Note, Paused, Extended, Speaker only when some row fills them."""
    optional = {"note", "paused", "extended", "speaker", "warnings"}
    return [(key, name) for key, name in keys if key not in optional or any(row[key] for row in rows)]


class _SegmentTable:
    """The segments as a Rich table that fits the console.

    The terminal gets one Notes column (state, pauses, extensions, warnings)
    instead of four, and below 100 columns only the start of each span: the
    ends are the next row's starts, and they are in the chart.
    """

    def __init__(self, shown: _Shown) -> None:
        self.shown = shown

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        shown = self.shown
        wide = options.max_width >= 100
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, header_style="bold")
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("Segment")
        table.add_column("Planned" if wide else "Plan", no_wrap=True)
        table.add_column("", justify="right", no_wrap=True)
        table.add_column("Actual", no_wrap=True)
        table.add_column("Took", justify="right", no_wrap=True)
        table.add_column("±", justify="right", no_wrap=True)
        table.add_column("Notes")
        for segment in shown.session.segments:
            row = shown.cells(segment)
            title = Text(row["title"])
            if row["speaker"]:
                title.append("\n" + row["speaker"], style="dim")
            notes = Text(row["note"], style=COLOURS.get(segment.status, ""))
            for key in ("paused", "extended", "warnings"):
                if row[key]:
                    value = row[key]
                    if key == "extended":  # a minus sign before a length is easy to miss
                        value = ("shortened " if value.startswith("-") else "extended ") + value.lstrip("+-")
                    elif key == "paused":
                        value = "paused " + value
                    notes.append(("; " if notes else "") + value)
            planned, actual = (row["planned"], row["actual"]) if wide else (row["planned_start"], row["actual_start"])
            table.add_row(
                Text(row["number"]),
                title,
                Text(planned),
                Text(row["plan"]),
                Text(actual),
                Text(row["took"]),
                Text(row["delta"], style=COLOURS.get(_delta_tone(segment), "")),
                notes,
                style="dim" if segment.status == NOT_RUN else None,
            )
        yield table


def session_table(shown: _Shown) -> RenderableType:
    """The whole single-session report as one Rich renderable."""
    parts: list[RenderableType] = [Text(shown.heading(), style="bold"), Text(shown.meta(), style="dim")]
    parts += [Text(note, style="yellow") for note in shown.notes()]
    parts += [Text(""), _SegmentTable(shown), Text("")]
    parts += [Text(line) for line in shown.summary()]
    chart = timeline(shown)
    if chart is not None:
        parts += [Text(""), TextChart(chart)]
    return Group(*parts)


# Enough to keep text inert inline (in a table cell, a list item, a heading): emphasis,
# code, links, HTML, cells, strike-through and entities. Line-start markers cannot occur there.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~]|&(?=#?\w+;))")


def _plain(renderable: RenderableType, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, force_terminal=False, legacy_windows=False).print(renderable)
    return out.getvalue()


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def session_markdown(shown: _Shown) -> str:
    """The report as Markdown for the minutes; the chart goes in a text block."""
    s = shown.session
    # `heading`, `meta`, notes and summary are already literal; only Markdown escaping remains.
    out = [f"# {_md_plain(shown.heading())}", "", _md_plain(shown.meta()), ""]
    for note in shown.notes():
        out.append(f"> {_md_plain(note)}")
    if shown.notes():
        out.append("")
    rows = [shown.cells(segment) for segment in s.segments]
    columns = _columns(rows, TABLE_COLUMNS)
    out += _md_table(
        [name for _, name in columns],
        [[_md_plain(row[key]) if key in ("title", "speaker") else row[key] for key, _ in columns] for row in rows],
        {i for i, (key, _) in enumerate(columns) if key in _NUMERIC},
    )
    out.append("")
    out += [f"- {_md_plain(line)}" for line in shown.summary()]
    chart = timeline(shown)
    if chart is not None:
        out += ["", "```text", _plain(TextChart(chart), 100).rstrip("\n"), "```"]
    return "\n".join(out) + "\n"


def _md_plain(text: str) -> str:
    """Escape already-literal text for Markdown."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def segment_record(segment: SegmentReport, tz: str) -> dict[str, Any]:
    """One segment as JSON: ISO 8601 times in `tz`, durations in seconds (docs/report.md)."""
    return {
        "number": segment.number,
        "title": segment.title,
        "speaker": segment.speaker,
        "kind": segment.kind,
        "flexible": segment.flexible,
        "status": segment.status,
        "planned_start": iso(segment.planned_start, tz),
        "planned_end": iso(segment.planned_end, tz),
        "planned_duration_s": segment.planned_s,
        "allotted_s": seconds(segment.allotted_s),
        "actual_start": iso(segment.actual_start, tz),
        "actual_end": iso(segment.actual_end, tz),
        "actual_duration_s": seconds(segment.actual_s),
        "delta_s": seconds(segment.delta_s),
        "paused_s": seconds(segment.paused_s),
        "pauses": segment.pauses,
        "extended_s": seconds(segment.extended_s),
        "extensions": segment.extensions,
        "skipped": segment.skipped,
        "warnings": [
            {"level": w.level, "minute": w.minute, "crossed_at": iso(pendulum.from_timestamp(w.crossed_us / 1e6), tz)}
            for w in segment.warnings
        ],
    }


def session_record(s: SessionReport, tz: str) -> dict[str, Any]:
    """The session and its totals as JSON."""
    return {
        "title": s.title,
        "agenda_date": s.date.isoformat(),
        "mode": s.mode,
        "state": s.state,
        "timezone": tz,
        "session_timezone": s.timezone,
        "journal": s.journal,
        "session_id": s.session_id,
        "owner": s.owner,
        "agenda_path": s.agenda_path,
        "records": s.records,
        "planned_start": iso(s.planned_start, tz),
        "planned_end": iso(s.planned_end, tz),
        "planned_duration_s": s.planned_s,
        "actual_start": iso(s.actual_start, tz),
        "actual_end": iso(s.actual_end, tz),
        "last_record": iso(s.last_record, tz),
        "actual_duration_s": seconds(s.actual_s),
        "start_offset_s": seconds(s.start_offset_s),
        "end_offset_s": seconds(s.end_offset_s),
        "projected_end": iso(s.projected_end, tz),
        "paused_s": seconds(s.paused_s),
        "pauses": s.pauses,
        "extended_s": seconds(s.extended_s),
        "extensions": s.extensions,
        "overrun_s": seconds(s.overrun_s),
        "flex_saved_s": seconds(s.flex_saved_s),
        "flex_absorbed_s": seconds(s.absorbed_s),
        "largest_overruns": [{"number": o.number, "title": o.title, "delta_s": seconds(o.delta_s)} for o in s.overruns],
        "open_segment": None if s.open_segment is None else s.open_segment.number,
        "torn_line": s.torn_line,
        "uncertain": s.uncertain,
        "clock_jumps": s.clock_jumps,
        "suspends": s.suspends,
        "reopens": s.reopens,
    }


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_rows(session: SessionReport, tz: str) -> Iterator[list[Any]]:
    """A session's segments as CSV cells in CSV_FIELDS order; warnings as their labels."""
    for segment in session.segments:
        record = segment_record(segment, tz)
        record["warnings"] = "; ".join(warning_labels(segment.warnings))
        yield [session.journal, session.mode, *(_csv_value(record[key]) for key in SEGMENT_FIELDS)]


def _html_page(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1d;margin:2em;max-width:1200px}
h1{font-size:1.4em;margin-bottom:.2em}h2{font-size:1.1em;margin-top:1.6em}
.badge{background:#d4a017;color:#fff;border-radius:3px;padding:0 .4em;font-size:.8em;vertical-align:middle}
.meta{color:#666;margin-top:0}.note{background:#fff6d6;border-left:4px solid #d4a017;padding:.3em .6em;margin:.3em 0}
table{border-collapse:collapse;font-size:.9em}th,td{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{border-bottom:2px solid #999}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.t{white-space:nowrap;font-variant-numeric:tabular-nums}
.over{color:#c9302c}.under{color:#3c9a3c}.skipped{color:#a07800}.open{color:#2a7fd4}tr.not_run td,td.plan{color:#999}
footer{color:#999;font-size:.8em;margin-top:2em}
"""


def session_html(shown: _Shown) -> str:
    """A self-contained page: table, totals and the timeline as inline SVG."""
    s = shown.session
    title = literal(s.title)
    badge = ' <span class="badge">REHEARSAL</span>' if s.mode == REHEARSAL else ""
    body = [f"<h1>{html.escape(title)}{badge}</h1>", f'<p class="meta">{html.escape(shown.meta())}</p>']
    body += [f'<p class="note">{html.escape(note)}</p>' for note in shown.notes()]
    rows = [shown.cells(segment) for segment in s.segments]
    columns = _columns(rows, TABLE_COLUMNS)
    body.append("<table>")
    body.append("<thead><tr>" + "".join(f"<th>{html.escape(name)}</th>" for _, name in columns) + "</tr></thead>")
    body.append("<tbody>")
    for segment, row in zip(s.segments, rows):
        cells = []
        for key, _ in columns:
            kind = "n" if key in _NUMERIC else "t" if key in ("planned", "actual") else ""
            tone = _delta_tone(segment) if key == "delta" else segment.status if key == "note" else ""
            classes = " ".join(c for c in (kind, tone) if c)
            attribute = f' class="{classes}"' if classes else ""
            cells.append(f"<td{attribute}>{html.escape(row[key])}</td>")
        body.append(f'<tr class="{segment.status}">' + "".join(cells) + "</tr>")
    body.append("</tbody></table>")
    body.append("<h2>Totals</h2>")
    body.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in shown.summary()) + "</ul>")
    chart = timeline(shown)
    if chart is not None:
        body.append("<h2>Timeline</h2>")
        body.append(svg_chart(chart))
    body.append(f"<footer>runofshow report of {html.escape(literal(s.journal))}</footer>")
    return _html_page(f"Report: {title}", body)


def _svg(renderable: RenderableType, title: str, width: int) -> str:
    """A terminal picture of `renderable`, with no font fetched from the network."""
    console = Console(
        record=True,
        file=io.StringIO(),
        width=width,
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
    )
    console.print(renderable)
    svg = console.export_svg(title=title)
    return re.sub(r"@font-face \{.*?\}\s*", "", svg, flags=re.S)


# ---------------------------------------------------------------------------
# Several sessions


def _letters(count: int) -> list[str]:
    """A, B, … Z, then AA, AB, …: short column names for sessions."""
    names = []
    for index in range(count):
        name = ""
        index += 1
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        names.append(name)
    return names


def _session_line(letter: str, shown: _Shown) -> str:
    s = shown.session
    when = s.planned_start.in_tz(shown.tz).format("ddd D MMM YYYY")
    if s.actual_start is not None:
        when = s.actual_start.in_tz(shown.tz).format("ddd D MMM YYYY HH:mm:ss") + f" {shown.zone_name}"
    took = "not started"
    if s.started:
        took = f"{format_duration(s.actual_s or 0.0)} for {format_duration(s.planned_s)} planned, "
        took += describe_offset(s.end_offset_s or 0.0, ended=True) if s.ended else f"not ended ({s.state})"
    return f"{letter}: {s.mode}, {when}; {took} — {literal(s.journal)}"


def _cell(segment: SegmentReport | None) -> tuple[str, str]:
    """A comparison cell ("13:00 +3:00", "8:00 -2:00 skipped") and its tone."""
    if segment is None:
        return "", ""
    if segment.actual_s is None:
        return "not run", "plan"
    text = f"{format_duration(segment.actual_s)} {signed(segment.delta_s)}"
    if segment.status in (SKIPPED, OPEN):
        return f"{text} {STATUS_WORDS[segment.status]}", segment.status
    return text, _delta_tone(segment)


class _Compared:
    """A comparison as it is shown: sessions lettered A, B, …, each in its zone (or one given)."""

    def __init__(self, comparison: Comparison, tz: str | None) -> None:
        self.comparison = comparison
        self.letters = _letters(len(comparison.sessions))
        self.shown = [_Shown(s, tz or s.timezone) for s in comparison.sessions]

    def heading(self) -> str:
        titles = list(dict.fromkeys(literal(s.title) for s in self.comparison.sessions))
        return f"Comparing {len(self.shown)} sessions: " + " / ".join(titles)

    def session_lines(self) -> list[str]:
        return [_session_line(letter, shown) for letter, shown in zip(self.letters, self.shown)]

    def notes(self) -> list[str]:
        return [f"{letter}: {note}" for letter, shown in zip(self.letters, self.shown) for note in shown.notes()]

    def segment_rows(self) -> list[list[str]]:
        return [
            [str(row.number), literal(row.title), literal(row.kind), format_duration(row.planned_s)]
            + [_cell(cell)[0] for cell in row.rows]
            for row in self.comparison.segments
        ]

    def kind_rows(self) -> list[list[str]]:
        rows = []
        for kind in self.comparison.kinds:
            cells = [literal(kind.kind)]
            for average, count in zip(kind.averages, kind.counts):
                cells.append("" if average is None else f"{signed(average)} ({count})")
            cells.append("" if kind.average is None else f"{signed(kind.average)} ({kind.count})")
            rows.append(cells)
        return rows

    def chart(self) -> Chart:
        return durations(self.comparison, self.letters)


SEGMENT_HEADER = ("#", "Segment", "Kind", "Plan")
KINDS_NOTE = "Only segments that ran to their end count; how many is in brackets."


def compare_table(view: _Compared) -> RenderableType:
    """The comparison as one Rich renderable."""
    parts: list[RenderableType] = [Text(view.heading(), style="bold")]
    parts += [Text(line, style="dim") for line in view.session_lines()]
    parts += [Text(note, style="yellow") for note in view.notes()]
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
        title="Actual durations (over/under)",
        title_justify="left",
    )
    for name in SEGMENT_HEADER:
        table.add_column(name, justify="right" if name in ("#", "Plan") else "left", no_wrap=name != "Segment")
    for letter in view.letters:
        table.add_column(letter, justify="right", no_wrap=True)
    for row, cells in zip(view.comparison.segments, view.segment_rows()):
        rendered = [Text(c) for c in cells[:4]]
        for cell in row.rows:
            text, tone = _cell(cell)
            rendered.append(Text(text, style=COLOURS.get(tone, "")))
        table.add_row(*rendered)
    kinds = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
        title="Average over/under by kind",
        title_justify="left",
        caption=KINDS_NOTE,
        caption_justify="left",
    )
    kinds.add_column("Kind")
    for letter in view.letters:
        kinds.add_column(letter, justify="right", no_wrap=True)
    kinds.add_column("All", justify="right", no_wrap=True)
    for cells in view.kind_rows():
        kinds.add_row(*[Text(c) for c in cells])
    return Group(*parts, Text(""), table, Text(""), kinds, Text(""), TextChart(view.chart()))


def compare_markdown(view: _Compared) -> str:
    """The comparison as Markdown."""
    out = [f"# {_md_plain(view.heading())}", ""]
    out += [f"- {_md_plain(line)}" for line in view.session_lines()]
    out.append("")
    out += [f"> {_md_plain(note)}" for note in view.notes()]
    if view.notes():
        out.append("")
    out += ["## Actual durations (over/under)", ""]
    out += _md_table(
        [*SEGMENT_HEADER, *view.letters],
        [[_md_plain(c) for c in row] for row in view.segment_rows()],
        {0, 3, *range(4, 4 + len(view.letters))},
    )
    out += ["", "## Average over/under by kind", "", KINDS_NOTE, ""]
    out += _md_table(
        ["Kind", *view.letters, "All"],
        [[_md_plain(c) for c in row] for row in view.kind_rows()],
        set(range(1, len(view.letters) + 2)),
    )
    out += ["", "```text", _plain(TextChart(view.chart()), 100).rstrip("\n"), "```"]
    return "\n".join(out) + "\n"


def compare_html(view: _Compared) -> str:
    """The comparison as a self-contained page."""
    body = [f"<h1>{html.escape(view.heading())}</h1>", "<ul>"]
    body += [f"<li>{html.escape(line)}</li>" for line in view.session_lines()]
    body.append("</ul>")
    body += [f'<p class="note">{html.escape(note)}</p>' for note in view.notes()]
    body.append("<h2>Actual durations (over/under)</h2><table><thead><tr>")
    body.append(
        "".join(f"<th>{html.escape(name)}</th>" for name in (*SEGMENT_HEADER, *view.letters)) + "</tr></thead><tbody>"
    )
    for row, cells in zip(view.comparison.segments, view.segment_rows()):
        tds = [
            f'<td class="n">{html.escape(cells[0])}</td>',
            f"<td>{html.escape(cells[1])}</td>",
            f"<td>{html.escape(cells[2])}</td>",
            f'<td class="n">{html.escape(cells[3])}</td>',
        ]
        for cell in row.rows:
            text, tone = _cell(cell)
            tds.append(
                f'<td class="n {tone}">{html.escape(text)}</td>' if tone else f'<td class="n">{html.escape(text)}</td>'
            )
        body.append("<tr>" + "".join(tds) + "</tr>")
    body.append("</tbody></table>")
    body.append(f"<h2>Average over/under by kind</h2><p>{html.escape(KINDS_NOTE)}</p>")
    body.append(
        "<table><thead><tr>"
        + "".join(f"<th>{html.escape(n)}</th>" for n in ("Kind", *view.letters, "All"))
        + "</tr></thead><tbody>"
    )
    for cells in view.kind_rows():
        body.append(
            "<tr>"
            + f"<td>{html.escape(cells[0])}</td>"
            + "".join(f'<td class="n">{html.escape(c)}</td>' for c in cells[1:])
            + "</tr>"
        )
    body.append("</tbody></table>")
    body.append("<h2>Durations</h2>")
    body.append(svg_chart(view.chart()))
    return _html_page(view.heading(), body)


# ---------------------------------------------------------------------------
# Entry points


def render(sessions: Sequence[SessionReport], fmt: str, tz: str | None = None, *, width: int = FILE_WIDTH) -> str:
    """The report of one session, or the comparison of several, as text in `fmt`."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if len(sessions) == 1:
        s = sessions[0]
        shown = _Shown(s, tz or s.timezone)
        if fmt == "table":
            return _plain(session_table(shown), width)
        if fmt == "markdown":
            return session_markdown(shown)
        if fmt == "json":
            return _json(_session_json(shown))
        if fmt == "csv":
            return _csv(csv_rows(s, shown.tz))
        if fmt == "html":
            return session_html(shown)
        return _svg(session_table(shown), f"runofshow report: {shorten(literal(s.title), 80)}", width)
    view = _Compared(compare(sessions), tz)
    if fmt == "table":
        return _plain(compare_table(view), width)
    if fmt == "markdown":
        return compare_markdown(view)
    if fmt == "json":
        return _json(_comparison_record(view))
    if fmt == "csv":
        return _csv(row for shown in view.shown for row in csv_rows(shown.session, shown.tz))
    if fmt == "html":
        return compare_html(view)
    return _svg(compare_table(view), view.heading(), width)


def _session_json(shown: _Shown) -> dict[str, Any]:
    segments = [segment_record(segment, shown.tz) for segment in shown.session.segments]
    return {"session": session_record(shown.session, shown.tz), "segments": segments}


def _comparison_record(view: _Compared) -> dict[str, Any]:
    sessions = [{"letter": letter, **_session_json(shown)} for letter, shown in zip(view.letters, view.shown)]
    segments = [
        {
            "number": row.number,
            "title": row.title,
            "kind": row.kind,
            "planned_duration_s": row.planned_s,
            "numbers": [None if c is None else c.number for c in row.rows],
            "statuses": [None if c is None else c.status for c in row.rows],
            "actual_duration_s": [None if c is None else seconds(c.actual_s) for c in row.rows],
            "delta_s": [None if c is None else seconds(c.delta_s) for c in row.rows],
        }
        for row in view.comparison.segments
    ]
    kinds = [
        {
            "kind": kind.kind,
            "segments": list(kind.counts),
            "average_delta_s": [seconds(a) for a in kind.averages],
            "all_segments": kind.count,
            "all_average_delta_s": seconds(kind.average),
        }
        for kind in view.comparison.kinds
    ]
    return {"sessions": sessions, "comparison": {"sessions": view.letters, "segments": segments, "kinds": kinds}}


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _csv(rows: Iterator[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    writer.writerows(rows)
    return buffer.getvalue()


def run_report(journals: Sequence[str], fmt: str = "table", output: str | None = None, tz: str | None = None) -> int:
    """Print (or write to `output`) the report of one journal, or the comparison of several."""
    if tz is not None:
        try:
            tz = zone(tz).name
        except ValueError as error:
            raise UserError(f"--tz: {error}") from None
    if output not in (None, "-") and Path(output).resolve() in {Path(j).resolve() for j in journals}:
        raise UserError(f"{output}: is a journal being reported on; write the report to another file")
    sessions = [load(path) for path in journals]
    if output is None and fmt == "table":
        # A terminal gets colour and its own width; a pipe gets plain text.
        shown = (
            session_table(_Shown(sessions[0], tz or sessions[0].timezone))
            if len(sessions) == 1
            else compare_table(_Compared(compare(sessions), tz))
        )
        _guard_pipe(lambda: Console().print(shown))
        return 0
    text = render(sessions, fmt, tz)
    if output is None or output == "-":
        _guard_pipe(lambda: (sys.stdout.write(text), sys.stdout.flush()))
        return 0
    try:
        Path(output).write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        raise UserError(f"{output}: cannot write: {error.strerror or error}") from None
    return 0


def _guard_pipe(write: Callable[[], object]) -> None:
    """Let `report | head` end quietly when the reader stops reading."""
    try:
        write()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
