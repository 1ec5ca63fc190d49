"""The engine on the seed agenda, with the fake clock: every command and every derived value.

Seed, in UTC: 1 09:00–09:01 (1 min, no warnings: both thresholds are as long
as it), 2 09:01–09:06, 3 09:06–09:11 (5 min), 4–7 ten minutes each to 09:51,
8 09:51–10:15 (24 min, flexible down to 12), 9 10:15–10:25 (10 min, flexible
down to 5), 10 10:25–10:30. Wrap-up at 2:00 left, final at 1:00 left.
"""

from __future__ import annotations

import math
from typing import Any

import pendulum
import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.commands import CommandError
from runofshow.domain.decide import event_for
from runofshow.domain.derive import Flex, derive
from runofshow.domain.events import LIVE, REHEARSAL, Event, ReplayError
from runofshow.domain.fold import State
from runofshow.domain.instants import format_instant, parse_instant
from runofshow.words.timefmt import describe_offset
from tests.kit.show import Show


def utc(hhmmss: str) -> pendulum.DateTime:
    """An instant on the day of the seed session, in UTC."""
    return pendulum.parse(f"2021-10-08T{hhmmss}Z")  # type: ignore[return-value]


def stamp(hhmmss: str) -> str:
    """The journal's spelling of an instant on the session day."""
    return format_instant(parse_instant(f"2021-10-08T{hhmmss}+00:00"))


def started(show: Show, at: str | None = None) -> Show:
    """Start `show` (at `at` UTC if given)."""
    if at is not None:
        show.clock.set_wall(f"2021-10-08T{at}Z")
    show.command("start")
    return show


def in_segment_2(show: Show) -> Show:
    """A rehearsal started at 08:55:00 and moved on to segment 2 at 08:56:00, on time."""
    started(show)
    show.clock.advance(60)
    show.command("next")
    return show


def assert_replay_matches(show: Show) -> None:
    """A follower that replays the events sees exactly what the live engine shows."""
    assert derive(show.replayed(), show.clock.read()) == show.view()


# -- before the start -----------------------------------------------------------


def test_live_before_the_start_counts_down_to_the_agenda(live: Show) -> None:
    view = live.view()
    assert (view.phase, view.alert, view.started, view.current) == ("pending", "pending", False, None)
    assert view.starts_in_s == 300
    assert view.offset_s == 0
    assert view.planned_start == utc("09:00:00")
    assert view.planned_end == view.projected_end == utc("10:30:00")
    assert view.focus.number == 1 and view.segment is None
    assert view.next_segment is not None and view.next_segment.number == 2  # the one after the focus
    assert [row.status for row in view.segments] == ["pending"] * 10
    assert view.flex == ()
    status = view.as_status()
    assert (status["segment"], status["remaining_s"], status["phase"]) == (1, 60.0, "pending")


def test_live_not_yet_started_after_the_planned_start_is_already_behind(live: Show) -> None:
    live.clock.set_wall("2021-10-08T09:02:00Z")
    view = live.view()
    assert view.starts_in_s is None
    assert view.offset_s == 120
    assert view.projected_end == utc("10:32:00")


def test_live_start_at_1802_kst_shows_two_minutes_behind_at_once(live: Show) -> None:
    event = started(live, "09:02:00").events[-1]
    assert event.type == "start"
    assert event.data == {"anchor": "2021-10-08T09:00:00.000000Z"}
    view = live.view()
    assert view.offset_s == 120
    assert describe_offset(view.offset_s) == "2:00 behind"
    assert view.remaining_s == 60
    assert view.planned_end == utc("10:30:00")
    assert view.projected_end == utc("10:32:00")
    assert view.phase == "running"
    assert view.segments[1].planned_start == utc("09:01:00")
    assert view.segments[1].planned_start.timezone_name == "Asia/Seoul"


def test_live_early_start_is_ahead(live: Show) -> None:
    started(live, "08:59:30")
    assert live.view().offset_s == -30
    assert describe_offset(live.view().offset_s) == "0:30 ahead"
    assert live.view().projected_end == utc("10:29:30")


def test_rehearsal_anchors_the_plan_at_the_start_instant(rehearsal: Show) -> None:
    before = rehearsal.view()
    assert before.starts_in_s is None and before.offset_s == 0
    rehearsal.clock.set_wall("2021-10-08T11:17:00Z")  # when the rehearsal really begins
    event = started(rehearsal).events[-1]
    assert event.data == {"anchor": "2021-10-08T11:17:00.000000Z"}
    view = rehearsal.view()
    assert view.mode == REHEARSAL
    assert view.offset_s == 0
    assert view.planned_start == utc("11:17:00")
    assert view.planned_end == view.projected_end == utc("12:47:00")
    assert view.segments[7].planned_start == utc("12:08:00")  # segment 8: 51 min into the plan


# -- the countdown --------------------------------------------------------------


def test_remaining_and_phases_through_a_segment(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    seen = []
    for step in (0, 179, 1, 59, 1, 59.5, 0.5, 90):
        show.clock.advance(step)
        view = show.view()
        seen.append((view.phase, view.remaining_s, view.elapsed_s))
    assert seen == [
        ("running", 300, 0),
        ("running", 121, 179),
        ("wrap_up", 120, 180),
        ("wrap_up", 61, 239),
        ("final", 60, 240),
        ("final", 0.5, 299.5),
        ("overtime", 0, 300),
        ("overtime", -90, 390),
    ]
    assert show.view().allotted_s == 300
    assert show.view().as_status()["remaining_s"] == -90


def test_a_segment_without_thresholds_goes_straight_to_overtime(rehearsal: Show) -> None:
    started(rehearsal)
    rehearsal.clock.advance(59)
    assert rehearsal.view().phase == "running"  # 1-minute segment: wrap-up and final would fire at once
    rehearsal.clock.advance(2)
    assert rehearsal.view().phase == "overtime"


def test_offset_ahead_then_behind_in_a_rehearsal(rehearsal: Show) -> None:
    started(rehearsal)  # 08:55:00, plan ends 10:25:00
    rehearsal.clock.advance(30)
    rehearsal.command("next")  # segment 1 ran 30 s of its 60
    view = rehearsal.view()
    assert view.offset_s == -30
    assert view.projected_end == utc("10:24:30")
    rehearsal.clock.advance(400)  # segment 2 is 100 s over; its planned end was 09:01:00, now 09:02:10
    view = rehearsal.view()
    assert view.remaining_s == -100
    assert view.offset_s == 70
    assert view.projected_end == utc("10:26:10")


def test_pause_is_not_elapsed_but_puts_the_show_behind(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(100)
    offset_before = show.view().offset_s
    event = show.command("pause")
    assert event.data == {"segment": 2}
    show.clock.advance(45)
    view = show.view()
    assert (view.phase, view.alert, view.paused) == ("paused", "running", True)
    assert view.remaining_s == 200 and view.elapsed_s == 100
    assert view.offset_s == offset_before + 45
    assert view.segments[1].paused_s == 45  # the pause in progress shows already
    assert show.command("resume").data == {"segment": 2}
    show.clock.advance(10)
    view = show.view()
    assert (view.phase, view.paused, view.elapsed_s) == ("running", False, 110)
    row = view.segments[1]
    assert (row.actual_s, row.paused_s, row.pauses) == (110, 45, 1)
    assert_replay_matches(show)


def test_paused_keeps_the_alert_it_had(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(250)
    show.command("pause")
    show.clock.advance(600)
    view = show.view()
    assert (view.phase, view.alert, view.remaining_s) == ("paused", "final", 50)


def test_a_pause_in_progress_is_closed_by_a_move(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(100)
    show.command("pause")
    show.clock.advance(30)
    show.command("next")
    view = show.view()
    assert not view.paused and view.phase == "running"
    assert view.segments[1].paused_s == 30 and view.segments[1].actual_s == 100
    assert view.segments[1].actual_end == utc("08:58:10")


# -- moving between segments ----------------------------------------------------


def test_next_closes_the_row_and_opens_the_next(rehearsal: Show) -> None:
    show = started(rehearsal)
    show.clock.advance(75)
    event = show.command("next")
    assert (event.type, event.data) == ("next", {"from": 1, "to": 2})
    view = show.view()
    first, second = view.segments[0], view.segments[1]
    assert (first.status, first.actual_s, first.delta_s) == ("done", 75, 15)
    assert first.actual_start == utc("08:55:00") and first.actual_end == utc("08:56:15")
    assert (second.status, second.actual_s, second.actual_start) == ("current", 0, utc("08:56:15"))
    assert view.current == 1 and view.segment is second
    assert view.next_segment is not None and view.next_segment.number == 3


def test_skip_marks_the_segment_cut(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(20)
    event = show.command("skip")
    assert (event.type, event.data) == ("skip", {"segment": 2, "to": 3})
    row = show.view().segments[1]
    assert (row.status, row.skipped, row.actual_s, row.delta_s) == ("skipped", True, 20, -280)
    assert show.view().current == 2


def test_goto_forward_leaves_the_segments_between_pending(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(100)
    event = show.command("goto", to=5)
    assert (event.type, event.data) == ("goto", {"from": 2, "to": 5})
    view = show.view()
    assert [row.status for row in view.segments[:6]] == ["done", "done", "pending", "pending", "current", "pending"]
    assert view.segments[2].actual_s is None


def test_goto_back_continues_a_segment_with_the_time_it_had(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(100)
    show.command("goto", to=5)
    show.clock.advance(40)
    show.command("goto", to=2)
    show.clock.advance(10)
    view = show.view()
    assert view.current == 1
    assert view.elapsed_s == 110 and view.remaining_s == 190
    assert view.segments[1].actual_start == utc("08:56:00")  # the first start is kept
    assert (view.segments[4].status, view.segments[4].actual_s) == ("done", 40)
    assert_replay_matches(show)


def test_previous_right_after_next_undoes_it(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(100)
    show.command("next")  # by mistake
    show.clock.advance(200)
    event = show.command("previous")
    assert (event.type, event.data) == ("previous", {"from": 3, "to": 2, "undo": True})
    view = show.view()
    second, third = view.segments[1], view.segments[2]
    # The 200 s go back to segment 2, which never stopped as far as the plan is concerned.
    assert view.current == 1 and view.elapsed_s == 300
    assert (second.status, second.actual_s, second.actual_end) == ("current", 300, None)
    assert (third.status, third.actual_s, third.actual_start, third.actual_end) == ("pending", None, None, None)
    assert_replay_matches(show)


def test_undo_can_go_back_several_moves(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(10)
    show.command("next")
    show.clock.advance(10)
    show.command("next")
    show.clock.advance(10)
    assert show.command("previous").data["undo"] is True
    assert show.command("previous").data["undo"] is True
    view = show.view()
    assert view.current == 1 and view.elapsed_s == 30
    assert [row.status for row in view.segments[:4]] == ["done", "current", "pending", "pending"]


def test_previous_after_a_goto_is_a_plain_move(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.command("goto", to=5)
    show.clock.advance(100)
    event = show.command("previous")
    assert event.data == {"from": 5, "to": 4, "undo": False}
    view = show.view()
    assert view.current == 3 and view.elapsed_s == 0
    assert (view.segments[4].status, view.segments[4].actual_s) == ("done", 100)
    show.clock.advance(5)
    assert show.command("previous").data == {"from": 4, "to": 3, "undo": False}
    assert (show.view().segments[3].status, show.view().segments[3].actual_s) == ("done", 5)


def test_undo_of_a_skip_restores_the_segment(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(20)
    show.command("skip")
    show.clock.advance(5)
    assert show.command("previous").data["undo"] is True
    row = show.view().segments[1]
    assert (row.status, row.skipped, row.actual_s) == ("current", False, 25)


def test_end_closes_the_session(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(130)
    event = show.command("end")
    assert (event.type, event.data) == ("end", {"segment": 2})
    show.clock.advance(3600)  # time after the end changes nothing
    view = show.view()
    assert (view.phase, view.alert, view.ended, view.started) == ("done", "done", True, True)
    assert view.remaining_s == 0 and view.flex == ()
    assert view.offset_s == -5210  # ended at 08:58:10; the plan, from 08:55:00, ends at 10:25:00
    assert view.projected_end == utc("08:58:10")
    assert view.segments[1].status == "done" and view.segments[1].actual_end == utc("08:58:10")
    assert view.next_segment is None
    with pytest.raises(CommandError, match="ended"):
        show.command("resume")


# -- extensions -----------------------------------------------------------------


def test_extend_gives_more_time_and_moves_the_projected_end(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(100)
    before = show.view()
    event = show.command("extend", seconds=90)
    assert event.data == {"segment": 2, "seconds": 90.0}
    view = show.view()
    assert (view.allotted_s, view.remaining_s) == (390, 290)
    assert view.offset_s == before.offset_s + 90
    assert view.projected_end == before.projected_end.add(seconds=90)
    assert (view.segments[1].extended_s, view.segments[1].extensions) == (90, 1)
    show.command("extend", seconds=-30)
    assert (show.view().allotted_s, show.view().segments[1].extensions) == (360, 2)


def test_shortening_stops_at_zero(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    assert show.command("extend", seconds=-1000).data["seconds"] == -300
    assert (show.view().allotted_s, show.view().phase) == (0, "overtime")
    with pytest.raises(CommandError, match="no time left"):
        show.command("extend", seconds=-5)


# -- warnings -------------------------------------------------------------------


def test_each_threshold_is_recorded_once_at_the_instant_it_was_crossed(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)  # segment 2 runs from 08:56:00, 5 min
    for _ in range(8 * 60):  # a poll every second for eight minutes
        show.clock.advance(1)
        show.poll()
    assert show.warnings() == [
        (1, "time_up", 0, stamp("08:56:00")),  # the next came exactly at time's up
        (2, "wrap_up", 0, stamp("08:59:00")),
        (2, "final", 0, stamp("09:00:00")),
        (2, "time_up", 0, stamp("09:01:00")),
        (2, "overtime", 1, stamp("09:02:00")),
        (2, "overtime", 2, stamp("09:03:00")),
        (2, "overtime", 3, stamp("09:04:00")),
    ]
    crossings = show.view().segments[1].warnings
    assert [c.label for c in crossings] == ["wrap-up", "final", "time's up", "+1 min", "+2 min", "+3 min"]
    assert crossings[-1].crossed_us == parse_instant(stamp("09:04:00"))


def test_warnings_noticed_late_keep_their_own_instants(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(500)  # nobody polled: the screen froze for eight minutes
    events = show.poll()
    assert [e.wall_us for e in events] == [show.clock.wall_us] * 6
    assert show.warnings()[1:] == [
        (2, "wrap_up", 0, stamp("08:59:00")),
        (2, "final", 0, stamp("09:00:00")),
        (2, "time_up", 0, stamp("09:01:00")),
        (2, "overtime", 1, stamp("09:02:00")),
        (2, "overtime", 2, stamp("09:03:00")),
        (2, "overtime", 3, stamp("09:04:00")),
    ]
    assert show.poll() == []


def test_a_command_records_due_warnings_before_itself(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(190)  # wrap-up was crossed at 180 s, 08:59:00, and not polled
    show.command("pause")
    assert [e.type for e in show.events[-2:]] == ["warning", "pause"]
    assert show.warnings()[-1] == (2, "wrap_up", 0, stamp("08:59:00"))


def test_no_warning_fires_during_a_pause_and_the_next_counts_from_the_resume(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(170)
    show.command("pause")  # 130 s left at 08:58:50
    show.clock.advance(300)
    assert show.poll() == []
    show.command("resume")  # 09:03:50
    show.clock.advance(60)
    show.poll()
    assert show.warnings()[-1] == (2, "wrap_up", 0, stamp("09:04:00"))


def test_an_extension_rearms_the_thresholds_that_are_ahead_again(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(250)  # wrap-up and final fired; 50 s left at 09:00:10
    show.poll()
    show.command("extend", seconds=120)  # 170 s left: both are ahead again
    for _ in range(200):
        show.clock.advance(1)
        show.poll()
    assert show.warnings()[1:] == [
        (2, "wrap_up", 0, stamp("08:59:00")),
        (2, "final", 0, stamp("09:00:00")),
        (2, "wrap_up", 0, stamp("09:01:00")),
        (2, "final", 0, stamp("09:02:00")),
        (2, "time_up", 0, stamp("09:03:00")),
    ]


def test_an_extension_in_overtime_rearms_only_the_minutes_ahead(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(500)  # +3 min fired at 09:04:00; 200 s over at 09:04:20
    show.poll()
    show.command("extend", seconds=60)  # 140 s over: +3 min is ahead again, +1 and +2 are not
    show.clock.advance(60)
    show.poll()
    assert show.warnings()[-2:] == [(2, "overtime", 3, stamp("09:04:00")), (2, "overtime", 3, stamp("09:05:00"))]


def test_shortening_past_a_threshold_records_it_at_the_instant_of_the_change(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(100)  # 200 s left at 08:57:40
    show.command("extend", seconds=-90)  # 110 s left: wrap-up is behind us now
    show.poll()
    assert show.warnings()[-1:] == [(2, "wrap_up", 0, stamp("08:57:40"))]


def test_undo_rearms_the_warnings_of_the_segment_it_leaves(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(100)
    show.command("next")  # segment 3 by mistake, at 08:57:40
    show.clock.advance(200)  # its wrap-up fires at 09:00:40
    show.poll()
    show.command("previous")  # undo: segment 3 has not really started
    show.clock.advance(10)
    show.command("next")  # now it starts, at 09:01:10
    for _ in range(200):
        show.clock.advance(1)
        show.poll()
    third = [w for w in show.warnings() if w[0] == 3]
    assert third == [(3, "wrap_up", 0, stamp("09:00:40")), (3, "wrap_up", 0, stamp("09:04:10"))]


# -- the flexible plan ----------------------------------------------------------


def test_flex_plan_shares_the_delay_by_slack(live: Show) -> None:
    started(live, "09:01:42")  # 102 s behind; slack is 12 min in segment 8 and 5 min in 9
    view = live.view()
    assert view.offset_s == 102
    assert view.flex == (Flex(8, 1440, 1368), Flex(9, 600, 570))
    assert view.unrecoverable_s == 0


def test_flex_plan_reports_what_cannot_be_recovered(live: Show) -> None:
    started(live, "09:20:00")  # 20 min behind; the flexible segments can give 17
    view = live.view()
    assert view.flex == (Flex(8, 1440, 720), Flex(9, 600, 300))
    assert view.unrecoverable_s == 180
    assert view.as_status()["unrecoverable_s"] == 180


def test_no_flex_plan_when_ahead_or_on_time(live: Show) -> None:
    started(live, "09:00:00")
    assert live.view().flex == ()
    live.clock.advance(10)
    live.command("next")
    assert live.view().offset_s == -50 and live.view().flex == ()


def test_flex_plan_in_a_running_flexible_segment_counts_what_it_used(live: Show) -> None:
    started(live, "09:00:00")
    live.clock.set_wall("2021-10-08T09:59:30Z")
    live.command("goto", to=8)  # 24 min from 09:59:30 ends 10:23:30, planned 10:15:00
    view = live.view()
    assert view.offset_s == 510
    assert view.flex == (Flex(8, 1440, 1080), Flex(9, 600, 450))
    live.clock.advance(900)  # 900 s used, more than segment 8's minimum: it can give only 540
    view = live.view()
    assert view.offset_s == 510
    plan = {f.number: f for f in view.flex}
    assert plan[8].shrink_to_s >= 900 and plan[9].shrink_to_s >= 300
    assert 1440 - plan[8].shrink_to_s + 600 - plan[9].shrink_to_s == pytest.approx(510, abs=2)


def test_flex_plan_leaves_out_a_skipped_flexible_segment(live: Show) -> None:
    # 30 min late; segment 1 is left behind (1 min) and 8 skipped (24 min): 5 min to recover, all of it from 9.
    started(live, "09:30:00")
    live.command("goto", to=8)
    live.command("skip")
    live.command("goto", to=2)
    view = live.view()
    assert view.offset_s == 300
    assert view.flex == (Flex(9, 600, 300),) and view.unrecoverable_s == 0


# -- the status object ----------------------------------------------------------


def test_as_status_has_the_documented_keys(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(320)
    show.command("pause")
    status = show.view().as_status()
    assert {k: status[k] for k in ("segment", "title", "phase", "remaining_s", "mode", "paused")} == {
        "segment": 2,
        "title": "Introduction of the moderator",
        "phase": "paused",
        "remaining_s": -20.0,
        "mode": "rehearsal",
        "paused": True,
    }
    assert status["offset_s"] == 20.0
    assert pendulum.parse(status["projected_end"]) == utc("10:25:20")


def test_as_status_before_a_live_start_and_with_a_flex_plan(live: Show) -> None:
    status = live.view().as_status()
    assert {
        k: status[k] for k in ("speaker", "alert", "elapsed_s", "allotted_s", "starts_in_s", "started", "ended")
    } == {
        "speaker": None,
        "alert": "pending",
        "elapsed_s": 0.0,
        "allotted_s": 60.0,
        "starts_in_s": 300.0,
        "started": False,
        "ended": False,
    }
    assert (status["planned_end"], status["now"], status["seq"]) == (
        "2021-10-08T10:30:00+00:00",
        "2021-10-08T08:55:00+00:00",
        0,
    )
    started(live, "09:01:42")
    status = live.view().as_status()
    assert status["flex"] == [{"segment": 8, "shrink_to_s": 1368}, {"segment": 9, "shrink_to_s": 570}]
    assert (status["started"], status["starts_in_s"], status["seq"]) == (True, None, 1)


def test_rows_carry_the_plan_in_the_session_zone(live: Show) -> None:
    started(live, "09:00:00")
    live.command("extend", seconds=30)
    rows = live.view().segments
    assert [row.number for row in rows] == list(range(1, 11))
    assert [row.allotted_s for row in rows] == [90, 300, 300, 600, 600, 600, 600, 1440, 600, 300]
    discussion = rows[7]
    assert discussion.planned_start.format("HH:mm zz") == "18:51 KST"
    assert discussion.planned_end.format("HH:mm zz") == "19:15 KST"
    assert discussion.segment.flexible and discussion.segment.min_duration_s == 720


def test_the_view_knows_its_instant_and_the_last_record(rehearsal: Show) -> None:
    show = in_segment_2(rehearsal)
    show.clock.advance(7)
    view = show.view()
    assert view.now == utc("08:56:07") and view.now_us == show.clock.wall_us
    assert view.seq == len(show.events) == 3  # start, segment 1's time's up, next
    assert view.last_event_us == show.events[-1].wall_us == parse_instant(stamp("08:56:00"))
    assert not view.uncertain


# -- refusals -------------------------------------------------------------------

REFUSALS: list[tuple[str, str, dict[str, Any], str]] = [
    ("fresh", "pause", {}, "not started"),
    ("fresh", "next", {}, "not started"),
    ("fresh", "bogus", {}, "unknown command"),
    ("running", "start", {}, "already started"),
    ("running", "resume", {}, "not paused"),
    ("paused", "pause", {}, "already paused"),
    ("running", "previous", {}, "first segment"),
    ("last", "next", {}, "last segment"),
    ("last", "skip", {}, "last segment"),
    ("running", "goto", {"to": 11}, "no segment 11"),
    ("running", "goto", {"to": 0}, "no segment 0"),
    ("running", "goto", {"to": "3"}, "no segment"),
    ("running", "goto", {}, "no segment"),
    ("running", "goto", {"to": 1}, "already current"),
    ("running", "extend", {"seconds": 0}, "non-zero"),
    ("running", "extend", {"seconds": "60"}, "non-zero"),
    ("running", "extend", {}, "non-zero"),
    ("running", "extend", {"seconds": math.nan}, "non-zero"),
    ("running", "extend", {"seconds": math.inf}, "non-zero"),
    ("running", "extend", {"seconds": -math.inf}, "non-zero"),
    ("ended", "start", {}, "ended"),
    ("ended", "next", {}, "ended"),
]


@pytest.mark.parametrize(("state", "command", "args", "message"), REFUSALS)
def test_commands_that_make_no_sense_are_refused_and_change_nothing(
    rehearsal: Show, state: str, command: str, args: dict[str, Any], message: str
) -> None:
    if state != "fresh":
        started(rehearsal)
    if state == "paused":
        rehearsal.command("pause")
    if state == "last":
        rehearsal.command("goto", to=10)
    if state == "ended":
        rehearsal.command("end")
    before = rehearsal.view()
    with pytest.raises(CommandError, match=message):
        event_for(rehearsal.engine, command, rehearsal.clock.read(), **args)
    assert rehearsal.view() == before


def test_events_that_cannot_follow_are_refused_on_replay(agenda: Agenda, clock: FakeClock) -> None:
    engine = State(agenda, REHEARSAL, clock.read())
    reading = clock.read()

    def event(seq: int, kind: str, **data: Any) -> Event:
        return Event.from_data(seq, kind, reading.wall_us, reading.mono, reading.boot, data)

    anchor = format_instant(reading.wall_us)
    with pytest.raises(ReplayError, match="not under way"):
        engine.apply(event(1, "pause", segment=1))
    with pytest.raises(ReplayError, match="seq 2 follows 0"):
        engine.apply(event(2, "start", anchor=anchor))
    with pytest.raises(ReplayError, match="unknown event type"):
        engine.apply(event(1, "teleport"))
    engine.apply(event(1, "start", anchor=anchor))
    with pytest.raises(ReplayError, match="start after"):
        engine.apply(event(2, "start", anchor=anchor))
    with pytest.raises(ReplayError, match="resume while running"):
        engine.apply(event(2, "resume", segment=1))
    with pytest.raises(ReplayError, match="segment number"):
        engine.apply(event(2, "goto", **{"from": 1, "to": 12}))
    with pytest.raises(ReplayError, match="previous from the first"):
        engine.apply(event(2, "previous", **{"from": 1, "to": 1, "undo": False}))
    assert engine.seq == 1


def test_modes_other_than_live_and_rehearsal_are_refused(agenda: Agenda, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="mode"):
        State(agenda, "dress", clock.read())


def test_live_mode_name(live: Show) -> None:
    assert live.view().mode == LIVE


def test_a_change_to_a_segment_ahead_counts_in_the_projection(rehearsal: Show, clock: FakeClock) -> None:
    """n, shorten the next segment by two minutes, p (undo): that segment keeps its change, and the end moves."""
    rehearsal.command("start")
    clock.advance(30)
    rehearsal.command("next")
    rehearsal.command("extend", seconds=-60)
    rehearsal.command("extend", seconds=-60)
    rehearsal.command("previous")
    view = rehearsal.view()
    assert view.current == 0 and view.segments[1].allotted_s == 180
    # The show will end two minutes early, and behind/ahead says the same (it once said "on time").
    assert view.offset_s == -120
    assert (view.projected_end.int_timestamp - view.planned_end.int_timestamp) == -120
