"""Every bad programme ends in one line naming file, sheet, row and column, and exit status 2."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Cli, csv_text, workbook

ZONE_DATE = ("--timezone", "Asia/Seoul", "--date", "2021-10-08")


def one_line(cli: Cli, source: Path, *options: str) -> str:
    result = cli("import", source, *options)
    assert result.status == 2
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert not source.with_suffix(".toml").exists()
    return lines[0]


def test_the_issue_example(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    rows = [["Start", "Title"]] + [[dt.time(18, i), f"Slot {i}"] for i in range(5)] + [["18:6O", "Typo"]]
    source = write_xlsx(rows)
    assert one_line(cli, source, *ZONE_DATE).endswith(
        'agenda.xlsx: sheet "Program", row 7, column "Start": "18:6O" is not a time (use HH:MM, like 18:06)'
    )


CSV_CASES = {
    "bad range": (
        [["Time", "Content"], ["18:00-18:01", "Check"], ["18:01-18:O6", "Intro"]],
        'row 3, column "Time": "18:01-18:O6" is not a time range',
    ),
    "empty row in the middle": (
        [["Start", "Title"], ["18:00", "A"], [], ["18:10", "B"]],
        "row 3: empty row inside the programme; delete it",
    ),
    "two header rows": (
        [["Time", "", "Content"], ["Start", "End", ""], ["18:00", "18:10", "A"]],
        "row 2: looks like a second header row",
    ),
    "no time column": (
        [["Title", "Speaker"], ["Opening", "Dara"]],
        "row 1: no time column; name one Start, Start time, From, Begin, Time Start, Time or Slot",
    ),
    "no header at all": ([["a", "b"], ["c", "d"]], "no header row; the programme needs a time column"),
    "no title": ([["Start", "Title"], ["18:00", ""]], 'row 2, column "Title": empty; every segment needs a title'),
    "first start missing": (
        [["Start", "Duration", "Title"], ["", "10", "A"]],
        'row 2, column "Start": the first segment needs a start time',
    ),
    "overlap, in sheet words": (
        [["Start", "End", "Title"], ["18:00", "18:10", "A"], ["18:05", "18:20", "B"]],
        'row 3, column "Start": starts at 18:05:00, before row 2 ends at 18:10:00 (segments overlap)',
    ),
    "bad duration": (
        [["Start", "Length", "Title"], ["18:00", "ten", "A"]],
        'row 2, column "Length": "ten" is not a length',
    ),
    "bad zone in a row": (
        [["Start", "End", "Title", "TZ"], ["18:00", "18:10", "A", "Mars/Olympus"]],
        'row 2, column "TZ": unknown time zone "Mars/Olympus"',
    ),
    "bad flag": (
        [["Start", "End", "Title", "Flexible"], ["18:00", "18:10", "A", "maybe"]],
        'row 2, column "Flexible": "maybe" is not yes or no',
    ),
    "two start columns": (
        [["Start", "From", "Title"], ["18:00", "18:00", "A"]],
        'row 1, column "From": says the same as column "Start"; keep one of them',
    ),
    "no rows": ([["Start", "Title"]], "row 1: no programme under the header row"),
    "last row without an end": (
        [["Time", "Content"], ["18:00", "A"], ["18:10", "B"]],
        'row 3, column "Time": the end is missing; give an end time or a duration',
    ),
}


@pytest.mark.parametrize("case", CSV_CASES)
def test_bad_csv(cli: Cli, tmp_path: Path, case: str) -> None:
    rows, expected = CSV_CASES[case]
    source = tmp_path / "programme.csv"
    source.write_text(csv_text(rows))
    line = one_line(cli, source, *ZONE_DATE)
    assert line.startswith("runofshow: ")
    assert f"programme.csv: {expected}" in line


def test_missing_zone_and_date_name_the_option(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "programme.csv"
    source.write_text(csv_text([["Start", "End", "Title"], ["18:00", "18:10", "A"]]))
    assert one_line(cli, source, "--date", "2021-10-08").endswith(
        "give it with --timezone ZONE (an IANA name like Asia/Seoul)"
    )
    assert one_line(cli, source, "--timezone", "UTC").endswith(
        "no date for the session; give it with --date YYYY-MM-DD"
    )
    assert "--timezone: unknown time zone" in one_line(cli, source, "--timezone", "KST", "--date", "2021-10-08")
    assert "--date: " in one_line(cli, source, "--timezone", "UTC", "--date", "8/10/2021")


def test_merged_cells_in_the_programme(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    book = workbook([["Start", "End", "Title"], [dt.time(18), dt.time(18, 10), "A"], [dt.time(18, 10), None, "B"]])
    book.active.merge_cells("B2:B3")
    line = one_line(cli, write_xlsx(book), *ZONE_DATE)
    assert line.endswith(
        'sheet "Program", row 2, column "End": merged cells (B2:B3); unmerge them and give each row its own value'
    )


def test_formula_without_a_saved_value(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    # openpyxl, like any script, saves formulas with no computed value beside them.
    source = write_xlsx([["Start", "End", "Title"], [dt.time(18), "=A2+TIME(0,10,0)", "A"]])
    line = one_line(cli, source, *ZONE_DATE)
    assert 'row 2, column "End": the formula "=A2+TIME(0,10,0)" has no saved value' in line


def test_formula_in_an_unread_column_is_fine(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    source = write_xlsx([["Start", "End", "Title", "Total"], [dt.time(18), dt.time(18, 10), "A", "=B2-A2"]])
    assert cli("import", source, *ZONE_DATE).status == 0


def test_number_in_a_time_column(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    line = one_line(cli, write_xlsx([["Start", "End", "Title"], [0.75, dt.time(18, 10), "A"]]), *ZONE_DATE)
    assert 'row 2, column "Start": 0.75 is a number, not a time' in line


def test_unknown_sheet_lists_the_sheets(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    source = write_xlsx([["Start", "Title"], [dt.time(18), "A"]])
    assert one_line(cli, source, "--sheet", "Programme", *ZONE_DATE).endswith(
        'agenda.xlsx: no sheet "Programme"; the sheets are "Program"'
    )


def test_password_protected_workbook(cli: Cli, tmp_path: Path) -> None:
    # An encrypted xlsx is an OLE compound file, like an old .xls.
    source = tmp_path / "locked.xlsx"
    source.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert one_line(cli, source, *ZONE_DATE).endswith(
        "locked.xlsx: is password-protected or an old .xls workbook; save it as .xlsx (File > Save As) without a password"
    )


@pytest.mark.parametrize("kind", ["truncated", "not xml", "empty zip"])
def test_corrupt_workbook(cli: Cli, tmp_path: Path, write_xlsx: Callable[..., Path], kind: str) -> None:
    good = write_xlsx([["Start", "Title"], [dt.time(18), "A"]]).read_bytes()
    source = tmp_path / "broken.xlsx"
    if kind == "truncated":
        source.write_bytes(good[: len(good) // 2])
    elif kind == "not xml":
        with zipfile.ZipFile(source, "w") as archive:
            for name in zipfile.ZipFile(tmp_path / "agenda.xlsx").namelist():
                archive.writestr(name, "<<< not xml")
    else:
        with zipfile.ZipFile(source, "w"):
            pass
    assert "broken.xlsx: not a readable xlsx workbook" in one_line(cli, source, *ZONE_DATE)


def test_files_that_are_not_there_or_not_text(cli: Cli, tmp_path: Path) -> None:
    assert one_line(cli, tmp_path / "nope.csv").endswith("nope.csv: no such file")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Start,Title\n18:00,Économie\n".encode("cp1252"))
    assert one_line(cli, latin, *ZONE_DATE).endswith(
        'latin.csv: line 2: not UTF-8 text (byte 0xc9); save the sheet as "CSV UTF-8"'
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n")
    assert "empty.csv: file is empty" in one_line(cli, empty, *ZONE_DATE)


def test_a_real_process_exits_2_with_one_line(tmp_path: Path) -> None:
    source = tmp_path / "programme.csv"
    source.write_text("Start,Title\n18:6O,Typo\n")
    result = subprocess.run(
        [sys.executable, "-m", "runofshow", "import", str(source), *ZONE_DATE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.endswith(
        'programme.csv: row 2, column "Start": "18:6O" is not a time (use HH:MM, like 18:06)\n'
    )


def test_bad_session_facts_name_their_row(cli: Cli, tmp_path: Path, write_xlsx: Callable[..., Path]) -> None:
    source = tmp_path / "facts.csv"
    source.write_text(csv_text([["Date", "8/10/2021"], ["Start", "End", "Title"], ["18:00", "18:10", "A"]]))
    assert one_line(cli, source, "--timezone", "UTC").endswith(
        'facts.csv: row 1, "Date": "8/10/2021" is not a date (use YYYY-MM-DD)'
    )
    book = workbook([["Start", "End", "Title"], [dt.time(18), dt.time(18, 10), "A"]])
    facts = book.create_sheet("Session")
    facts.append(["Session", None])
    facts.append(["Session time zone", "Asia/Soul"])
    line = one_line(cli, write_xlsx(book), "--date", "2021-10-08")
    assert 'agenda.xlsx: sheet "Session", row 2, "Session time zone": unknown time zone "Asia/Soul"' in line


def test_a_time_daylight_saving_skips(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "programme.csv"
    source.write_text(csv_text([["Start", "End", "Title"], ["02:10", "02:40", "In the gap"]]))
    line = one_line(cli, source, "--timezone", "Europe/Paris", "--date", "2024-03-31")
    assert line.endswith(
        'row 2, column "Start": 2024-03-31 02:10:00 does not exist in Europe/Paris '
        "(the clocks jump over it for daylight saving)"
    )


def test_an_opendocument_spreadsheet(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "programme.ods"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert one_line(cli, source, *ZONE_DATE).endswith(
        "programme.ods: is an OpenDocument spreadsheet; save it as .xlsx or .csv"
    )


@pytest.mark.slow
def test_a_date_cell_outside_the_calendar_is_one_line(write_xlsx: Callable[..., Path]) -> None:
    """openpyxl warns on stderr about such a cell; the user sees one line, naming the cell, and nothing else."""
    book = workbook([["Start", "End", "Title"], [dt.time(18), dt.time(18, 10), "A"]])
    book.active["A2"].value = 1e308
    book.active["A2"].number_format = "hh:mm"
    source = write_xlsx(book)
    result = subprocess.run(
        [sys.executable, "-W", "default", "-m", "runofshow", "import", str(source), *ZONE_DATE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.endswith(
        'agenda.xlsx: sheet "Program", row 2, column "Start": 1e+308 is a date serial number outside the calendar; '
        "type the value again\n"
    )


@pytest.mark.parametrize("command", ["import", "export"])
def test_an_output_that_is_a_symlink_loop_is_one_line(cli: Cli, tmp_path: Path, seed: Path, command: str) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    if command == "import":
        source = tmp_path / "programme.csv"
        source.write_text("Start,End,Title\n18:00,18:10,Hello\n18:10,18:20,World\n")
        result = cli("import", source, *ZONE_DATE, "-o", tmp_path / "a")
    else:
        result = cli("export", seed, "--format", "csv", "-o", tmp_path / "a")
    assert result.status == 2 and result.out == ""
    (line,) = result.err.splitlines()
    assert line.startswith(f"runofshow: {tmp_path / 'a'}: "), line
