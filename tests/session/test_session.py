"""The controller with the fake clock: mode choice, wall-clock steps, suspends, and resuming after a crash.

Every scenario runs on a real journal in tmp_path and ends by checking that
replaying that journal gives exactly the state the controller holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import LIVE, REHEARSAL, Event
from runofshow.domain.instants import format_instant, parse_instant
from runofshow.journal.codec import JournalError
from runofshow.journal.lock import holder
from runofshow.session.controller import Controller, choose_mode
from tests.kit.show import assert_journal_matches, crash

OpenController = Callable[..., Controller]


def stamp(hhmmss: str) -> str:
    """The journal's spelling of an instant on the session day (UTC)."""
    return format_instant(parse_instant(f"2021-10-08T{hhmmss}+00:00"))


def warnings(events: list[Event] | tuple[Event, ...]) -> list[tuple[str, int, str]]:
    """The warnings among `events` as (level, minute, crossed_at)."""
    return [(e.data["level"], e.data.get("minute", 0), e.data["crossed_at"]) for e in events if e.type == "warning"]


def journal_warnings(controller: Controller) -> list[tuple[int, str, int, str]]:
    """Every warning in the controller's journal file, as (segment, level, minute, crossed_at)."""
    records = [json.loads(line) for line in controller.path.read_text().splitlines()[1:]]
    return [
        (r["data"]["segment"], r["data"]["level"], r["data"].get("minute", 0), r["data"]["crossed_at"])
        for r in records
        if r["type"] == "warning"
    ]


def into_segment_2(open_controller: OpenController, clock: FakeClock, seconds: float) -> Controller:
    """A rehearsal started at 08:55:00, on segment 2 from 08:56:00, `seconds` into it, everything polled."""
    controller = open_controller(REHEARSAL)
    controller.command("start")
    clock.advance(60)
    controller.command("next")
    clock.advance(seconds)
    controller.poll()
    return controller


# -- mode ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "rehearsal", "mode"),
    [
        ("2021-10-08T08:55:00Z", False, LIVE),  # 17:55 in Seoul on the day
        ("2021-10-07T15:30:00Z", False, LIVE),  # 00:30 in Seoul: already the day there
        ("2021-10-07T14:00:00Z", False, REHEARSAL),  # 23:00 the evening before, 19 h ahead
        ("2021-10-08T14:59:00Z", False, LIVE),  # 23:59 in Seoul, still the day
        ("2021-10-08T15:00:00Z", False, REHEARSAL),  # the next day in Seoul
        ("2021-10-08T08:55:00Z", True, REHEARSAL),  # asked for
    ],
)
def test_live_when_the_agenda_is_today_in_its_zone(agenda: Agenda, now: str, rehearsal: bool, mode: str) -> None:
    assert choose_mode(agenda, FakeClock(now).read(), rehearsal) == mode


def test_live_controller_started_at_1802_kst_is_two_minutes_behind(
    open_controller: OpenController, clock: FakeClock
) -> None:
    controller = open_controller(LIVE)
    clock.set_wall("2021-10-08T09:02:00Z")
    ack = controller.command("start")
    assert ack.durable and ack.noticed == ()
    assert controller.view().offset_s == 120
    assert_journal_matches(controller)


# -- the controller's own records ----------------------------------------------


def test_a_command_reports_the_warnings_it_recorded_first(open_controller: OpenController, clock: FakeClock) -> None:
    controller = into_segment_2(open_controller, clock, 0)
    clock.advance(250)
    ack = controller.command("pause")
    assert ack.durable
    assert warnings(ack.noticed) == [("wrap_up", 0, stamp("08:59:00")), ("final", 0, stamp("09:00:00"))]
    assert [e.seq for e in ack.noticed] + [ack.event.seq] == [4, 5, 6]


def test_a_poll_with_nothing_due_writes_nothing(
    open_controller: OpenController, clock: FakeClock, journal: Path
) -> None:
    controller = into_segment_2(open_controller, clock, 10)
    size = journal.stat().st_size
    clock.advance(0.5)
    assert controller.poll() == []
    assert journal.stat().st_size == size


# -- the wall clock and the lid --------------------------------------------------


@pytest.mark.parametrize("step", [-3600.0, 7200.0, -1.5])
def test_a_wall_clock_step_changes_no_remaining_time_and_is_one_clock_jump(
    open_controller: OpenController, clock: FakeClock, step: float
) -> None:
    controller = into_segment_2(open_controller, clock, 100)
    before = controller.view()
    clock.step_wall(step)
    after = controller.view()
    assert (after.remaining_s, after.elapsed_s, after.offset_s) == (
        before.remaining_s,
        before.elapsed_s,
        before.offset_s,
    )
    events = controller.poll()
    assert [(e.type, e.data) for e in events] == [("clock_jump", {"seconds": step})]
    assert controller.poll() == []
    assert controller.engine.clock_jumps == [step]
    clock.advance(10)
    assert controller.view().remaining_s == before.remaining_s - 10
    # The plan's end is a moment in the room, which a step of this machine's clock does not move; nor
    # does it move the projected end, which is that plan plus how far behind the show is, whatever "now" reads.
    assert controller.view().projected_end == before.projected_end
    assert controller.view().projected_end == before.planned_end.add(seconds=round(before.offset_s))
    assert_journal_matches(controller)


def test_a_warning_after_a_step_is_stamped_on_the_new_wall_clock(
    open_controller: OpenController, clock: FakeClock
) -> None:
    controller = into_segment_2(open_controller, clock, 100)  # 08:57:40, wrap-up due in 80 s
    clock.step_wall(-3600)
    controller.poll()
    clock.advance(90)
    assert warnings(controller.poll()) == [("wrap_up", 0, stamp("07:59:00"))]


def test_drift_under_a_second_is_not_a_jump(open_controller: OpenController, clock: FakeClock) -> None:
    controller = into_segment_2(open_controller, clock, 100)
    clock.step_wall(0.5)
    assert controller.poll() == []


def test_a_suspend_counts_as_elapsed_and_is_recorded(open_controller: OpenController, clock: FakeClock) -> None:
    controller = into_segment_2(open_controller, clock, 100)  # 08:57:40
    clock.suspend(240)  # the lid is shut until 09:01:40
    view = controller.view()
    assert view.elapsed_s == 340 and view.remaining_s == -40
    events = controller.poll()
    assert [(e.type, e.data) for e in events[:1]] == [("suspend", {"seconds": 240.0})]
    # Crossed while asleep: each stamped at its own instant, after the suspend record.
    assert warnings(events[1:]) == [
        ("wrap_up", 0, stamp("08:59:00")),
        ("final", 0, stamp("09:00:00")),
        ("time_up", 0, stamp("09:01:00")),
    ]
    assert controller.poll() == []
    assert controller.engine.suspends == [240.0]
    assert_journal_matches(controller)


def test_a_short_nap_is_not_a_suspend(open_controller: OpenController, clock: FakeClock) -> None:
    controller = into_segment_2(open_controller, clock, 100)
    clock.suspend(1.5)
    assert controller.poll() == []


# -- resuming ---------------------------------------------------------------------


def test_after_a_crash_the_segment_is_still_running_and_the_downtime_counts(
    open_controller: OpenController, clock: FakeClock
) -> None:
    controller = into_segment_2(open_controller, clock, 200)  # wrap-up recorded at 08:59:00; now 08:59:20
    crash(controller)
    clock.advance(200)  # back at 09:02:40, same boot
    resumed = open_controller(None)
    view = resumed.view()
    assert (view.current, view.paused, view.elapsed_s, view.remaining_s) == (1, False, 400, -100)
    assert not view.uncertain
    reopen = resumed.engine.seq
    assert resumed.notes == ["Resumed session.jsonl: 3:20 since its last record, and the segment kept its time running"]
    # Crossed while nobody was there: recorded now, each once, at its own instant.
    assert warnings(resumed.poll()) == [
        ("final", 0, stamp("09:00:00")),
        ("time_up", 0, stamp("09:01:00")),
        ("overtime", 1, stamp("09:02:00")),
    ]
    assert [w[1] for w in journal_warnings(resumed)].count("wrap_up") == 1
    records = resumed.path.read_text().splitlines()
    assert f'"seq":{reopen},"type":"reopen"' in records[reopen]
    assert '"data":{"since_last_s":200.0,"uncertain":false}' in records[reopen]
    assert_journal_matches(resumed)


def test_after_a_reboot_the_downtime_is_counted_by_the_wall_clock_and_flagged(
    open_controller: OpenController, clock: FakeClock
) -> None:
    controller = into_segment_2(open_controller, clock, 200)
    crash(controller)
    clock.reboot(200, boot="boot-2")  # monotonic time starts over at 30 s
    resumed = open_controller(None)
    view = resumed.view()
    assert (view.current, view.paused, view.elapsed_s, view.uncertain) == (1, False, 400, True)
    assert "from its wall clock and less certain" in resumed.notes[0]
    assert '"uncertain":true' in resumed.path.read_text().splitlines()[-1]
    assert warnings(resumed.poll())[0] == ("final", 0, stamp("09:00:00"))
    clock.advance(30)  # from here on the new boot's monotonic clock counts again
    assert resumed.view().elapsed_s == 430
    assert_journal_matches(resumed)


def test_a_crash_while_paused_stays_paused_and_the_downtime_is_pause(
    open_controller: OpenController, clock: FakeClock
) -> None:
    controller = into_segment_2(open_controller, clock, 100)
    controller.command("pause")
    crash(controller)
    clock.advance(300)
    resumed = open_controller(None)
    view = resumed.view()
    assert (view.paused, view.phase, view.remaining_s) == (True, "paused", 200)
    assert view.segments[1].paused_s == 300
    assert resumed.poll() == []
    assert_journal_matches(resumed)


def test_quit_and_reopen_records_detach_and_reopen(open_controller: OpenController, clock: FakeClock) -> None:
    controller = into_segment_2(open_controller, clock, 30)
    controller.close()
    assert holder(controller.path) is None
    clock.advance(20)
    resumed = open_controller(None)
    lines = resumed.path.read_text().splitlines()
    assert ['"type":"detach"' in lines[-2], '"type":"reopen"' in lines[-1]] == [True, True]
    assert resumed.view().elapsed_s == 50
    assert resumed.engine.reopens == 1
    assert_journal_matches(resumed)


def test_closing_an_ended_session_adds_nothing(
    open_controller: OpenController, clock: FakeClock, journal: Path
) -> None:
    controller = into_segment_2(open_controller, clock, 30)
    controller.command("end")
    size = journal.stat().st_size
    controller.close()
    assert journal.stat().st_size == size


def test_reopening_with_a_changed_agenda_keeps_the_saved_one(
    open_controller: OpenController, clock: FakeClock, agenda: Agenda, journal: Path
) -> None:
    into_segment_2(open_controller, clock, 30).close()
    changed = parse_agenda(agenda.source.replace("Internet connection check", "Sound check"), agenda.path)
    resumed = Controller.open(journal, clock, agenda=changed, mode=REHEARSAL)
    try:
        assert any("has changed since this session began" in note for note in resumed.notes)
        assert resumed.view().segments[0].segment.title == "Internet connection check"
    finally:
        resumed.close()


def test_opening_what_is_not_a_journal_changes_nothing(clock: FakeClock, agenda: Agenda, journal: Path) -> None:
    journal.write_text("shopping list\n")
    with pytest.raises(JournalError, match="not a runofshow journal"):
        Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    assert journal.read_text() == "shopping list\n"
    assert holder(journal) is None  # the lock was let go


def test_resuming_a_journal_that_is_not_there_without_an_agenda_is_refused(clock: FakeClock, journal: Path) -> None:
    with pytest.raises(JournalError, match="no such journal"):
        Controller.open(journal, clock)
    assert not journal.exists()
