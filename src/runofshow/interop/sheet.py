"""Read the rows of a programme from a csv or xlsx file, as typed values.

Whatever the file, the result is the same: rows of cell values (str, int,
float, bool, time, datetime, timedelta, None, `Formula` for a formula that has
no saved value, or `BadDate` for a date cell no calendar holds), numbered as a
spreadsheet numbers them.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runofshow.errors import UserError
from runofshow.files import Expected, read_regular
from runofshow.interop import columns
from runofshow.interop.cells import csv_unescape, csv_unguard, xlsx_unescape
from runofshow.words.text import literal, shorten

MAX_FILE_BYTES = 20_000_000
MAX_ROWS = 5_000
MAX_COLUMNS = 200
DELIMITERS = (",", ";", "\t", "|")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

Row = tuple[Any, ...]


class SheetError(UserError):
    """A problem with the spreadsheet a user gave; the text names file, sheet, row and column."""


SHEET_FILE = Expected("a spreadsheet", MAX_FILE_BYTES, "a programme may be at most 20 MB", SheetError)


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell with no value saved beside it (the file was written by a script, not a spreadsheet)."""

    text: str


@dataclass(frozen=True, slots=True)
class BadDate:
    """A cell formatted as a date or time whose number is outside the calendar (1e308, -5)."""

    serial: str


#: openpyxl's warning for such a cell, which it then reads as the error "#VALUE!".
_BAD_DATE = re.compile(r"Cell ([A-Z]{1,3})(\d+) is marked as a date but the serial value (\S+) is outside")


@dataclass(frozen=True, slots=True)
class Merge:
    """A merged range, 1-based and inclusive."""

    ref: str
    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass(slots=True)
class Sheet:
    """The rows of one sheet; `rows[0]` is row 1."""

    file: str
    name: str | None
    rows: list[Row]
    merged: tuple[Merge, ...] = ()
    #: "key | value" rows of a separate Session sheet, if the workbook has one.
    session_rows: list[Row] = field(default_factory=list)
    #: header -> how its column was read, when the header alone does not say it.
    column_notes: dict[str, str] = field(default_factory=dict)

    def where(self, row: int | None = None, column: str | None = None) -> str:
        """'agenda.xlsx: sheet "Program", row 7, column "Start"' for messages."""
        parts = [f'sheet "{shorten(literal(self.name), 40)}"'] if self.name is not None else []
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            note = f" ({self.column_notes[column]})" if column in self.column_notes else ""
            parts.append(f'column "{shorten(literal(column), 40)}"{note}')
        return f"{literal(self.file)}: " + ", ".join(parts) if parts else literal(self.file)

    def error(self, message: str, row: int | None = None, column: str | None = None) -> SheetError:
        """The one line for a problem at `row`/`column` of this sheet."""
        return SheetError(f"{self.where(row, column)}: {message}")


def read_sheet(path: str | Path, sheet: str | None = None) -> Sheet:
    """Read the programme sheet of a csv or xlsx file; raise SheetError with a clear line."""
    name = str(path)
    file = Path(path)
    raw = read_regular(path, SHEET_FILE)
    if raw.startswith(_OLE_MAGIC):
        raise SheetError(
            f"{literal(name)}: is password-protected or an old .xls workbook; "
            "save it as .xlsx (File > Save As) without a password"
        )
    if raw.startswith(_ZIP_MAGIC) or file.suffix.lower() in XLSX_SUFFIXES:
        return _read_xlsx(raw, name, sheet)
    if sheet is not None:
        raise SheetError(f"{literal(name)}: --sheet is for xlsx workbooks; a csv file has one sheet")
    return _read_csv(raw, name)


# ---------------------------------------------------------------------------
# CSV


def _read_csv(raw: bytes, name: str) -> Sheet:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise SheetError(
            f"{literal(name)}: line {line}: not UTF-8 text (byte 0x{raw[error.start]:02x}); "
            'save the sheet as "CSV UTF-8"'
        ) from None
    if not text.strip():
        raise SheetError(f"{literal(name)}: file is empty; give a programme with a header row such as Start, Title")
    parsed = {delimiter: _csv_rows(text, delimiter, name) for delimiter in DELIMITERS}
    # The delimiter is the one that makes a header appear; ties go to the widest header.
    best = max(DELIMITERS, key=lambda d: (_header_width(parsed[d]), -DELIMITERS.index(d)))
    if not _header_width(parsed[best]):
        best = _sniff(text)
    rows = parsed[best]
    if isinstance(rows, SheetError):
        raise rows
    return Sheet(name, None, [tuple(csv_unescape(csv_unguard(cell)) for cell in row) for row in rows])


def _csv_rows(text: str, delimiter: str, name: str) -> list[list[str]] | SheetError:
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                return SheetError(f"{literal(name)}: more than {MAX_ROWS:,} rows; is this a programme?")
            rows.append(row[:MAX_COLUMNS])
    except csv.Error as error:
        return SheetError(f"{literal(name)}: row {reader.line_num}: not readable as CSV: {error}")
    return rows


def _header_width(rows: list[list[str]] | SheetError) -> int:
    if isinstance(rows, SheetError):
        return 0
    for row in rows:
        if columns.is_header(row):
            return len(columns.header_columns(row))
    return 0


def _sniff(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","


# ---------------------------------------------------------------------------
# XLSX


def _read_xlsx(raw: bytes, name: str, wanted: str | None) -> Sheet:
    import openpyxl  # only `import` needs it

    def damaged(error: Exception) -> SheetError:
        detail = shorten(literal(str(error) or type(error).__name__), 80)
        return SheetError(f"{literal(name)}: not a readable xlsx workbook ({detail}); is the file damaged?")

    if raw[30:38] == b"mimetype" and b"opendocument" in raw[38:100]:
        raise SheetError(f"{literal(name)}: is an OpenDocument spreadsheet; save it as .xlsx or .csv")
    # openpyxl warns on stderr about what it does not support or cannot read (data validation,
    # a date no calendar holds); what matters reaches the user as one line naming the cell.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            values = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            formulas = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
        except Exception as error:  # zipfile, KeyError, XML and openpyxl's own errors all mean "damaged"
            raise damaged(error) from None
    try:
        names = [ws.title for ws in values.worksheets]
        if not names:
            raise SheetError(f"{literal(name)}: the workbook has no sheets")
        session_rows: list[Row] = []
        session_name = next((n for n in names if n.casefold() == columns.PREAMBLE_SHEET.casefold()), None)
        if wanted is not None and wanted not in names:
            listed = ", ".join(f'"{literal(n)}"' for n in names)
            raise SheetError(f'{literal(name)}: no sheet "{literal(wanted)}"; the sheets are {listed}')
        if session_name is not None and session_name != wanted:
            session_rows = _xlsx_rows(values[session_name], formulas[session_name], name)
        candidates = [wanted] if wanted is not None else [n for n in names if n != session_name] or names
        chosen: Sheet | None = None
        for title in candidates:
            rows = _xlsx_rows(values[title], formulas[title], name)
            sheet = Sheet(name, title, rows, _merged(values[title]), session_rows)
            if chosen is None:
                chosen = sheet
            if any(columns.is_header(row) for row in rows):
                return sheet
        assert chosen is not None
        return chosen
    except SheetError:
        raise
    except Exception as error:
        raise damaged(error) from None
    finally:
        values.close()
        formulas.close()


def _xlsx_rows(values: Any, formulas: Any, name: str) -> list[Row]:
    from openpyxl.utils.cell import column_index_from_string

    # Some writers record a wrong sheet size; read every row there is, not the size the file claims.
    values.reset_dimensions()
    formulas.reset_dimensions()
    rows: list[Row] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        both = zip(values.iter_rows(values_only=True), formulas.iter_rows(values_only=True))
        pairs = list(itertools.islice(both, MAX_ROWS + 1))
    bad_dates: dict[tuple[int, int], str] = {}
    for warning in caught:
        if match := _BAD_DATE.search(str(warning.message)):
            bad_dates[(int(match.group(2)), column_index_from_string(match.group(1)))] = match.group(3)
    for index, (cells, raw_cells) in enumerate(pairs, start=1):
        if index > MAX_ROWS:
            raise SheetError(f'{literal(name)}: sheet "{literal(values.title)}": more than {MAX_ROWS:,} rows')
        row: list[Any] = []
        for column, (value, written) in enumerate(zip(cells[:MAX_COLUMNS], raw_cells[:MAX_COLUMNS]), start=1):
            if (index, column) in bad_dates:
                row.append(BadDate(bad_dates[(index, column)]))
            elif value is None and isinstance(written, str) and written.startswith("="):
                row.append(Formula(written))
            elif isinstance(value, str):
                row.append(xlsx_unescape(value))
            else:
                row.append(value)
        rows.append(tuple(row))
    return rows


def _merged(worksheet: Any) -> tuple[Merge, ...]:
    """Merged ranges: read-only mode does not keep them, so read them from the sheet's XML."""
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.functions import iterparse

    found: list[Merge] = []
    with worksheet._get_source() as source:  # openpyxl's own handle on the sheet's XML part
        for _, element in iterparse(source):
            if element.tag.endswith("}mergeCell") and (ref := element.get("ref")):
                min_col, min_row, max_col, max_row = range_boundaries(ref)
                found.append(Merge(ref, min_row, min_col, max_row, max_col))
            element.clear()
    return tuple(found)


def trimmed(rows: Sequence[Row]) -> Iterator[tuple[int, Row]]:
    """(row number, cells) with trailing empty cells dropped; an empty row comes out as ()."""
    for number, row in enumerate(rows, start=1):
        cells = list(row)
        while cells and is_blank(cells[-1]):
            cells.pop()
        yield number, tuple(cells)


def is_blank(value: object) -> bool:
    """An empty cell: nothing, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())
