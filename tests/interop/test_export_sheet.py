"""export --format csv|xlsx: the columns import reads, real time and duration cells, a styled frozen header."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from runofshow.agenda_file import load_agenda
from runofshow.commands.export import render
from runofshow.domain.agenda.model import Agenda
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


@pytest.mark.pty
def test_csv_on_a_terminal_shows_control_characters_instead_of_obeying_them(
    write_agenda: Callable[..., Path], tmp_path: Path
) -> None:
    """A title that sets the window title, in a real pty: visible on screen, exact in a file."""
    hostile = "Opening \\u001b]0;pwned\\u0007 and \\u001b[2J"
    path = write_agenda(
        f'[session]\ntitle = "S"\ndate = "2021-10-08"\ntimezone = "Asia/Seoul"\n'
        f'[[segments]]\nstart = "18:00"\nduration = "10m"\ntitle = "{hostile}"\n'
    )
    main, child = os.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "runofshow", "export", str(path), "--format", "csv"],
            stdout=child,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        os.close(child)
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the pty is closed once everything is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(main)
    assert process.returncode == 0, process.stderr
    assert b"\x1b" not in shown and b"\x07" not in shown
    assert b"\\x1b]0;pwned\\x07" in shown
    out = tmp_path / "agenda.csv"
    subprocess.run(
        [sys.executable, "-m", "runofshow", "export", str(path), "--format", "csv", "-o", str(out)], check=True
    )
    assert b"\x1b]0;pwned\x07" in out.read_bytes()  # the file keeps the text exactly, for the round trip
