"""Report records as xlsx rows: durations as duration cells (negative ones too), times as times, text inert."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl

from runofshow.interop.cells import csv_guard
from runofshow.interop.xlsx import add_records, new_workbook, to_bytes, use_1904_dates

RECORDS = [
    {
        "number": 1,
        "title": '=HYPERLINK("http://evil")',
        "flexible": False,
        "planned_start": "2021-10-08T18:00:00+09:00",
        "actual_duration_s": 75.5,
        "delta_s": -30,
        "warnings": ["wrap-up", "final"],
    },
    {"number": 2, "title": "Talk", "planned_start": None, "actual_duration_s": None, "delta_s": 90, "warnings": []},
]


def test_records_become_typed_cells(tmp_path: Path) -> None:
    book = new_workbook()
    use_1904_dates(book)
    add_records(book, "Segments", RECORDS, csv_guard)
    path = tmp_path / "report.xlsx"
    path.write_bytes(to_bytes(book))
    with zipfile.ZipFile(path) as archive:
        assert b'date1904="1"' in archive.read("xl/workbook.xml")
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    sheet = openpyxl.load_workbook(path)["Segments"]
    header = [c.value for c in sheet[1]]
    assert header == ["number", "title", "flexible", "planned_start", "actual_duration_s", "delta_s", "warnings"]
    first = {h: c for h, c in zip(header, sheet[2])}
    assert first["title"].value == '\'=HYPERLINK("http://evil")' and first["title"].data_type == "s"
    assert first["planned_start"].value == dt.datetime(2021, 10, 8, 18, 0)
    assert first["actual_duration_s"].value == dt.timedelta(seconds=75.5)
    assert first["delta_s"].value == dt.timedelta(seconds=-30)  # shown as -0:00:30 in 1904 mode
    assert first["delta_s"].number_format == "[h]:mm:ss"
    assert first["flexible"].value is False and first["warnings"].value == "wrap-up; final"
    second = {h: c for h, c in zip(header, sheet[3])}
    assert second["planned_start"].value is None and second["warnings"].value is None
