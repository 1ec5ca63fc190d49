"""The fold at its edges: the time axis, pause accounting, skips, what an undo puts back, and refusals on replay.

Each test here pins a figure that the replay-equals-live tests cannot: both
sides of those run the same fold, so a fold that counts wrong counts wrong
on both. Times are on the seed (see test_engine.py); a rehearsal started at
08:55:00 UTC and moved to segment 2 at 08:56:00, on time.
"""

from __future__ import annotations

from typing import Any

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import REHEARSAL, Event, ReplayError
from runofshow.domain.fold import State
from runofshow.domain.instants import format_instant, parse_instant
from tests.kit.show import Show


def us(hhmmss: str) -> int:
    """An instant on the day of the seed session, in UTC, as epoch microseconds."""
    return parse_instant(f"2021-10-08T{hhmmss}+00:00")


def in_segment_2(show: Show) -> Show:
    """A rehearsal started at 08:55:00 and moved on to segment 2 at 08:56:00."""
    show.command("start")
    show.clock.advance(60)
    show.command("next")
    return show


def t_now(show: Show) -> float:
    """The clock's reading now, on the state's `t` axis."""
    return show.engine.t_of(show.clock.read())[0]


# -- the time axis ----------------------------------------------------------------


def test_a_fresh_state_says_nothing_has_happened(agenda: Agenda, clock: FakeClock) -> None:
    """What a report or `status` of a journal with only its header reads."""
    state = State(agenda, REHEARSAL, clock.read())
    assert (state.seq, state.start_t, state.end_t, state.end_us) == (0, 0.0, None, None)
    assert (state.last_event_us, state.last_type, state.message) == (None, None, None)
    assert state.uncertain is False
    assert state.spans(0) == ((), ())


def test_time_counts_from_the_creation_of_the_journal(rehearsal: Show) -> None:
    rehearsal.clock.advance(90)
    rehearsal.command("start")
    assert rehearsal.engine.start_t == rehearsal.engine.ref_t == 90
    assert rehearsal.engine.wall_at(90) == us("08:56:30")


def test_a_reboot_before_the_start_counts_the_gap_by_the_wall_clock(rehearsal: Show) -> None:
    rehearsal.clock.reboot(120)  # the journal was made on boot-1; `start` comes from boot-2
    rehearsal.command("start")
    assert (rehearsal.engine.start_t, rehearsal.engine.uncertain) == (120, True)


def test_a_wall_clock_set_back_over_a_reboot_counts_no_time(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(40)
    show.clock.reboot(-50)  # back up with a wall clock that reads 08:55:50, behind the last record
    show.command("pause")
    assert show.view().segments[1].actual_s == 0  # nothing ran since 08:56:00 as far as the records show
    assert show.engine.uncertain


def test_without_a_boot_id_the_monotonic_clock_counts_and_a_restart_falls_back_to_the_wall(
    agenda: Agenda, clock: FakeClock
) -> None:
    """Where the kernel gives no boot id, monotonic readings are compared while they do not go back."""
    clock.boot = None
    show = Show(agenda, REHEARSAL, clock)
    show.command("start")
    show.command("pause")  # the same reading: the same instant, and nothing uncertain
    assert (show.engine.ref_t, show.engine.uncertain) == (0, False)
    show.command("resume")
    clock.advance(60)
    clock.step_wall(3600)  # a wall-clock step: the monotonic clock still counts
    show.command("next")
    assert (show.view().segments[0].actual_s, show.engine.uncertain) == (60, False)
    clock.mono, clock.awake = 5.0, 5.0  # a restart: the monotonic clock starts over
    clock.wall_us += 90_000_000
    show.command("pause")
    assert (show.engine.ref_t, show.engine.uncertain) == (150, True)


# -- pauses -----------------------------------------------------------------------


def test_every_pause_adds_to_the_paused_time_and_to_the_count(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    for run, pause in ((20, 30), (10, 15)):
        show.clock.advance(run)
        show.command("pause")
        show.clock.advance(pause)
        show.command("resume")
    row = show.view().segments[1]
    assert (row.actual_s, row.paused_s, row.pauses) == (30, 45, 2)


def test_a_pause_just_begun_has_lasted_nothing(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(20)
    show.command("pause")
    assert show.view().segments[1].paused_s == 0
    show.command("resume")
    row = show.view().segments[1]
    assert (row.paused_s, row.pauses) == (0, 1)


# -- skips ------------------------------------------------------------------------


def test_skips_are_counted_and_an_undone_skip_is_not(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.command("skip")
    assert (show.engine.segments[1].skips, show.view().segments[1].status) == (1, "skipped")
    assert show.command("previous").data == {"from": 3, "to": 2, "undo": True}
    assert (show.engine.segments[1].skips, show.view().segments[1].skipped) == (0, False)
    show.command("skip")
    show.command("goto", to=2)
    row = show.view().segments[1]
    assert (row.status, row.skipped) == ("current", False)  # entered again: no longer cut
    show.command("skip")
    assert (show.engine.segments[1].skips, show.view().segments[1].skipped) == (2, True)
    show.command("previous")  # undoes the second skip only
    assert (show.engine.segments[1].skips, show.view().segments[1].skipped) == (1, False)


# -- what previous undoes ---------------------------------------------------------


def test_previous_undoes_a_goto_to_the_segment_after(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(30)
    show.command("goto", to=3)
    show.clock.advance(10)
    assert show.command("previous").data == {"from": 3, "to": 2, "undo": True}
    view = show.view()
    assert (view.current, view.elapsed_s, view.segments[2].status) == (1, 40, "pending")


def test_previous_from_segment_2_goes_to_1_when_there_is_nothing_to_undo(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.command("goto", to=5)
    show.command("goto", to=2)
    assert show.command("previous").data == {"from": 2, "to": 1, "undo": False}
    assert show.view().current == 0


def test_undoing_a_move_into_a_segment_that_had_run_puts_back_its_earlier_run(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(40)
    show.command("goto", to=3)  # 08:56:40: segment 3 runs 20 s, is paused 10 s, runs 10 s more
    show.clock.advance(20)
    show.command("pause")
    show.clock.advance(10)
    show.command("resume")
    show.clock.advance(10)
    show.command("goto", to=2)  # 08:57:20
    show.clock.advance(30)
    show.command("next")  # 08:57:50, back into segment 3, by mistake
    show.clock.advance(25)
    assert show.command("previous").data["undo"] is True
    view = show.view()
    second, third = view.segments[1], view.segments[2]
    assert (second.status, second.actual_s, second.paused_s) == ("current", 95, 0)
    assert (third.status, third.actual_s, third.paused_s) == ("done", 30, 10)
    assert (third.actual_start_us, third.actual_end_us) == (us("08:56:40"), us("08:57:20"))


def test_the_pause_in_an_undone_stretch_goes_back_too(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.command("pause")
    show.clock.advance(30)
    show.command("resume")
    show.command("next")
    show.command("pause")
    show.clock.advance(10)
    show.command("resume")
    show.command("previous")
    view = show.view()
    assert (view.segments[1].paused_s, view.segments[2].paused_s) == (40, 0)


def test_undoing_a_move_into_a_finished_segment_leaves_it_finished(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.command("next")  # segments 1 and 2 are finished: `next` passes over them
    show.command("goto", to=1)
    show.command("goto", to=2)
    assert show.command("previous").data == {"from": 2, "to": 1, "undo": True}
    assert show.command("next").data == {"from": 1, "to": 3}


def test_the_segment_an_undo_returns_to_is_not_finished(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.command("next")  # segment 2 finished
    show.command("previous")  # undone: segment 2 goes on
    show.command("goto", to=1)
    assert show.command("next").data == {"from": 1, "to": 2}


def test_a_segment_entered_again_has_no_end_while_it_runs(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(30)
    show.command("goto", to=4)
    assert show.view().segments[1].actual_end_us == us("08:56:30")
    show.command("goto", to=2)
    row = show.view().segments[1]
    assert (row.status, row.actual_start_us, row.actual_end_us) == ("current", us("08:56:00"), None)


# -- thresholds after a change ----------------------------------------------------


def test_an_extension_to_exactly_the_threshold_does_not_fire_it_again(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(190)  # wrap-up (2:00 left) fired at 180 s
    show.poll()
    show.command("extend", seconds=10)  # 2:00 left exactly: wrap-up is not ahead again
    assert show.poll() == []
    assert [w[1] for w in show.warnings() if w[0] == 2] == ["wrap_up"]


def test_an_extension_leaving_half_a_second_fires_times_up_again(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(330)  # time's up at 300 s
    show.poll()
    show.command("extend", seconds=30.5)
    show.clock.advance(1)
    assert [event.data["level"] for event in show.poll()] == ["time_up"]


def test_an_extension_to_181_seconds_over_keeps_the_third_minute_fired(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(500)  # +3 min fired at 480 s
    show.poll()
    show.command("extend", seconds=19)  # 181 s over: still in the third minute
    assert show.poll() == []


# -- the plan on the time axis ----------------------------------------------------


def test_each_segment_has_its_planned_place_on_the_time_axis(rehearsal: Show) -> None:
    rehearsal.clock.advance(30)
    rehearsal.command("start")  # the plan starts at t = 30
    engine = rehearsal.engine
    assert (engine.planned_start_t(0), engine.planned_end_t(0)) == (30, 90)
    assert (engine.planned_start_t(2), engine.planned_end_t(2)) == (390, 690)  # 3: 09:06–09:11 of a 09:00 plan


# -- the record of the session ----------------------------------------------------


def test_the_state_keeps_the_last_type_the_end_and_every_reopen(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.record("reopen", {"since_last_s": 5.0, "uncertain": False})
    show.record("reopen", {"since_last_s": 5.0, "uncertain": False})
    assert (show.engine.reopens, show.engine.last_type) == (2, "reopen")
    show.record("detach", {})
    assert show.engine.last_type == "detach"
    show.clock.advance(12)
    end = show.command("end")
    assert (show.engine.end_us, show.engine.last_type) == (end.wall_us, "end")


def test_a_snapshot_tells_apart_states_that_differ_in_one_figure(agenda: Agenda) -> None:
    """Replay-equals-live compares snapshots: one that left something out would let a difference through."""

    def after(*records: tuple[str, dict[str, Any]]) -> State:
        show = Show(agenda, REHEARSAL, FakeClock())
        show.command("start")
        for kind, data in records:
            show.record(kind, data)
        return show.engine

    longer = after(("extend", {"segment": 1, "seconds": 60.0}))
    assert longer.snapshot() == after(("extend", {"segment": 1, "seconds": 60.0})).snapshot()
    assert longer.snapshot() != after(("extend", {"segment": 1, "seconds": 30.0})).snapshot()
    assert after(("message", {"text": "a"})).snapshot() != after(("message", {"text": "b"})).snapshot()


# -- what cannot follow, on replay ------------------------------------------------

MOVES: list[tuple[str, dict[str, Any]]] = [
    ("pause", {"segment": 1}),
    ("resume", {"segment": 1}),
    ("next", {"from": 1, "to": 2}),
    ("skip", {"segment": 1, "to": 2}),
    ("goto", {"from": 1, "to": 3}),
    ("previous", {"from": 2, "to": 1, "undo": False}),
    ("extend", {"segment": 1, "seconds": 60}),
    ("end", {"segment": 1}),
]


def replaying(agenda: Agenda, clock: FakeClock, *kinds: str) -> State:
    """A state fed hand-written records of these types (the data each needs to get this far), stamped now."""
    state = State(agenda, REHEARSAL, clock.read())
    data: dict[str, dict[str, Any]] = {
        "start": {"anchor": format_instant(clock.wall_us)},
        "end": {"segment": 1},
        "goto": {"from": 1, "to": 9},
    }
    for kind in kinds:
        state.apply(event(state, clock, kind, **data[kind]))
    return state


def event(state: State, clock: FakeClock, kind: str, **data: Any) -> Event:
    """The next record for `state`, as a reader decodes it."""
    reading = clock.read()
    return Event.from_data(state.seq + 1, kind, reading.wall_us, reading.mono, reading.boot, data)


@pytest.mark.parametrize("before", [(), ("start", "end")], ids=["before the start", "after the end"])
@pytest.mark.parametrize(("kind", "data"), MOVES, ids=[kind for kind, _ in MOVES])
def test_a_move_outside_the_session_is_refused_by_name(
    agenda: Agenda, clock: FakeClock, before: tuple[str, ...], kind: str, data: dict[str, Any]
) -> None:
    state = replaying(agenda, clock, *before)
    with pytest.raises(ReplayError, match=rf"^{kind} while the session is not under way$"):
        state.apply(event(state, clock, kind, **data))
    assert state.seq == len(before)


REFUSED: list[tuple[tuple[str, ...], str, dict[str, Any], str]] = [
    (("start",), "start", {"anchor": "2021-10-08T08:55:00Z"}, "start after the session started"),
    (("start",), "resume", {"segment": 1}, "resume while running"),
    (("start",), "goto", {"from": 1, "to": 1}, "goto to the segment that is already current"),
    (("start",), "goto", {"from": 1, "to": 11}, r"goto: to must be a segment number \(1 to 10\)"),
    (("start",), "next", {"from": 1, "to": 11}, r"next: to must be a segment number \(1 to 10\)"),
    (("start",), "next", {"from": 1, "to": 1}, "next: to must be a later segment"),
    (("start",), "skip", {"segment": 1, "to": 1}, "skip: to must be a later segment"),
    (("start",), "previous", {"from": 1, "to": 1, "undo": False}, "previous from the first segment"),
    (
        ("start",),
        "warning",
        {"segment": 11, "level": "final", "crossed_at": "2021-10-08T08:55:00Z"},
        r"warning: segment must be a segment number \(1 to 10\)",
    ),
    (("start", "goto"), "next", {"from": 9, "to": 8}, "next: to must be a later segment"),
    (("start", "goto"), "goto", {"from": 9, "to": 12}, r"goto: to must be a segment number \(1 to 10\)"),
]


@pytest.mark.parametrize(("before", "kind", "data", "message"), REFUSED)
def test_a_record_that_cannot_follow_is_refused_saying_why(
    agenda: Agenda, clock: FakeClock, before: tuple[str, ...], kind: str, data: dict[str, Any], message: str
) -> None:
    state = replaying(agenda, clock, *before)
    with pytest.raises(ReplayError, match=f"^{message}$"):
        state.apply(event(state, clock, kind, **data))
    assert state.seq == len(before)


def test_pause_while_paused_is_refused(agenda: Agenda, clock: FakeClock) -> None:
    state = replaying(agenda, clock, "start")
    state.apply(event(state, clock, "pause", segment=1))
    with pytest.raises(ReplayError, match="^pause while paused$"):
        state.apply(event(state, clock, "pause", segment=1))


@pytest.mark.parametrize("kind", ["next", "skip"])
def test_nothing_moves_on_from_the_last_segment(agenda: Agenda, clock: FakeClock, kind: str) -> None:
    state = replaying(agenda, clock, "start")
    key = "from" if kind == "next" else "segment"
    state.apply(event(state, clock, kind, **{key: 1, "to": 9}))  # a later segment than the one after: accepted
    state.apply(event(state, clock, kind, **{key: 9, "to": 10}))  # onto the last: accepted
    assert state.current == 9
    said = "next from the last segment" if kind == "next" else "skip of the last segment"
    with pytest.raises(ReplayError, match=f"^{said}$"):
        state.apply(event(state, clock, kind, **{key: 10, "to": 10}))
