"""The totals tell how the end came about, in figures that add up: the start, the fixed and the flexible segments."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import LIVE
from runofshow.report import render, render_file
from runofshow.report.model import load
from runofshow.report.numbers import rounded_parts
from runofshow.report.words import Shown
from tests.kit.journals import Driver, drive_flex_both_ways


def test_flexible_segments_that_gave_time_back_and_took_some_are_told_net(tmp_path: Path) -> None:
    """The discussion gave back 5:21, the Q&A ran 2:00 over: that is 3:21 shorter, not "all of the overrun absorbed"."""
    report = load(drive_flex_both_ways(tmp_path / "flex.jsonl"))
    assert (report.start_offset_s, report.end_offset_s) == (209, 255)
    lines = Shown(report, report.timezone).summary()
    assert (
        "Fixed segments ran 4:07 over; flexible segments (~) ran 3:21 shorter, net (#8 -5:21, #9 +2:00);"
        " with the start 3:29 late, the show ended 4:15 late."
    ) in lines, lines
    assert not any("absorbed" in line for line in lines)
    # 3:29 + 4:07 - 3:21 = 4:15: the same parts, in seconds, for scripts and spreadsheets.
    session = json.loads(render([report], "json"))["session"]
    parts = {key: session[key] for key in ("start_offset_s", "fixed_delta_s", "flexible_delta_s", "paused_s")}
    assert parts == {"start_offset_s": 209, "fixed_delta_s": 247, "flexible_delta_s": -201, "paused_s": 0}
    assert (session["not_run_s"], session["rest_offset_s"], session["end_offset_s"]) == (0, 0, 255)
    assert "flex_absorbed_s" not in session and "flex_saved_s" not in session
    path = tmp_path / "flex.xlsx"
    path.write_bytes(render_file([report], "xlsx"))
    sheet = openpyxl.load_workbook(path)["Totals"]
    header = [cell.value for cell in sheet[1]]
    totals = dict(zip(header, (cell.value for cell in sheet[2])))
    assert totals["fixed_delta_s"] == dt.timedelta(seconds=247)
    assert totals["flexible_delta_s"] == dt.timedelta(seconds=-201)
    assert totals["end_offset_s"] == dt.timedelta(seconds=255)
    assert "flex_absorbed_s" not in header


BREAK = """
[session]
title = "With a break"
date = "2021-10-08"
timezone = "UTC"

[[segments]]
start = "09:00"
duration = "10m"
title = "Opening"

[[segments]]
start = "09:15"
duration = "10m"
title = "Panel"
flexible = true

[[segments]]
duration = "5m"
title = "Closing"
"""


def test_a_break_and_segments_never_run_are_parts_of_the_end(tmp_path: Path) -> None:
    """Ended after the panel, straight through the break: 0:30 late start, +1:00.5 (+1:01), -2:00, 5:00 never run, the break."""
    clock = FakeClock("2021-10-08T09:00:30Z")
    show = Driver(tmp_path / "break.jsonl", clock, parse_agenda(BREAK, "b.toml"), LIVE)
    show.do("start")
    show.run(660)
    clock.advance(0.5)
    show.do("next")
    show.run(480)
    show.do("end")
    show.controller.close()
    report = load(tmp_path / "break.jsonl")
    # 9:00:30 + 11:00.5 + 8:00 = 9:19:31 against 9:30: 10:29 early (10:29.5, rounded half up: 10:29).
    assert report.end_offset_s == pytest.approx(-629.5)
    (line,) = [x for x in Shown(report, "UTC").summary() if x.startswith("Fixed")]
    assert line == (
        "Fixed segment #1 ran 1:01 over; flexible segment #2 (~) ran 2:00 shorter; with the start 0:30 late,"
        " #3 not run (-5:00) and the agenda's breaks (-5:00), the show ended 10:29 early."
    )
    session = json.loads(render([report], "json"))["session"]
    assert (session["not_run_s"], session["rest_offset_s"]) == (-300, -300)
    parts = ("start_offset_s", "fixed_delta_s", "flexible_delta_s", "paused_s", "not_run_s", "rest_offset_s")
    assert sum(session[key] for key in parts) == pytest.approx(session["end_offset_s"])


def test_rounded_parts_add_up_to_the_rounded_whole() -> None:
    """Each part rounded alone would say 0:01 + 0:01 + 0:00 = 0:01; the one closest to its next second goes up."""
    assert rounded_parts([0.5, 0.7, -0.5], 1) == [1, 1, -1]
    assert rounded_parts([209.0, 67.0, 120.0, 90.0, 30.0, -321.0, 120.0], 315) == [209, 67, 120, 90, 30, -321, 120]
    assert rounded_parts([0.4, 0.4, 0.4], 1) == [1, 0, 0]
