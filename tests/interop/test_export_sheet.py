"""export --format csv|xlsx: the columns import reads, real time and duration cells, a styled frozen header."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl

from runofshow.core.agenda import Agenda, load_agenda
from runofshow.export import render
from runofshow.interop.columns import field_of

from .conftest import Cli


def test_xlsx_cells_are_typed(agenda: Agenda, tmp_path: Path) -> None:
    path = tmp_path / "seed.xlsx"
    path.write_bytes(render(agenda, "xlsx"))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Programme", "Session"]
    sheet = book["Programme"]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Start", "End", "Title"]
    assert all(field_of(name) for name in header)  # every column is one import reads
    assert all(cell.font.bold for cell in sheet[1])
    start, end = sheet["A5"], sheet["B5"]
    assert (start.value, end.value) == (dt.time(18, 11), dt.time(18, 21))
    assert start.is_date and start.number_format == "hh:mm"
    flexible = sheet[9]
    assert flexible[2].value == "Questions and discussions guided by the moderator"
    assert flexible[9].value is True
    assert flexible[10].value == dt.timedelta(minutes=12) and flexible[10].number_format == "[h]:mm:ss"
    facts = {row[0].value: row[1].value for row in book["Session"].iter_rows(min_row=2)}
    assert facts["Session time zone"] == "Asia/Seoul"
    assert facts["Date"] == dt.datetime(2021, 10, 8)


def test_csv_to_stdout_and_back(cli: Cli, seed: Path, tmp_path: Path) -> None:
    result = cli("export", seed, "--format", "csv")
    assert result.status == 0
    lines = result.out.splitlines()
    assert lines[0].startswith("Session title,Initiatives and alliances")
    assert "Start,End,Title,Speaker,Role,Organization,Country,Time zone,Kind,Flexible" in result.out
    sheet = tmp_path / "seed.csv"
    sheet.write_text(result.out, newline="")
    assert cli("import", sheet).status == 0
    back, original = load_agenda(sheet.with_suffix(".toml")), load_agenda(seed)
    assert (back.session, back.segments) == (original.session, original.segments)


def test_speaker_is_for_calendars_and_briefings(cli: Cli, seed: Path) -> None:
    result = cli("export", seed, "--format", "csv", "--speaker", "Young Kim")
    assert (result.status, result.err.strip()) == (2, "runofshow: --speaker goes with --format ics or md")


def test_export_never_writes_over_its_agenda(cli: Cli, seed: Path, tmp_path: Path) -> None:
    copy = tmp_path / "agenda.toml"
    copy.write_bytes(seed.read_bytes())
    result = cli("export", copy, "--format", "csv", "-o", copy)
    assert result.status == 2 and copy.read_bytes() == seed.read_bytes()


def test_check_imports_neither_openpyxl_nor_icalendar(seed: Path) -> None:
    probe = (
        "import io, json, sys\n"
        "from contextlib import redirect_stdout\n"
        "import runofshow.cli\n"
        "with redirect_stdout(io.StringIO()):\n"
        "    runofshow.cli.main(['check', sys.argv[1]])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('openpyxl', 'icalendar'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(seed)], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == []
