"""export --format csv|xlsx: the columns import reads, real time and duration cells, a styled frozen header."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runofshow.agenda_file import load_agenda
from runofshow.commands.export import render
from runofshow.domain.agenda.model import Agenda
from runofshow.interop.columns import field_of

from .conftest import Cli
from .test_roundtrip import same


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


def test_xlsx_prints_landscape_one_page_wide_with_the_header_on_each_page(agenda: Agenda, tmp_path: Path) -> None:
    path = tmp_path / "seed.xlsx"
    path.write_bytes(render(agenda, "xlsx"))
    for sheet in openpyxl.load_workbook(path).worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title


def test_csv_to_stdout_and_back(cli: Cli, seed: Path, tmp_path: Path) -> None:
    result = cli("export", seed, "--format", "csv")
    assert result.status == 0
    lines = result.out.splitlines()
    assert lines[0].startswith("Session title,Initiatives and alliances")
    assert "Start,End,Title,Speaker,Role,Organization,Country,Time zone,Kind,Flexible" in result.out
    sheet = tmp_path / "seed.csv"
    sheet.write_text(result.out, newline="")
    assert cli("import", sheet).status == 0
    same(load_agenda(seed), load_agenda(sheet.with_suffix(".toml")))


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
    written = out.read_bytes()
    assert b"\x1b" not in written and b"\x07" not in written  # `cat agenda.csv` cannot retitle the terminal
    assert b"\\x1b]0;pwned\\x07" in written


#: Controls that steer a terminal a csv file is shown on: OSC 0 (window title), OSC 52 (clipboard),
#: CSI, BEL, a C1 CSI, DEL, a carriage return that hides what went before, and bidi overrides.
TERMINAL_STEERING = [
    "\x1b]0;owned\x07",
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "\x1b[2J",
    "\x9b31m",
    "del\x7f",
    "cover\rup",
    "\u202eevil\u202c",
    "\u2066isolate\u2069",
]


def test_csv_file_holds_no_terminal_control_and_imports_back_exactly(write_agenda: Callable[..., Path]) -> None:
    from runofshow.domain.agenda.parse import parse_agenda
    from runofshow.interop import toml_out
    from runofshow.interop.sheet import read_sheet
    from runofshow.interop.to_agenda import Options, import_sheet

    def segment(i: int, text: str) -> str:
        fields = {"title": "T " + text, "speaker": text, "notes": "a literal \\x1b stays " + text}
        lines = [f'start = "{9 + i:02d}:00"', 'duration = "10m"']
        lines += [f"{key} = {toml_out.string(value)}" for key, value in fields.items()]
        return "[[segments]]\n" + "\n".join(lines) + "\n\n"

    segments = "".join(segment(i, text) for i, text in enumerate(TERMINAL_STEERING))
    session = toml_out.table("session", {"title": "S \x1b]0;t\x07", "date": "2024-05-01", "timezone": "UTC"})
    agenda = parse_agenda("\n".join(session) + "\n\n" + segments)
    data = render(agenda, "csv")
    steering = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
    text = data.decode("utf-8")
    assert not steering.search(text.replace("\r\n", "\n")), steering.findall(text)
    sheet = write_agenda(data, "agenda.csv")
    back = import_sheet(read_sheet(sheet), Options(), sheet.with_suffix(".toml")).agenda
    same(agenda, back)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"])) | st.text("\\xu5c01b7f202e9\x1b\x07\u202e"))
def test_csv_escape_is_undone_exactly(text: str) -> None:
    from runofshow.interop.cells import csv_escape, csv_unescape

    escaped = csv_escape(text)
    assert csv_unescape(escaped) == text
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", escaped)
