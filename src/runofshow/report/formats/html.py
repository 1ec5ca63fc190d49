"""`--format html`: a self-contained page for the minutes: table, totals and the timeline as inline SVG."""

from __future__ import annotations

import html

from runofshow.domain.events import REHEARSAL
from runofshow.report.chart import svg_chart, timeline
from runofshow.report.compare import KINDS_NOTE, SEGMENT_HEADER, Compared, cell
from runofshow.report.words import Shown, columns, delta_tone, granted_tone
from runofshow.words.text import literal


def session_html(shown: Shown) -> str:
    """A self-contained page: table, totals and the timeline as inline SVG."""
    s = shown.session
    title = literal(s.title)
    badge = ' <span class="badge">REHEARSAL</span>' if s.mode == REHEARSAL else ""
    body = [f"<h1>{html.escape(title)}{badge}</h1>", f'<p class="meta">{html.escape(shown.dateline())}</p>']
    body += [f'<p class="note">{html.escape(note)}</p>' for note in shown.notes()]
    rows = [shown.cells(segment) for segment in s.segments]
    shown_columns = columns(rows)
    body.append("<table>")
    body.append("<thead><tr>" + "".join(f"<th>{_header(c.name)}</th>" for c in shown_columns) + "</tr></thead>")
    body.append("<tbody>")
    for segment, row in zip(s.segments, rows):
        cells = []
        for column in shown_columns:
            kind = "n" if column.numeric else "t" if column.key in ("planned", "actual") else ""
            tone = {"delta": delta_tone(segment), "granted": granted_tone(segment), "note": segment.status}.get(
                column.key, ""
            )
            # A run's parts and the warnings wrap between items, never inside one ("time's / up"): the
            # column is as wide as its longest item, not all of them.
            items = row.warnings if column.key == "warnings" else row.parts if column.key == "actual" else ()
            parts = len(items) > 1 or column.key == "warnings"
            classes = " ".join(c for c in (kind, tone, "parts" if parts else "") if c)
            attribute = f' class="{classes}"' if classes else ""
            if parts:
                text = ", ".join(f'<span class="part">{html.escape(item)}</span>' for item in items)
            else:
                text = html.escape(column.text(row))
            cells.append(f"<td{attribute}>{text}</td>")
        body.append(f'<tr class="{segment.status}">' + "".join(cells) + "</tr>")
    body.append("</tbody></table>")
    body.append("<h2>Totals</h2>")
    body.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in shown.summary()) + "</ul>")
    chart = timeline(shown)
    if chart is not None:
        body.append("<h2>Timeline</h2>")
        body.append(svg_chart(chart))
    if shown.actions():
        body.append("<h2>Who did what</h2>")
        body.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in shown.actions()) + "</ul>")
    body.append(f"<footer>runofshow report of {html.escape(shown.provenance())}</footer>")
    return page(f"Report: {title}", body)


def _header(name: str) -> str:
    """A column's name, which may break after "/": "Over/under" need not be as wide as the word."""
    return html.escape(name).replace("/", "/<wbr>")


def compare_html(view: Compared) -> str:
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
        for one in row.rows:
            text, tone = cell(one)
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
    return page(view.heading(), body)


def page(title: str, body: list[str]) -> str:
    """A whole HTML document around `body`, with its style inline and nothing fetched."""
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
table{border-collapse:collapse;font-size:.85em}
th,td{padding:.25em .4em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{border-bottom:2px solid #999;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td:nth-child(2){min-width:13em}td.t{font-variant-numeric:tabular-nums;white-space:nowrap}td.parts{white-space:normal}
.part{white-space:nowrap}
.over{color:#c9302c}.under{color:#3c9a3c}.skipped{color:#a07800}.open{color:#2a7fd4}tr.not_run td,td.plan{color:#999}
svg.chart{max-width:100%;height:auto}
footer{color:#999;font-size:.8em;margin-top:2em}
@page{size:landscape;margin:12mm}
@media print{
body{margin:0;max-width:none;font-size:9pt}
table{font-size:1em}th,td{padding:.15em .3em}
thead{display:table-header-group}tr{break-inside:avoid}h2{break-after:avoid}
.over,.under,.skipped,.open,.note,.badge{print-color-adjust:exact;-webkit-print-color-adjust:exact}
}
"""


class HtmlFormat:
    """One HTML page; the page width does not apply (the chart is 960 pixels wide)."""

    binary = False

    def session(self, shown: Shown, width: int) -> str:
        return session_html(shown)

    def comparison(self, view: Compared, width: int) -> str:
        return compare_html(view)


RENDERER = HtmlFormat()
