"""Write xlsx workbooks: real time and duration cells, a styled and frozen header, inert text.

Used by `export --format xlsx` (the programme) and `report --format xlsx`
(one sheet per table). Text is always a string cell, never a formula, and a
text that starts like a formula is also marked "quote prefix", as Excel
does for text typed after an apostrophe; the apostrophe is not in the value.
Every sheet prints landscape, one page wide, with its header on each page.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runofshow.domain.agenda.model import Agenda
from runofshow.interop import table
from runofshow.interop.cells import formula_like, xlsx_escape

TIME_FORMAT = "hh:mm"
TIME_SECONDS_FORMAT = "hh:mm:ss"
DURATION_FORMAT = "[h]:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_WIDTH = 60


def new_workbook() -> Any:
    """An empty workbook (openpyxl is imported here, not at start-up)."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    return workbook


def set_cell(cell: Any, item: Any) -> None:
    """Put one typed value in `cell`; text stays text whatever it looks like."""
    if item is None:
        return
    if isinstance(item, table.Length):
        cell.value = dt.timedelta(seconds=item.seconds)
        cell.number_format = DURATION_FORMAT
    elif isinstance(item, dt.timedelta):
        cell.value = item
        cell.number_format = DURATION_FORMAT
    elif isinstance(item, dt.datetime):
        cell.value = item.replace(tzinfo=None)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(item, dt.time):
        cell.value = item
        cell.number_format = TIME_SECONDS_FORMAT if item.second else TIME_FORMAT
    elif isinstance(item, dt.date):
        cell.value = item
        cell.number_format = DATE_FORMAT
    elif isinstance(item, bool | int | float):
        cell.value = item
    else:
        text = xlsx_escape(str(item))
        cell.value = text
        cell.data_type = "s"  # openpyxl would take "=..." for a formula
        if formula_like(text.lstrip(" ")):
            cell.quotePrefix = True  # the value stays as written; the style says "typed after an apostrophe"


def add_sheet(workbook: Any, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    """A sheet with a bold, filled, frozen header row and columns wide enough to read."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE5F0")
    widths = [len(name) for name in header]
    for col, name in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=col)
        set_cell(cell, name)
        cell.font, cell.fill = bold, fill
    for r, row in enumerate(rows, start=2):
        for col, item in enumerate(row, start=1):
            set_cell(sheet.cell(row=r, column=col), item)
            if col <= len(widths):
                widths[col - 1] = max(widths[col - 1], _width(item))
    sheet.freeze_panes = "A2"
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = min(MAX_WIDTH, width + 2)
    print_wide(sheet)
    return sheet


def print_wide(sheet: Any, header_row: int = 1) -> None:
    """Print in landscape, every column on one page width, the header row repeated on each page."""
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.print_title_rows = f"{header_row}:{header_row}"


def _width(item: Any) -> int:
    if item is None:
        return 0
    if isinstance(item, str):
        return max((len(line) for line in item.splitlines()), default=0)
    if isinstance(item, dt.datetime):
        return len(DATETIME_FORMAT)  # narrower, and a spreadsheet prints ### instead of the instant
    return 10


def to_bytes(workbook: Any) -> bytes:
    """The workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def agenda_workbook(agenda: Agenda) -> bytes:
    """The programme on a "Programme" sheet, the session's facts on a "Session" sheet."""
    workbook = new_workbook()
    add_sheet(workbook, "Programme", table.headers(), table.segment_rows(agenda))
    add_sheet(workbook, "Session", ["Session", ""], [list(row) for row in table.session_rows(agenda)])
    return to_bytes(workbook)


def use_1904_dates(workbook: Any) -> None:
    """Count dates from 1904, the one date system in which Excel shows a negative duration (an early finish)."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    workbook.epoch = CALENDAR_MAC_1904


def record_cell(key: str, item: Any, text: Callable[[str], str]) -> Any:
    """A report record's value as a typed cell: `*_s` as a duration, ISO times as times, text through `text`."""
    if item is None or isinstance(item, bool):
        return item
    if key.endswith("_s") and isinstance(item, int | float):
        return dt.timedelta(seconds=item)
    if isinstance(item, int | float):
        return item
    if isinstance(item, list | tuple):
        return text("; ".join(str(part) for part in item)) if item else None
    if isinstance(item, dict):
        return text("; ".join(f"{k}: {v}" for k, v in item.items()))
    if isinstance(item, str) and _ISO.match(item):
        # The sheet's zone is the report's (`timezone` in the totals); a cell has no offset.
        return dt.datetime.fromisoformat(item).replace(tzinfo=None)
    return text(str(item))


def add_records(
    workbook: Any,
    title: str,
    records: Sequence[Mapping[str, Any]],
    text: Callable[[str], str],
    keys: Sequence[str] = (),
) -> Any:
    """A sheet with one row per record and the records' keys as the header (the names json and csv use)."""
    header = list(keys) or list(dict.fromkeys(key for record in records for key in record))
    rows = [[record_cell(key, record.get(key), text) for key in header] for record in records]
    return add_sheet(workbook, title, header, rows)


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")
