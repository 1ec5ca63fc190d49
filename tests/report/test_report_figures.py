"""Figures that read right: one rounding rule, over/under against what was granted, runs in parts, a quiet header."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import LIVE
from runofshow.report import render
from runofshow.report.model import load
from tests.kit.journals import Driver

SHORT = """
[session]
title = "Fractions"
date = "2021-10-08"
timezone = "UTC"

[[segments]]
start = "09:00"
duration = "5m"
title = "Half a second over"

[[segments]]
duration = "5m"
title = "Seven tenths over"

[[segments]]
duration = "5m"
title = "Half a second under"
"""


@pytest.fixture
def fractions(tmp_path: Path) -> Path:
    clock = FakeClock("2021-10-08T09:00:00Z")
    show = Driver(tmp_path / "fractions.jsonl", clock, parse_agenda(SHORT, "f.toml"), LIVE)
    show.do("start")
    for seconds in (300.5, 300.7, 299.5):
        show.run(int(seconds))
        clock.advance(seconds - int(seconds))
        show.do("next") if seconds != 299.5 else show.do("end")
    show.controller.close()
    return tmp_path / "fractions.jsonl"


def _row(text: str, title: str) -> list[str]:
    """Took and ± of the segment called `title`: the two cells before its warnings."""
    line = next(line for line in text.splitlines() if title in line)
    cells = line.split(title)[1].split()
    at = next(i for i, cell in enumerate(cells) if re.fullmatch(r"[+-]?\d+:\d\d", cell) and i >= 4)
    return cells[at - 1 : at + 1]


def test_took_and_over_under_follow_one_rounding_rule(fractions: Path) -> None:
    text = render([load(fractions)], "table")
    # Whole seconds, half up, for the duration and for its difference alike.
    assert _row(text, "Half a second over")[-2:] == ["5:01", "+0:01"]
    assert _row(text, "Seven tenths over")[-2:] == ["5:01", "+0:01"]
    assert _row(text, "Half a second under")[-2:] == ["5:00", "0:00"]
    # Instants too: the second segment started at 09:05:00.5, which reads 09:05:01.
    assert "09:05:01–09:10:01" in text
    data = json.loads(render([load(fractions)], "json"))
    assert [s["delta_s"] for s in data["segments"]] == [0.5, 0.7, -0.5]  # the data keeps the fraction


def test_largest_overruns_names_what_rounds_to_a_second(fractions: Path) -> None:
    text = render([load(fractions)], "table")
    assert "Largest overruns: 2 Seven tenths over +0:01; 1 Half a second over +0:01." in text


def test_over_under_against_the_plan_and_against_what_was_granted(in_journals: Path) -> None:
    data = json.loads(render([load("live.jsonl")], "json"))
    four = data["segments"][3]
    assert (four["delta_s"], four["extended_s"], four["granted_delta_s"]) == (180, 60, 120)
    assert data["segments"][0]["granted_delta_s"] == data["segments"][0]["delta_s"] == 30
    page = render([load("live.jsonl")], "html")
    assert "<th>Over/<wbr>under granted</th>" in page  # it may break after the "/"
    assert '<td class="n over">+3:00</td><td class="n over">+2:00</td>' in page


def test_a_segment_run_in_parts_shows_its_parts(in_journals: Path) -> None:
    data = json.loads(render([load("live.jsonl")], "json"))
    assert data["segments"][3]["parts"] == [
        ["2021-10-08T18:11:30+09:00", "2021-10-08T18:17:30+09:00"],
        ["2021-10-08T18:19:30+09:00", "2021-10-08T18:26:30+09:00"],
    ]
    markdown = render([load("live.jsonl")], "markdown")
    assert "| 18:11:30–18:17:30, 18:19:30–18:26:30 | 13:00 |" in markdown
    crashed = json.loads(render([load("crashed.jsonl")], "json"))
    assert crashed["segments"][3]["parts"] == [["2021-10-08T18:11:20+09:00", None]]


def test_the_html_chart_draws_the_pause(in_journals: Path) -> None:
    page = render([load("live.jsonl")], "html")
    assert len(re.findall(r'<rect [^>]*fill="#e2e2e2"/>', page)) == 2  # segment 4's pause and the legend


def test_html_and_svg_name_the_journal_and_its_owner_only_in_a_footer(in_journals: Path) -> None:
    page = render([load("live.jsonl")], "html")
    meta = re.search(r'<p class="meta">(.*?)</p>', page)
    assert meta is not None and meta.group(1) == "Fri 8 Oct 2021 · times in KST (Asia/Seoul)"
    assert "<footer>runofshow report of journal live.jsonl, 40 records · dara@laptop</footer>" in page
    assert page.count("dara@laptop") == 1
    picture = render([load("live.jsonl")], "svg").replace("&#160;", " ")
    assert picture.count("dara@laptop") == 1
    assert picture.index("dara@laptop") > picture.index("planned")  # after the chart's legend
    assert json.loads(render([load("live.jsonl")], "json"))["session"]["owner"] == "dara@laptop"


THREE = """
[session]
title = "Back to a talk"
date = "2021-10-08"
timezone = "UTC"

[[segments]]
start = "09:00"
duration = "5m"
title = "Opening"

[[segments]]
duration = "10m"
title = "The talk we came back to"

[[segments]]
duration = "10m"
title = "The next talk"
"""


def _drive_skip(path: Path, *, undo: bool) -> Path:
    show = Driver(path, FakeClock("2021-10-08T09:00:00Z"), parse_agenda(THREE, "three.toml"), LIVE)
    show.do("start")
    show.run(300)
    show.do("next")
    show.run(30)
    show.do("skip")  # the speaker is not there yet
    if undo:
        show.do("previous")  # a slip of the finger, taken back at once
        show.run(570)
        show.do("next")
    show.run(600)
    if not undo:
        show.do("goto", to=2)  # the speaker has arrived
        show.run(570)
    show.do("end")
    show.controller.close()
    return path


def test_a_segment_skipped_and_run_later_keeps_a_trace_of_the_skip(tmp_path: Path) -> None:
    path = _drive_skip(tmp_path / "back.jsonl", undo=False)
    data = json.loads(render([load(path)], "json"))
    two = data["segments"][1]
    assert (two["status"], two["skipped"], two["skips"], two["actual_duration_s"]) == ("done", False, 1, 600)
    assert len(two["parts"]) == 2
    text = render([load(path)], "table")
    assert "skipped, then run" in text
    assert "Skipped, then run: #2." in text
    assert "skipped, then run" in render([load(path)], "markdown")


def test_a_skip_taken_back_leaves_no_trace(tmp_path: Path) -> None:
    path = _drive_skip(tmp_path / "undone.jsonl", undo=True)
    data = json.loads(render([load(path)], "json"))
    assert [s["skips"] for s in data["segments"]] == [0, 0, 0]
    assert "skipped" not in render([load(path)], "table").lower()


def test_a_segment_paused_many_times_lists_its_first_and_last_parts(tmp_path: Path) -> None:
    show = Driver(tmp_path / "many.jsonl", FakeClock("2021-10-08T09:00:00Z"), parse_agenda(SHORT, "f.toml"), LIVE)
    show.do("start")
    for _ in range(5):
        show.run(30)
        show.do("pause")
        show.run(10)
        show.do("resume")
    show.run(30)
    show.do("end")
    show.controller.close()
    report = load(tmp_path / "many.jsonl")
    assert "| 09:00:00–09:00:30, … 4 more …, 09:03:20–09:03:50 |" in render([report], "markdown")
    assert len(json.loads(render([report], "json"))["segments"][0]["parts"]) == 6  # the data keeps them all
