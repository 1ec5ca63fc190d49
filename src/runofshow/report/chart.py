"""Charts: one model of bars on a time axis, drawn in the terminal with block characters and as SVG."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pendulum
from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.text import Text

from runofshow.domain.instants import to_us
from runofshow.domain.spans import merge_spans
from runofshow.report.model import Comparison
from runofshow.report.words import Shown, tone
from runofshow.words.text import literal
from runofshow.words.timefmt import format_duration

COLOURS = {"plan": "grey62", "over": "red3", "under": "green4", "skipped": "yellow3", "open": "dodger_blue2"}
"""The terminal's colour for each tone."""
HTML_COLOURS = {
    "plan": "#b8b8b8",
    "over": "#c9302c",
    "under": "#3c9a3c",
    "skipped": "#d4a017",
    "open": "#2a7fd4",
    "paused": "#e2e2e2",
}
"""The SVG chart's colour for each tone."""


#: Spaces kept between two axis labels, so that "19:20 19:30" never reads as one label.
LABEL_GAP = 3


def clip(text: str, width: int) -> str:
    """`text` cut to at most `width` terminal cells, the cut marked with an ellipsis.

    Measured in cells, not characters: a CJK character or an emoji takes two,
    so a title in Korean is cut where it reaches the bars, not twice as far.
    """
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)) + "…"


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` terminal cells: clipped, or padded with spaces."""
    text = clip(text, width)
    return text + " " * (width - cell_len(text))


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


def timeline(shown: Shown) -> Chart | None:
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
                tone(segment),
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
                bars.append(Bar(letter, ((0.0, cell.actual_s),), tone(cell)))
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
        tag = max(cell_len(bar.label) for row in chart.rows for bar in row.bars)
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
                free = at + len(text) + LABEL_GAP
        yield Text(set_cell_size(chart.title, label_width) + " ", style="bold") + labels
        yield Text(" " * (label_width + 1)) + Text("".join(ruler), style="dim")
        for row in chart.rows:
            for index, bar in enumerate(row.bars):
                name = f"{row.number:>2} {literal(row.title)}" if index == 0 else ""
                room = label_width - tag - 1
                tag_style = "dim" if index else ""
                line = Text(fit(name, room) + " " + " " * (tag - cell_len(bar.label)))
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
                    shade = styles[c]
                    if shade is None:
                        line.append(glyph)
                    elif glyph == "█":
                        colour = COLOURS[shade]
                        line.append(glyph, style=Style(color=colour, bgcolor=colour))
                    else:
                        line.append(glyph, style=COLOURS["plan"])
                yield line
        legend = Text(" " * (label_width + 1))
        # Without colour, an actual bar cannot say over or under: the table does.
        items = chart.legend if console.color_system else (("plan", "planned"), ("under", "actual"))
        for shade, word in items:
            legend.append("▒" if shade == "plan" else "█", style=COLOURS[shade])
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
        name = clip(f"{row.number} {literal(row.title)}", 44)
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
    for shade, word in chart.legend:
        out.append(_rect(at, legend_y - 9, at + 12, 10, HTML_COLOURS[shade]))
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
