"""The controller never writes a record that no reader would take: its clock is held to the journal's bounds too."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.bounds import MAX_SESSION_S
from runofshow.domain.commands import CommandError
from runofshow.domain.events import REHEARSAL, Event, ReplayError
from runofshow.domain.fold import State
from runofshow.domain.instants import Reading, parse_instant
from runofshow.journal.codec import JournalError
from runofshow.session.controller import Controller
from runofshow.session.replay import replay

OpenController = Callable[..., Controller]
DAY_S = 86_400


def test_a_session_is_not_resumed_once_its_days_are_over_and_nothing_is_written(
    open_controller: OpenController, journal: Path, clock: FakeClock
) -> None:
    controller = open_controller()
    controller.command("start")
    controller.close()
    before = journal.read_bytes()
    clock.advance(MAX_SESSION_S + 60)
    with pytest.raises(JournalError) as refused:
        Controller.open(journal, clock)
    message = str(refused.value)
    assert message.startswith(f"{journal}: not resumed, and not changed: the clock now cannot be recorded in it (")
    assert "more than 7 days after the session began (2021-10-08T08:55:00.000000Z)" in message
    assert "\n" not in message
    assert journal.read_bytes() == before


def test_a_session_resumed_within_its_days_goes_on(open_controller: OpenController, clock: FakeClock) -> None:
    controller = open_controller()
    controller.command("start")
    controller.close()
    clock.advance(MAX_SESSION_S - 60)
    again = open_controller(None)
    assert again.engine.last_type == "reopen"
    again.close()


@pytest.mark.parametrize("wall", ["1970-01-01T00:00:05Z", "2100-01-01T00:00:00Z"])
def test_no_journal_is_started_on_a_clock_outside_the_years_it_may_hold(
    journal: Path, agenda: Agenda, wall: str
) -> None:
    with pytest.raises(JournalError, match=r"not created: the clock's time .* is not between the years 2000 and 2099"):
        Controller.open(journal, FakeClock(wall), agenda=agenda, mode=REHEARSAL)
    assert not journal.exists()


def test_a_command_the_clock_puts_past_the_session_is_refused_and_not_written(
    open_controller: OpenController, journal: Path, clock: FakeClock
) -> None:
    controller = open_controller()
    controller.command("start")
    clock.suspend(MAX_SESSION_S + 60)  # a laptop closed for a week, mid-session
    with pytest.raises(CommandError, match="cannot take the clock's reading now: wall .* more than 7 days after"):
        controller.command("pause")
    assert controller.engine.last_type == "start"
    controller.close()  # and quitting still works: the detach it cannot record is left out
    assert [event.type for event in _events(journal)] == ["start"]


def test_a_wall_clock_stepped_back_within_a_day_is_recorded(open_controller: OpenController, clock: FakeClock) -> None:
    controller = open_controller()
    controller.command("start")
    clock.step_wall(-DAY_S + 60)
    controller.poll()  # a clock_jump, stamped before the header: a day of slack allows it
    assert controller.engine.last_type == "clock_jump"
    controller.close()
    assert replay(controller.path).engine.seq == controller.engine.seq


def _events(journal: Path) -> list[Event]:
    return [Event.from_json(json.loads(line)) for line in journal.read_bytes().splitlines()[1:]]


def test_mono_may_go_back_across_boots_but_not_on_one(agenda: Agenda) -> None:
    origin = Reading(mono=5000.0, awake=5000.0, wall_us=parse_instant("2021-10-08T08:55:00Z"), boot="boot-1")

    def start(mono: float, boot: str | None) -> Event:
        return Event.from_data(1, "start", origin.wall_us + 60_000_000, mono, boot, {"anchor": "2021-10-08T08:56:00Z"})

    State(agenda, REHEARSAL, origin).apply(start(30.0, "boot-2"))  # a restart: its clock starts over
    State(agenda, REHEARSAL, origin).apply(start(4999.9995, "boot-1"))  # rounding
    State(agenda, REHEARSAL, Reading(5000.0, 5000.0, origin.wall_us, None)).apply(start(30.0, None))  # no boot id
    with pytest.raises(ReplayError, match=r"mono 4000.000000 is 1000.000000 s before the record before it"):
        State(agenda, REHEARSAL, origin).apply(start(4000.0, "boot-1"))
