"""Which journal `run AGENDA` opens: one rule for live sessions and rehearsals, across midnight too.

An unfinished journal is resumed while its session is plausibly going on (up
to 12 h after its planned end); a rehearsal past its planned end is asked
about; otherwise a fresh session starts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import LIVE, REHEARSAL
from runofshow.session.choice import GOING_ON_AFTER_END_S, Choice, choose_journal, choose_mode, find_journal
from runofshow.session.controller import Controller

MIDNIGHT = """
[session]
title = "Midnight show"
date = "2021-12-31"
timezone = "UTC"

[[segments]]
start = "23:30"
duration = "45m"
title = "Countdown talk"

[[segments]]
duration = "30m"
title = "New year"
"""


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "runofshow"


@pytest.fixture
def midnight() -> Agenda:
    return parse_agenda(MIDNIGHT, "midnight.toml")


def run_once(agenda: Agenda, clock: FakeClock, *, rehearsal: bool = False, commands: tuple[str, ...] = ()) -> Choice:
    """What `run` does: choose, open, carry out `commands`, quit (without ending)."""
    choice = choose_journal(agenda, clock.read(), rehearsal=rehearsal)
    controller = Controller.open(choice.path, clock, agenda=agenda, mode=choice.mode)
    try:
        for name in commands:
            controller.command(name)
    finally:
        controller.close()
    return choice


def test_a_session_that_crossed_midnight_resumes_after_its_planned_end(state: Path, midnight: Agenda) -> None:
    clock = FakeClock("2021-12-31T23:30:00Z")
    first = run_once(midnight, clock, commands=("start",))
    assert first.mode == LIVE
    clock.set_wall("2022-01-01T00:46:00Z")  # past the planned end (00:45), on the next day
    assert choose_mode(midnight, clock.read(), False) == REHEARSAL  # a fresh session now would be a rehearsal
    again = choose_journal(midnight, clock.read(), rehearsal=False)
    assert again == Choice(first.path, LIVE)  # but the live one still going on is resumed, with no question


def test_a_live_session_is_resumed_up_to_12_hours_after_its_planned_end_and_not_after(
    state: Path, midnight: Agenda
) -> None:
    clock = FakeClock("2021-12-31T23:30:00Z")
    first = run_once(midnight, clock, commands=("start",))
    clock.set_wall("2022-01-01T00:45:00Z")
    clock.advance(GOING_ON_AFTER_END_S)
    assert choose_journal(midnight, clock.read(), rehearsal=False).path == first.path
    clock.advance(1)
    later = choose_journal(midnight, clock.read(), rehearsal=False)
    assert later.path != first.path and later.mode == REHEARSAL and later.question is None


def test_a_rehearsal_past_its_plan_is_asked_about(state: Path, midnight: Agenda) -> None:
    clock = FakeClock("2022-01-05T10:00:00Z")
    first = run_once(midnight, clock, rehearsal=True, commands=("start",))
    clock.advance(60 * 60)  # still within its 75 minutes
    assert choose_journal(midnight, clock.read(), rehearsal=True) == Choice(first.path, REHEARSAL)
    clock.advance(4 * 60 * 60)  # the afternoon: it would come back over by hours
    asked = choose_journal(midnight, clock.read(), rehearsal=True)
    assert asked.path == first.path and asked.question is not None and "resume it?" in asked.question
    assert asked.fresh is not None and asked.fresh != first.path and not asked.fresh.exists()
    assert asked.fresh.name in asked.question


def test_a_rehearsal_that_crossed_midnight_is_resumed(state: Path, midnight: Agenda) -> None:
    clock = FakeClock("2022-01-05T23:50:00Z")
    first = run_once(midnight, clock, commands=("start",))  # not the day: a rehearsal
    assert first.mode == REHEARSAL
    clock.set_wall("2022-01-06T00:20:00Z")
    assert choose_journal(midnight, clock.read(), rehearsal=False) == Choice(first.path, REHEARSAL)


def test_on_the_live_day_a_rehearsal_of_the_morning_is_not_taken_for_the_show(state: Path, agenda: Agenda) -> None:
    clock = FakeClock("2021-10-07T23:00:00Z")  # 08:00 in Seoul on the day
    rehearsed = run_once(agenda, clock, rehearsal=True, commands=("start",))
    clock.set_wall("2021-10-08T08:55:00Z")
    show = choose_journal(agenda, clock.read(), rehearsal=False)
    assert show.mode == LIVE and show.path != rehearsed.path and not show.path.exists()


def test_new_always_starts_afresh(state: Path, midnight: Agenda) -> None:
    clock = FakeClock("2021-12-31T23:30:00Z")
    first = run_once(midnight, clock, commands=("start",))
    fresh = choose_journal(midnight, clock.read(), rehearsal=False, new=True)
    assert fresh.path != first.path and fresh.path == find_journal(midnight, LIVE, clock.read(), new=True)[0]


def test_an_ended_session_is_followed_by_a_new_one_and_said(state: Path, midnight: Agenda) -> None:
    clock = FakeClock("2021-12-31T23:30:00Z")
    first = run_once(midnight, clock, commands=("start", "end"))
    again = choose_journal(midnight, clock.read(), rehearsal=False)
    assert again.path != first.path and again.note is not None and "has ended" in again.note
