"""An agenda as Ontime's rundown sheet: its own column names, so Ontime's import maps them by itself.

Ontime (github.com/cpvalente/ontime) matches a sheet's headers to its fields
by name, ignoring case: Time Start, Time End, Duration, ID, Colour, Cue,
Title, Note, Is Public, Skip, Warning Time, Danger Time. Everything else a
segment has (speaker, role, …) follows as columns Ontime can take as custom
fields, under the names `import` reads, with the session's facts in rows
above the header; so a session can go to Ontime and come back as it was.
Ontime's import reads xlsx; `workbook` writes one with the sheet named as
Ontime looks for it, `to_csv` the same rows as csv.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from runofshow.domain.agenda.ids import segment_ids
from runofshow.domain.agenda.model import Agenda, Segment
from runofshow.interop import table
from runofshow.interop.columns import EXPORT_FIELDS, header_text

#: Ontime's columns, in the order of its own exports.
ONTIME_COLUMNS = (
    "Time Start",
    "Time End",
    "Duration",
    "ID",
    "Colour",
    "Cue",
    "Title",
    "Note",
    "Is Public",
    "Skip",
    "Warning Time",
    "Danger Time",
)
#: The rest of a segment, as custom fields (the headers `import` reads).
CUSTOM = ("speaker", "role", "organization", "country", "timezone", "kind", "flexible", "min_duration", "email")
SHEET = "Event Schedule"


def headers() -> list[str]:
    """Ontime's columns, then the custom fields."""
    return [*ONTIME_COLUMNS, *(header_text(name) for name in CUSTOM)]


def _hms(seconds: int) -> str:
    """ "00:10:00", as Ontime writes times and lengths."""
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _warning(item: Any) -> str | None:
    if isinstance(item, table.Length):
        return _hms(item.seconds)
    return None if item is None else str(item)  # the default, or "off"


def rows(agenda: Agenda) -> list[list[Any]]:
    """One row per segment, every cell text as Ontime writes it."""
    out = []
    for segment, id_ in zip(agenda.segments, segment_ids(agenda)):
        out.append(_row(segment, id_))
    return out


def _row(segment: Segment, id_: str) -> list[Any]:
    cells = dict(zip(EXPORT_FIELDS, table.segment_cells(segment, id_)))
    ontime = [
        _hms(segment.start.hour * 3600 + segment.start.minute * 60 + segment.start.second),
        _hms(segment.end.hour * 3600 + segment.end.minute * 60 + segment.end.second),
        _hms(segment.duration_s),
        id_,
        None,
        str(segment.number),
        segment.title,
        segment.notes,
        None,
        None,
        _warning(cells["wrap_up"]),
        _warning(cells["final"]),
    ]
    custom = [cells[name] for name in CUSTOM]
    return ontime + [table.length_text(c.seconds) if isinstance(c, table.Length) else c for c in custom]


def to_csv(agenda: Agenda) -> str:
    """The rundown as csv: the session's facts, a blank row, the header, one row per segment."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for key, item in table.session_rows(agenda):
        writer.writerow([key, table.csv_cell(item)])
    writer.writerow([])
    writer.writerow(headers())
    for row in rows(agenda):
        writer.writerow([table.csv_cell(item) for item in row])
    return buffer.getvalue()


def workbook(agenda: Agenda) -> bytes:
    """The rundown as an xlsx workbook, on the sheet Ontime's import opens first."""
    from openpyxl.styles import Font

    from runofshow.interop import xlsx

    book = xlsx.new_workbook()
    sheet = book.create_sheet(SHEET)
    facts = [list(row) for row in table.session_rows(agenda)]
    for r, row in enumerate([*facts, [], headers(), *rows(agenda)], start=1):
        for c, item in enumerate(row, start=1):
            xlsx.set_cell(sheet.cell(row=r, column=c), item)
    header_row = len(facts) + 2
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    xlsx.print_wide(sheet, header_row)
    return xlsx.to_bytes(book)
