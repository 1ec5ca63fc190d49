"""`--format markdown`: the report for the minutes, with the chart in a text block."""

from __future__ import annotations

import re
from collections.abc import Sequence

from runofshow.report.chart import TextChart, timeline
from runofshow.report.compare import KINDS_NOTE, SEGMENT_HEADER, Compared
from runofshow.report.formats.table import plain
from runofshow.report.words import Shown, columns

# Enough to keep text inert inline (in a table cell, a list item, a heading): emphasis,
# code, links, HTML, cells, strike-through and entities. Line-start markers cannot occur there.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~]|&(?=#?\w+;))")


def md_plain(text: str) -> str:
    """Escape already-literal text for Markdown."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def session_markdown(shown: Shown) -> str:
    """The report as Markdown for the minutes; the chart goes in a text block."""
    s = shown.session
    # `heading`, `meta`, notes and summary are already literal; only Markdown escaping remains.
    out = [f"# {md_plain(shown.heading())}", "", md_plain(shown.meta()), ""]
    for note in shown.notes():
        out.append(f"> {md_plain(note)}")
    if shown.notes():
        out.append("")
    rows = [shown.cells(segment) for segment in s.segments]
    shown_columns = columns(rows)
    out += _md_table(
        [c.name for c in shown_columns],
        [
            [md_plain(c.text(row)) if c.key in ("title", "speaker") else c.text(row) for c in shown_columns]
            for row in rows
        ],
        {i for i, c in enumerate(shown_columns) if c.numeric},
    )
    out.append("")
    out += [f"- {md_plain(line)}" for line in shown.summary()]
    chart = timeline(shown)
    if chart is not None:
        out += ["", "```text", plain(TextChart(chart), 100).rstrip("\n"), "```"]
    actions = shown.actions()
    if actions:
        out += ["", "## Who did what (not from the moderator's keyboard)", ""]
        out += [f"- {md_plain(line)}" for line in actions]
    return "\n".join(out) + "\n"


def compare_markdown(view: Compared) -> str:
    """The comparison as Markdown."""
    out = [f"# {md_plain(view.heading())}", ""]
    out += [f"- {md_plain(line)}" for line in view.session_lines()]
    out.append("")
    out += [f"> {md_plain(note)}" for note in view.notes()]
    if view.notes():
        out.append("")
    out += ["## Actual durations (over/under)", ""]
    out += _md_table(
        [*SEGMENT_HEADER, *view.letters],
        [[md_plain(c) for c in row] for row in view.segment_rows()],
        {0, 3, *range(4, 4 + len(view.letters))},
    )
    out += ["", "## Average over/under by kind", "", KINDS_NOTE, ""]
    out += _md_table(
        ["Kind", *view.letters, "All"],
        [[md_plain(c) for c in row] for row in view.kind_rows()],
        set(range(1, len(view.letters) + 2)),
    )
    out += ["", "```text", plain(TextChart(view.chart()), 100).rstrip("\n"), "```"]
    return "\n".join(out) + "\n"


class MarkdownFormat:
    """Markdown; the page width does not apply (the chart is drawn 100 cells wide)."""

    binary = False

    def session(self, shown: Shown, width: int) -> str:
        return session_markdown(shown)

    def comparison(self, view: Compared, width: int) -> str:
        return compare_markdown(view)


RENDERER = MarkdownFormat()
