"""`--format xlsx`: one sheet per table (segments, totals; the comparison and kinds for several journals).

The columns are the json and csv names (docs/report.md). Durations are
duration cells, in a workbook dated from 1904 so that Excel shows a negative
one (a segment that ended early) instead of ####; times are times in the
report's zone (`timezone` on the Totals sheet). Text has its control
characters made visible, as in csv, and is always a text cell, never a
formula; one that starts like a formula is marked "quote prefix" (the style
Excel gives text typed after an apostrophe) instead of holding an apostrophe,
which LibreOffice and pandas would show as part of the text.
"""

from __future__ import annotations

from typing import Any

from runofshow.interop import xlsx
from runofshow.report.compare import Compared
from runofshow.report.numbers import signed, warning_labels
from runofshow.report.records import SEGMENT_FIELDS, comparison_record, intervals, segment_record, session_record
from runofshow.report.words import Shown
from runofshow.words.text import literal

SEGMENTS, TOTALS, COMPARISON, KINDS = "Segments", "Totals", "Comparison", "Kinds"


def _segments(letter: str | None, shown: Shown) -> list[dict[str, Any]]:
    rows = []
    for segment in shown.session.segments:
        record = segment_record(segment, shown.tz)
        record["warnings"] = warning_labels(segment.warnings)
        record["parts"] = intervals(record["parts"])
        head = {"session": letter} if letter else {}
        rows.append({**head, "journal": shown.session.journal, "mode": shown.session.mode, **record})
    return rows


def _totals(letter: str | None, shown: Shown) -> dict[str, Any]:
    record = session_record(shown.session, shown.tz)
    record["largest_overruns"] = [
        f"{o['number']} {o['title']} ({signed(o['delta_s'])})" for o in record["largest_overruns"]
    ]
    return {"session": letter, **record} if letter else record


def _workbook(pairs: list[tuple[str | None, Shown]], view: Compared | None) -> bytes:
    book = xlsx.new_workbook()
    xlsx.use_1904_dates(book)
    head = ["session"] if view is not None else []
    segment_keys = [*head, "journal", "mode", *SEGMENT_FIELDS]
    xlsx.add_records(
        book, SEGMENTS, [r for letter, shown in pairs for r in _segments(letter, shown)], literal, segment_keys
    )
    xlsx.add_records(book, TOTALS, [_totals(letter, shown) for letter, shown in pairs], literal)
    if view is not None:
        record = comparison_record(view)["comparison"]
        letters = record["sessions"]
        rows = []
        for row in record["segments"]:
            flat = {key: row[key] for key in ("number", "title", "kind", "planned_duration_s")}
            for i, letter in enumerate(letters):
                flat[f"{letter} number"] = row["numbers"][i]
                flat[f"{letter} status"] = row["statuses"][i]
                flat[f"{letter} actual_duration_s"] = row["actual_duration_s"][i]
                flat[f"{letter} delta_s"] = row["delta_s"][i]
            rows.append(flat)
        xlsx.add_records(book, COMPARISON, rows, literal)
        kinds = []
        for kind in record["kinds"]:
            flat = {"kind": kind["kind"]}
            for i, letter in enumerate(letters):
                flat[f"{letter} segments"] = kind["segments"][i]
                flat[f"{letter} average_delta_s"] = kind["average_delta_s"][i]
            flat["all_segments"] = kind["all_segments"]
            flat["all_average_delta_s"] = kind["all_average_delta_s"]
            kinds.append(flat)
        xlsx.add_records(book, KINDS, kinds, literal)
    return xlsx.to_bytes(book)


class XlsxFormat:
    """An xlsx workbook; the page width does not apply."""

    binary = True

    def session(self, shown: Shown, width: int) -> bytes:
        return _workbook([(None, shown)], None)

    def comparison(self, view: Compared, width: int) -> bytes:
        return _workbook(list(zip(view.letters, view.shown)), view)


RENDERER = XlsxFormat()
