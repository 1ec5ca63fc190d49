"""`--format csv`: one row per segment, for a spreadsheet; several journals share one file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from runofshow.report.compare import Compared
from runofshow.report.model import SessionReport
from runofshow.report.numbers import warning_labels
from runofshow.report.records import SEGMENT_FIELDS, intervals, segment_record
from runofshow.report.words import Shown
from runofshow.words.text import spreadsheet_safe

CSV_FIELDS = ("journal", "mode", *SEGMENT_FIELDS)
"""The CSV columns, in order: the session's journal and mode, then the segment, so that
the rows of several journals can share one file."""


def _csv_value(value: Any) -> Any:
    """A cell: numbers as numbers, text that no spreadsheet runs as a formula and no terminal obeys."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return value


def csv_rows(session: SessionReport, tz: str) -> Iterator[list[Any]]:
    """A session's segments as CSV cells in CSV_FIELDS order; warnings as their labels."""
    for segment in session.segments:
        record = segment_record(segment, tz)
        record["warnings"] = "; ".join(warning_labels(segment.warnings))
        record["parts"] = intervals(record["parts"])
        yield [session.journal, session.mode, *(_csv_value(record[key]) for key in SEGMENT_FIELDS)]


def write(rows: Iterable[list[Any]]) -> str:
    """The header row and `rows`, as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    writer.writerows(rows)
    return buffer.getvalue()


class CsvFormat:
    """CSV; the page width does not apply."""

    binary = False

    def session(self, shown: Shown, width: int) -> str:
        return write(csv_rows(shown.session, shown.tz))

    def comparison(self, view: Compared, width: int) -> str:
        return write(row for shown in view.shown for row in csv_rows(shown.session, shown.tz))


RENDERER = CsvFormat()
