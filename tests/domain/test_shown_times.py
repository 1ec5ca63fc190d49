"""What the live screen and the pages word: clock times to the nearest minute by the one rounding rule,
rows whose "Took" and "+/−" agree, and the shrink advice even when nothing is left to shrink
(docs/figures.md). Seed agenda, in UTC: it runs 09:00–10:30; 8 and 9 are flexible, 10 is the closing.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.commands import CommandError
from runofshow.domain.events import LIVE
from runofshow.domain.instants import parse_instant, to_us
from runofshow.words.display import ended_text, flex_advice, flex_text, row_figures, start_cell
from runofshow.words.timefmt import describe_offset, minute_clock, nearest_minute_us, whole_seconds
from tests.conftest import BEFORE_THE_SHOW
from tests.kit.show import Show


def us(hhmmss: str) -> int:
    return parse_instant(f"2021-10-08T{hhmmss}Z")


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        ("10:31:59", "10:32"),  # a projected end 1:59 behind a 10:30 plan: 2 minutes
        ("09:01:59.500000", "09:02"),  # a start 2:00 late to the second
        ("09:46:59", "09:47"),
        ("09:46:29.500000", "09:47"),  # 09:46:30 in whole seconds: half up
        ("09:46:29.499999", "09:46"),
        ("09:46:00", "09:46"),  # a clock reading cut to its minute stays as it is
    ],
)
def test_clock_times_round_to_the_nearest_minute_from_the_rounded_seconds(instant: str, shown: str) -> None:
    assert minute_clock(us(instant), "UTC") == shown


def test_an_expected_and_an_actual_start_round_alike() -> None:
    assert start_cell(us("09:01:59.500000"), None, "UTC") == "09:02"
    assert start_cell(None, us("09:46:59"), "UTC") == "~09:47"
    assert nearest_minute_us(us("09:46:59")) == us("09:47:00")


def test_a_row_that_took_a_fraction_over_says_so_beside_its_length(live: Show) -> None:
    live.clock.set_wall("2021-10-08T09:00:00Z")
    live.command("start")
    live.clock.advance(60.522)  # the connection check, planned 1:00
    live.command("next")
    row = live.view().segments[0]
    assert row_figures(row) == ("1:01", "+0:01", "over")
    live.clock.advance(299.5)  # 0.5 s under: on time, as "on time" is for the show
    live.command("next")
    assert row_figures(live.view().segments[1]) == ("5:00", "0:00", "")


OFFSET = re.compile(r"(?:(\d+):)?(\d+):(\d\d) (behind|ahead)")
ACTIONS = st.sampled_from(["next", "skip", "pause", "resume", "extend", "previous", "wait"])


def minutes(shown: str) -> int:
    hours, mins = shown.split(":")
    return int(hours) * 60 + int(mins)


@given(
    start_late=st.floats(0, 400, allow_nan=False),
    steps=st.lists(st.tuples(ACTIONS, st.floats(0, 900, allow_nan=False)), max_size=12),
)
def test_the_offset_and_the_projected_end_agree_to_the_minute(
    agenda: Agenda, start_late: float, steps: list[tuple[str, float]]
) -> None:
    """Whatever happens, "m:ss behind" and "ends HH:MM (plan HH:MM)" say the same, rounded the same way."""
    clock = FakeClock(BEFORE_THE_SHOW)
    show = Show(agenda, LIVE, clock)
    clock.set_wall("2021-10-08T09:00:00Z")
    clock.advance(start_late)
    show.command("start")
    for action, seconds in steps:
        clock.advance(seconds)
        if action != "wait":
            try:
                show.command(action, **({"seconds": 60} if action == "extend" else {}))
            except CommandError:
                pass
        view = show.view()
        worded = describe_offset(view.offset_s)
        match = OFFSET.fullmatch(worded)
        late = 0
        if match is not None:
            hours, mins, secs, way = match.groups()
            late = (int(hours or 0) * 3600 + int(mins) * 60 + int(secs)) * (1 if way == "behind" else -1)
        assert late == whole_seconds(view.offset_s)
        shown_end = minutes(minute_clock(to_us(view.projected_end), "UTC"))
        plan_end = minutes(minute_clock(to_us(view.planned_end), "UTC"))
        assert shown_end - plan_end == (late + 30) // 60  # the offset, to the minute, half up


def test_with_nothing_flexible_left_the_advice_still_says_what_is_lost(live: Show) -> None:
    live.clock.set_wall("2021-10-08T09:00:00Z")
    live.command("start")
    live.clock.set_wall("2021-10-08T10:25:00Z")
    live.command("goto", to=10)  # the closing, planned 10:25–10:30
    live.clock.set_wall("2021-10-08T10:34:14Z")
    view = live.view()
    assert describe_offset(view.offset_s) == "4:14 behind" and view.flex == ()
    assert flex_advice(view) == ("Nothing flexible is left: ", "", "4m14s can't be recovered")
    assert flex_text(view) == "Nothing flexible is left: 4m14s can't be recovered"


def test_on_time_there_is_no_advice(live: Show) -> None:
    live.clock.set_wall("2021-10-08T09:00:00Z")
    live.command("start")
    assert flex_advice(live.view()) == ("", "", "")


def test_after_the_end_the_line_says_when_and_how_late_once(live: Show) -> None:
    live.clock.set_wall("2021-10-08T09:00:00Z")
    live.command("start")
    live.clock.set_wall("2021-10-08T10:34:14.600000Z")
    live.command("end")
    view = live.view()
    assert ended_text(view, "UTC") == "ended 10:34, 4:15 late (plan 10:30)"
    early = replace(view, offset_s=-30.0, projected_end=view.planned_end.subtract(seconds=30))
    assert ended_text(early, "UTC") == "ended 10:30, 0:30 early (plan 10:30)"
    on_time = replace(view, offset_s=0.2, projected_end=view.planned_end)
    assert ended_text(on_time, "UTC") == "ended 10:30, on time (plan 10:30)"
