"""report --format xlsx: one sheet per table, durations as duration cells, the same figures as json, text inert."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from runofshow.cli import main
from runofshow.report import render, render_file
from runofshow.report.model import load

from .test_report_hostile import hostile  # noqa: F401  (the fixture)


def workbook(tmp_path: Path, data: bytes) -> Any:
    path = tmp_path / "report.xlsx"
    path.write_bytes(data)
    return openpyxl.load_workbook(path)


def rows(sheet: Any) -> list[dict[str, Any]]:
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, (cell.value for cell in row))) for row in sheet.iter_rows(min_row=2)]


def test_one_session(in_journals: Path, tmp_path: Path) -> None:
    book = workbook(tmp_path, render_file([load("live.jsonl")], "xlsx"))
    assert book.sheetnames == ["Segments", "Totals"]
    assert book.epoch.year == 1904  # negative durations show in Excel
    data = json.loads(render([load("live.jsonl")], "json"))
    segments = rows(book["Segments"])
    assert [r["title"] for r in segments] == [s["title"] for s in data["segments"]]
    for row, record in zip(segments, data["segments"]):
        for key in ("planned_duration_s", "actual_duration_s", "delta_s", "paused_s"):
            expected = None if record[key] is None else dt.timedelta(seconds=record[key])
            assert row[key] == expected, key
        if record["planned_start"]:
            assert row["planned_start"] == dt.datetime.fromisoformat(record["planned_start"]).replace(tzinfo=None)
    sheet = book["Segments"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    delta = next(c for c in sheet[1] if c.value == "delta_s").column
    assert sheet.cell(row=2, column=delta).number_format == "[h]:mm:ss"
    (totals,) = rows(book["Totals"])
    assert totals["title"] == data["session"]["title"]
    assert totals["planned_duration_s"] == dt.timedelta(seconds=data["session"]["planned_duration_s"])


def test_comparison_has_its_own_sheets(in_journals: Path, tmp_path: Path) -> None:
    reports = [load("rehearsal.jsonl"), load("live.jsonl")]
    book = workbook(tmp_path, render_file(reports, "xlsx"))
    assert book.sheetnames == ["Segments", "Totals", "Comparison", "Kinds"]
    compared = json.loads(render(reports, "json"))["comparison"]
    comparison = rows(book["Comparison"])
    assert [r["title"] for r in comparison] == [s["title"] for s in compared["segments"]]
    first = compared["segments"][0]
    assert comparison[0]["B delta_s"] == dt.timedelta(seconds=first["delta_s"][1])
    assert [r["session"] for r in rows(book["Totals"])] == ["A", "B"]
    assert {r["session"] for r in rows(book["Segments"])} == {"A", "B"}


def test_text_is_guarded_as_in_csv(hostile: str, tmp_path: Path) -> None:  # noqa: F811
    data = render_file([load(hostile)], "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            assert b"<f>" not in archive.read(name)
    sheet = workbook(tmp_path, data)["Segments"]
    segments = rows(sheet)
    # The cell holds the text as written, marked "quote prefix" as the agenda's xlsx does: no apostrophe
    # inside the value for LibreOffice or pandas to show.
    assert segments[0]["title"] == "+cmd|' /C calc'!A0"
    assert segments[0]["speaker"] == "@SUM(1)"
    assert segments[1]["title"] == "Bell \\x07 escape \\x1b]0;owned\\x07 csi \\x9b2J del \\x7f"
    assert segments[0]["delta_s"] == dt.timedelta(seconds=-60)
    header = [cell.value for cell in sheet[1]]
    for name in ("title", "speaker", "kind"):
        cell = sheet.cell(row=2, column=header.index(name) + 1)
        assert cell.data_type == "s" and cell.quotePrefix, name
    totals = workbook(tmp_path, data)["Totals"]
    title = next(cell for cell in totals[2] if str(cell.value).startswith("=HYPERLINK"))
    assert title.data_type == "s" and title.quotePrefix


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_on_each_page(
    in_journals: Path, tmp_path: Path
) -> None:
    book = workbook(tmp_path, render_file([load("rehearsal.jsonl"), load("live.jsonl")], "xlsx"))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title


def test_cli_writes_the_file_and_refuses_a_terminal(
    in_journals: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "minutes.xlsx"
    assert main(["report", "live.jsonl", "--format", "xlsx", "-o", str(target)]) == 0
    assert target.read_bytes().startswith(b"PK")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert main(["report", "live.jsonl", "--format", "xlsx"]) == 2


def test_render_says_xlsx_is_not_text(in_journals: Path) -> None:
    with pytest.raises(ValueError, match="binary"):
        render([load("live.jsonl")], "xlsx")


def test_parts_are_iso_intervals_as_in_csv(in_journals: Path, tmp_path: Path) -> None:
    book = workbook(tmp_path, render_file([load("live.jsonl")], "xlsx"))
    four = rows(book["Segments"])[3]
    assert (
        four["parts"]
        == "2021-10-08T18:11:30+09:00/2021-10-08T18:17:30+09:00; 2021-10-08T18:19:30+09:00/2021-10-08T18:26:30+09:00"
    )
    csv_row = render([load("live.jsonl")], "csv").splitlines()[4]
    assert csv_row.endswith(four["parts"])


def test_instant_columns_are_wide_enough_to_print_their_instants(in_journals: Path, tmp_path: Path) -> None:
    """A column narrower than its instants prints ### in a spreadsheet instead of them."""
    import datetime as dt

    from openpyxl.utils import get_column_letter

    from runofshow.interop.xlsx import DATETIME_FORMAT

    book = workbook(tmp_path, render_file([load("live.jsonl")], "xlsx"))
    checked = 0
    for sheet in book.worksheets:
        for column in sheet.iter_cols(min_row=2):
            if any(isinstance(cell.value, dt.datetime) for cell in column):
                width = sheet.column_dimensions[get_column_letter(column[0].column)].width
                assert width >= len(DATETIME_FORMAT), (sheet.title, column[0].column, width)
                checked += 1
    assert checked > 0  # the report does have instant columns
