"""Whatever the sheet holds, import ends in an agenda that loads or in one line with exit 2, never a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runofshow.agenda_file import load_agenda

from .conftest import Cli, csv_text, workbook

WORDS = [
    "Start",
    "End",
    "Time",
    "Title",
    "Content",
    "Duration",
    "Speaker",
    "Flexible",
    "TZ",
    "Wrap up",
    "Session title",
]
VALUES = [
    "18:00",
    "18:10",
    "9:05 pm",
    "18:00-18:30",
    "18:00–",
    "25:00",
    "10",
    "10m",
    "0:15",
    "yes",
    "maybe",
    "Asia/Seoul",
    "=A1",
    "'",
    "",
]
cell = st.one_of(st.sampled_from(WORDS), st.sampled_from(VALUES), st.text(max_size=6))
typed = st.one_of(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(VALUES),
        st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=6),
    ),
    st.none(),
    st.times().map(lambda t: t.replace(microsecond=0)),
    st.integers(-5, 500),
    st.floats(-1, 2, allow_nan=False),
    st.booleans(),
    st.timedeltas(dt.timedelta(0), dt.timedelta(hours=30)).map(lambda d: dt.timedelta(seconds=int(d.total_seconds()))),
)
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
OPTIONS = ("--timezone", "Asia/Seoul", "--date", "2021-10-08", "--force")


def _one_line_or_loads(cli: Cli, source: Path) -> None:
    result = cli("import", source, *OPTIONS)
    if result.status == 0:
        load_agenda(source.with_suffix(".toml"))
    else:
        assert result.status == 2
        assert result.err.count("\n") == 1 and result.err.startswith("runofshow: "), result.err


@pytest.mark.slow
@FUZZ
@given(rows=st.lists(st.lists(cell, max_size=5), max_size=8))
def test_csv_fuzz(cli: Cli, tmp_path: Path, rows: list[list[str]]) -> None:
    source = tmp_path / "fuzz.csv"
    source.write_text(csv_text([["Start", "End", "Title"], *rows] if rows[:1] == [[]] else rows))
    _one_line_or_loads(cli, source)


@pytest.mark.slow
@FUZZ
@given(rows=st.lists(st.lists(typed, max_size=5), min_size=1, max_size=6))
def test_xlsx_fuzz(cli: Cli, tmp_path: Path, rows: list[list[object]]) -> None:
    source = tmp_path / "fuzz.xlsx"
    workbook([["Start", "End", "Title", "Duration", "Flexible"], *rows]).save(source)
    _one_line_or_loads(cli, source)
