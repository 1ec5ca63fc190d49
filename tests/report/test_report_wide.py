"""The report measures text in terminal cells: wide titles do not shift bars, wrap lines or lose characters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from runofshow.clock import FakeClock
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import LIVE
from runofshow.report import FILE_WIDTH, render
from runofshow.report.formats.table import plain, session_table
from runofshow.report.model import load
from runofshow.report.words import Shown
from tests.kit.journals import Driver
from tests.kit.wide import WIDE_AGENDA, WIDE_TEXTS, missing, too_wide


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wide")
    show = Driver(folder / "wide.jsonl", FakeClock("2021-10-08T09:00:00Z"), parse_agenda(WIDE_AGENDA, "w.toml"), LIVE)
    show.do("start")
    show.run(600)
    show.do("next")
    show.run(660)
    show.do("next")
    show.run(500)
    show.do("next")
    show.run(330)  # over its plan: its bar reaches the right end of the chart
    show.do("end")
    show.controller.close()
    return folder / "wide.jsonl"


@pytest.mark.parametrize("width", [80, 100, 120])
def test_the_table_keeps_every_character_of_wide_titles(wide: Path, width: int) -> None:
    text = render([load(wide)], "table", width=width)
    table = text.split("Timeline")[0]
    assert "…" not in table
    assert missing(table, WIDE_TEXTS) == {}
    assert too_wide(text, width) == []


@pytest.mark.parametrize("width", [80, 100, 120])
def test_wide_titles_do_not_shift_the_bars(wide: Path, width: int) -> None:
    text = render([load(wide)], "table", width=width)
    chart = text[text.index("Timeline") :].splitlines()
    ruler = chart[1]
    bars = [line for line in chart if re.search(r" (plan|actual) ", line)]
    assert len(bars) == 8
    # The axis starts in the same terminal cell on every line, whatever the title before it.
    start = cell_len(ruler) - cell_len(ruler.lstrip())
    for line in bars:
        tag = re.search(r" (plan|actual) ", line)
        assert tag is not None
        assert cell_len(line[: tag.end()]) == start, line


@pytest.mark.parametrize("width", [80, 100, 120])
def test_no_bar_wraps_onto_the_next_line(wide: Path, width: int) -> None:
    text = render([load(wide)], "table", width=width)
    chart = text[text.index("Timeline") :].rstrip("\n").splitlines()
    assert len(chart) == 2 + 2 * 4 + 1  # axis, ruler, a plan and an actual bar per segment, legend


def test_the_svg_picture_draws_the_table_line_for_line(wide: Path) -> None:
    picture = render([load(wide)], "svg")
    rows = set(re.findall(r'<text class="[^"]*" x="[\d.]+" y="([\d.]+)"', picture))
    drawn = plain(session_table(Shown(load(wide), "Asia/Seoul"), footer=True), FILE_WIDTH)
    assert len(rows) == len(drawn.rstrip("\n").splitlines())


def test_the_html_chart_labels_fit_their_column(wide: Path) -> None:
    page = render([load(wide)], "html")
    labels = re.findall(r'class="label">([^<]*)</text>', page)
    assert len(labels) == 4
    assert all(cell_len(label) <= 44 for label in labels), labels
    assert labels[1] == "2 🎉🎉🎉 社会的経済の国際協力 🎤🎤"


@pytest.mark.parametrize("width", range(60, 161, 5))
@pytest.mark.parametrize("name", ["live.jsonl", "crashed.jsonl"])
def test_axis_labels_never_run_together(in_journals: Path, name: str, width: int) -> None:
    text = render([load(name)], "table", width=width)
    chart = text[text.index("Timeline") :].splitlines()
    labels = chart[0][chart[1].index("┼") :]
    assert re.findall(r"\d\d:\d\d {0,2}\d\d:\d\d", labels) == [], labels
