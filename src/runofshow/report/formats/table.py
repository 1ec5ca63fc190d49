"""The terminal table: segments, totals and the timeline, drawn by Rich (plain text when written to a file)."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from runofshow.report.chart import COLOURS, TextChart, timeline
from runofshow.report.compare import KINDS_NOTE, SEGMENT_HEADER, Compared, cell
from runofshow.report.model import NOT_RUN
from runofshow.report.words import Shown, delta_tone, granted_tone


class _SegmentTable:
    """The segments as a Rich table that fits the console.

    The terminal gets one Notes column (state, pauses, extensions, warnings)
    instead of four, and below 100 columns only the start of each span: the
    ends are the next row's starts, and they are in the chart.
    """

    def __init__(self, shown: Shown) -> None:
        self.shown = shown

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        shown = self.shown
        wide = options.max_width >= 100
        rows = [(segment, shown.cells(segment)) for segment in shown.session.segments]
        extended = any(row.granted for _, row in rows)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, header_style="bold")
        table.add_column("#", justify="right", no_wrap=True)
        # Fold, not crop: a word wider than the column (a CJK title has no spaces) goes on, whole, below.
        table.add_column("Segment", overflow="fold")
        table.add_column("Planned" if wide else "Plan", no_wrap=True)
        table.add_column("", justify="right", no_wrap=True)
        table.add_column("Actual", no_wrap=True)
        table.add_column("Took", justify="right", no_wrap=True)
        table.add_column("±", justify="right", no_wrap=True)
        if extended:  # against the plan, and against the plan plus what was added
            table.add_column("±granted", justify="right", no_wrap=True)
        table.add_column("Notes", overflow="fold")
        for segment, row in rows:
            title = Text(row.title)
            if row.speaker:
                title.append("\n" + row.speaker, style="dim")
            notes = Text(row.note, style=COLOURS.get(segment.status, ""))
            for value in row.notes():
                notes.append(("; " if notes else "") + value)
            planned, actual = (row.planned, row.parts_text("\n")) if wide else (row.planned_start, row.actual_start)
            granted = [Text(row.granted, style=COLOURS.get(granted_tone(segment), ""))] if extended else []
            table.add_row(
                Text(str(row.number)),
                title,
                Text(planned),
                Text(row.plan),
                Text(actual),
                Text(row.took),
                Text(row.delta, style=COLOURS.get(delta_tone(segment), "")),
                *granted,
                notes,
                style="dim" if segment.status == NOT_RUN else None,
            )
        yield table


def session_table(shown: Shown, *, footer: bool = False) -> RenderableType:
    """The whole single-session report as one Rich renderable.

    With `footer`, for a picture meant for the minutes, the journal and its
    owner go in a line at the end rather than under the title.
    """
    meta = shown.dateline() if footer else shown.meta()
    parts: list[RenderableType] = [Text(shown.heading(), style="bold"), Text(meta, style="dim")]
    parts += [Text(note, style="yellow") for note in shown.notes()]
    parts += [Text(""), _SegmentTable(shown), Text("")]
    parts += [Text(line) for line in shown.summary()]
    chart = timeline(shown)
    if chart is not None:
        parts += [Text(""), TextChart(chart)]
    if shown.actions():
        parts += [Text(""), Text("Who did what (not from the moderator's keyboard)", style="bold")]
        parts += [Text(line) for line in shown.actions()]
    if footer:
        parts += [Text(""), Text(f"runofshow report of {shown.provenance()}", style="dim")]
    return Group(*parts)


def compare_table(view: Compared) -> RenderableType:
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
        table.add_column(
            name,
            justify="right" if name in ("#", "Plan") else "left",
            no_wrap=name != "Segment",
            overflow="fold" if name == "Segment" else "ellipsis",
        )
    for letter in view.letters:
        table.add_column(letter, justify="right", no_wrap=True)
    for row, cells in zip(view.comparison.segments, view.segment_rows()):
        rendered = [Text(c) for c in cells[:4]]
        for one in row.rows:
            text, tone = cell(one)
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
    kinds.add_column("Kind", overflow="fold")
    for letter in view.letters:
        kinds.add_column(letter, justify="right", no_wrap=True)
    kinds.add_column("All", justify="right", no_wrap=True)
    for cells in view.kind_rows():
        kinds.add_row(*[Text(c) for c in cells])
    return Group(*parts, Text(""), table, Text(""), kinds, Text(""), TextChart(view.chart()))


def plain(renderable: RenderableType, width: int) -> str:
    """What a terminal `width` cells wide would show, without colour: the table as a file."""
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, force_terminal=False, legacy_windows=False).print(renderable)
    return out.getvalue()


class TableFormat:
    """`--format table`: the terminal's picture as plain text."""

    binary = False

    def session(self, shown: Shown, width: int) -> str:
        return plain(session_table(shown), width)

    def comparison(self, view: Compared, width: int) -> str:
        return plain(compare_table(view), width)


RENDERER = TableFormat()
