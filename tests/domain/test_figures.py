"""The live figures a moderator reads, after any sequence of keys: Next, behind/ahead, the projected
end, the shrink advice and every expected start, and the one rounding rule behind them
(docs/figures.md). Seed agenda, in UTC: 1 09:00–09:01, 2 09:01–09:06, 3 09:06–09:11, 4–7 ten
minutes each to 09:51, 8 09:51–10:15 (flexible to 12 min), 9 10:15–10:25 (flexible to 5), 10 10:25–10:30.
"""

from __future__ import annotations

import pendulum
import pytest

from runofshow.domain.commands import CommandError
from runofshow.domain.derive import Flex, derive, status_json
from runofshow.domain.events import ReplayError
from runofshow.words.timefmt import describe_offset, format_duration, format_length, whole_seconds
from tests.kit.show import Show


def utc(hhmmss: str) -> pendulum.DateTime:
    """An instant on the day of the seed session, in UTC."""
    return pendulum.parse(f"2021-10-08T{hhmmss}Z")  # type: ignore[return-value]


def at(show: Show, hhmmss: str) -> None:
    show.clock.set_wall(f"2021-10-08T{hhmmss}Z")


def to_bernard(show: Show, late: str = "09:31:00") -> Show:
    """A live show run to plan up to segment 6 (planned 09:31), which it enters at `late`."""
    at(show, "09:00:00")
    show.command("start")
    for hhmmss in ("09:01:00", "09:06:00", "09:11:00", "09:21:00"):
        at(show, hhmmss)
        show.command("next")
    at(show, late)
    show.command("next")
    assert show.view().current == 5
    return show


def assert_replay_matches(show: Show) -> None:
    assert derive(show.replayed(), show.clock.read()) == show.view()


# -- 1. next after a skip or a go-to ---------------------------------------------


def test_back_to_a_skipped_segment_the_finished_one_after_it_is_not_counted_again(live: Show) -> None:
    """The report's case: s at Bernard (6), Martin (7) runs his 10 minutes, g 6."""
    show = to_bernard(live, late="09:36:37")  # 5:37 late
    show.command("skip")
    show.clock.advance(600)
    show.command("goto", to=6)
    view = show.view()
    next_segment = view.next_segment
    assert next_segment is not None and next_segment.number == 8  # not Martin, who has finished
    # 09:46:37 + 10 min of Bernard + 24 + 10 + 5 = 10:35:37, against 10:30 planned.
    assert view.offset_s == 337 and describe_offset(view.offset_s) == "5:37 behind"
    assert view.projected_end == utc("10:35:37")
    # 337 s shared by slack (12 min in 8, 5 in 9): 238 + 99, so the discussion keeps about 20 minutes.
    assert view.flex == (Flex(8, 1440, 1202), Flex(9, 600, 501)) and view.unrecoverable_s == 0
    # Expected starts follow what n will do, with the shrinking applied: the show ends on time.
    starts = {row.number: row.expected_start for row in view.segments}
    assert starts == {
        1: None,
        2: None,
        3: None,
        4: None,
        5: None,
        6: None,
        7: None,
        8: utc("09:56:37"),
        9: utc("10:16:39"),
        10: utc("10:25:00"),
    }
    assert show.command("next").data == {"from": 6, "to": 8}
    assert_replay_matches(show)


def test_a_segment_left_part_way_by_goto_is_still_ahead_with_what_it_had_left(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")  # 08:55:00, so the plan ends 10:25:00
    show.clock.advance(60)
    show.command("next")
    show.clock.advance(300)
    show.command("next")  # 3 at 09:01:00, on plan
    show.clock.advance(100)
    show.command("goto", to=5)  # 3 left with 200 s of its 300
    show.clock.advance(30)
    show.command("goto", to=2)  # 5 left with 570 s of its 600; 2 (finished by n) is entered again
    view = show.view()
    assert [view.segments[i].expected_start is not None for i in range(10)] == [False, False] + [True] * 8
    # 09:03:10; 2 has no time left, 3 has 200 s, 4 600, 5 570, and 6–10 their plan (3,540 s): what 3 and 5
    # have run counts once, so the show is still on time.
    assert view.projected_end == utc("09:03:10").add(seconds=200 + 600 + 570 + 3540) == utc("10:25:00")
    assert describe_offset(view.offset_s) == "on time"
    assert view.segments[2].expected_start == utc("09:03:10")
    assert view.segments[4].expected_start == utc("09:03:10").add(seconds=800)
    assert show.command("next").data == {"from": 2, "to": 3}
    view = show.view()
    assert (view.current, view.remaining_s) == (2, 200)
    assert_replay_matches(show)


def test_a_segment_left_by_goto_once_its_time_was_up_has_finished(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")
    show.command("goto", to=10)
    show.clock.advance(300)  # its 5 minutes used
    show.command("goto", to=9)
    with pytest.raises(CommandError, match="every segment after this one"):
        show.command("next")
    assert show.view().next_segment is None
    show.command("goto", to=10)
    show.clock.advance(1)  # a second more, then left again, still not finished by `next`
    show.command("goto", to=8)
    assert show.command("next").data == {"from": 8, "to": 9}


def test_previous_undoes_a_next_that_passed_over_finished_segments(live: Show) -> None:
    show = to_bernard(live)
    show.command("skip")
    show.clock.advance(600)
    show.command("goto", to=6)
    show.clock.advance(60)
    show.command("next")  # to 8, past Martin
    show.clock.advance(20)
    assert show.command("previous").data == {"from": 8, "to": 6, "undo": True}
    view = show.view()
    assert (view.current, view.elapsed_s) == (5, 80)
    assert view.segments[7].status == "pending" and view.segments[7].actual_s is None
    next_segment = view.next_segment
    assert next_segment is not None and next_segment.number == 8
    assert_replay_matches(show)


def test_replay_keeps_a_next_recorded_to_the_segment_after(rehearsal: Show) -> None:
    """A journal from before: s at 6, 7 ran, g 6, then n went to 7 again. History stays as written."""
    show = rehearsal
    show.command("start")
    show.command("goto", to=6)
    show.command("skip")
    show.clock.advance(600)
    show.command("goto", to=6)
    show.record("next", {"from": 6, "to": 7})
    assert show.view().current == 6
    assert_replay_matches(show)


# -- 9. replay of moves that cannot happen ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("next", {"from": 10, "to": 11}),
        ("next", {}),
        ("skip", {"segment": 10, "to": 11}),
        ("skip", {}),
    ],
)
def test_next_or_skip_replayed_from_the_last_segment_is_a_replay_error(
    rehearsal: Show, kind: str, data: dict[str, int]
) -> None:
    rehearsal.command("start")
    rehearsal.command("goto", to=10)
    with pytest.raises(ReplayError):
        rehearsal.record(kind, data)


@pytest.mark.parametrize("to", [1, 3, 11, "4"])
def test_next_replayed_to_no_later_segment_is_a_replay_error(rehearsal: Show, to: object) -> None:
    rehearsal.command("start")
    rehearsal.command("goto", to=3)
    with pytest.raises(ReplayError):
        rehearsal.record("next", {"from": 3, "to": to})


# -- 4. one rounding rule ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "whole"),
    [(0.0, 0), (0.49, 0), (0.5, 1), (1.5, 2), (2.5, 3), (299.5, 300), (-0.5, 0), (-0.51, -1), (-2.5, -2), (-0.49, 0)],
)
def test_whole_seconds_round_half_up(seconds: float, whole: int) -> None:
    assert whole_seconds(seconds) == whole


def test_every_wording_uses_the_one_rounding_rule() -> None:
    assert format_duration(2.5) == "0:03" and format_duration(300.5) == "5:01"
    assert format_length(2.5) == "3s" and format_length(720.5) == "12m01s"
    assert describe_offset(0.49) == "on time" and describe_offset(0.5) == "0:01 behind"
    assert describe_offset(-0.5) == "on time" and describe_offset(-0.51) == "0:01 ahead"
    assert describe_offset(300.5, ended=True) == "ended 5:01 late"
    assert format_duration(-2.5) == "-0:02" and format_duration(-0.4) == "0:00"


def test_a_start_a_fraction_of_a_second_late_is_on_time_with_no_shrink_request(live: Show) -> None:
    at(live, "09:00:00.190000")
    live.command("start")
    view = live.view()
    assert describe_offset(view.offset_s) == "on time"
    assert view.flex == () and view.unrecoverable_s == 0
    assert view.projected_end == view.planned_end == utc("10:30:00")


def test_half_a_second_late_is_one_second_everywhere(live: Show) -> None:
    at(live, "09:00:00.500000")
    live.command("start")
    view = live.view()
    assert describe_offset(view.offset_s) == "0:01 behind"
    assert view.projected_end == utc("10:30:01")
    assert sum(f.allotted_s - f.shrink_to_s for f in view.flex) == 1  # exactly the second it is behind


def test_after_a_wall_clock_step_the_projected_end_agrees_with_behind(live: Show) -> None:
    to_bernard(live, late="09:32:00")
    live.clock.advance(30)
    before = live.view()
    live.clock.step_wall(-3600)
    after = live.view()
    assert after.offset_s == before.offset_s == 60
    assert after.projected_end == before.projected_end == utc("10:31:00")
    assert after.planned_end == utc("10:30:00")


def test_the_shrink_advice_adds_up_to_what_is_late(live: Show) -> None:
    at(live, "09:00:00")
    live.command("start")
    at(live, "09:59:30")
    live.command("goto", to=8)
    live.clock.advance(900.4)  # segment 8 can now give only 539.6 s, so 539 of it
    view = live.view()
    late = whole_seconds(view.offset_s)
    given = sum(f.allotted_s - f.shrink_to_s for f in view.flex)
    assert given == late - view.unrecoverable_s == late
    assert {f.number: f.shrink_to_s for f in view.flex}[8] >= 900.4


# -- 5. expected starts -------------------------------------------------------------------


def test_before_a_live_start_every_segment_is_expected_at_its_planned_start(live: Show) -> None:
    view = live.view()
    assert (view.elapsed_s, view.remaining_s, view.allotted_s) == (0, 0, 0)  # no segment is under way
    assert [row.expected_start for row in view.segments] == [row.planned_start for row in view.segments]
    assert [s["expected_start"] for s in status_json(view)["segments"]] == [
        row.planned_start.in_tz("UTC").isoformat() for row in view.segments
    ]


def test_expected_starts_apply_the_shrinking_and_reach_the_planned_end(live: Show) -> None:
    at(live, "09:01:42")  # 102 s late: 8 gives 72 s and 9 gives 30
    live.command("start")
    view = live.view()
    starts = [row.expected_start for row in view.segments]
    assert starts[0] is None  # it is under way
    assert starts[1] == utc("09:02:42")
    assert starts[7] == utc("09:52:42")
    assert starts[8] == utc("09:52:42").add(seconds=1368)
    assert starts[9] == utc("10:25:00")
    assert status_json(view)["segments"][9] == {
        "segment": 10,
        "status": "pending",
        "planned_start": "2021-10-08T10:25:00+00:00",
        "expected_start": "2021-10-08T10:25:00+00:00",
        "allotted_s": 300.0,
        "adopted_s": None,
        "later": False,
    }


def test_after_the_end_nothing_is_expected(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.command("end")
    view = rehearsal.view()
    assert all(row.expected_start is None for row in view.segments) and view.next_segment is None


# -- 9. the status after the end ---------------------------------------------------------


@pytest.mark.parametrize(("ran", "remaining"), [(130, 170), (320, -20)])
def test_status_after_the_end_shows_the_last_segment_as_it_ran(rehearsal: Show, ran: int, remaining: int) -> None:
    rehearsal.command("start")
    rehearsal.clock.advance(60)
    rehearsal.command("next")
    rehearsal.clock.advance(ran)
    rehearsal.command("end")
    rehearsal.clock.advance(999)
    status = status_json(rehearsal.view())
    assert (status["segment"], status["elapsed_s"], status["allotted_s"]) == (2, ran, 300)
    assert status["remaining_s"] == remaining
    assert (status["phase"], status["ended"], status["next_segment"]) == ("done", True, None)


# -- the moderator's message (for the stage) ------------------------------------------------


def test_a_message_is_shown_literally_with_when_it_was_sent_and_empty_text_clears_it(live: Show) -> None:
    event = live.command("message", text="Kim [SSEGOV]: 5 min break")  # before the start too
    assert (event.type, event.data) == ("message", {"text": "Kim [SSEGOV]: 5 min break"})
    live.clock.advance(42)
    view = live.view()
    assert (view.message, view.message_at) == ("Kim [SSEGOV]: 5 min break", utc("08:55:00"))
    status = status_json(view)
    assert (status["message"], status["message_at"]) == ("Kim [SSEGOV]: 5 min break", "2021-10-08T08:55:00+00:00")
    assert_replay_matches(live)
    live.command("message", text="")
    view = live.view()
    assert (view.message, view.message_at) == (None, None)
    assert_replay_matches(live)


def test_a_message_can_be_sent_after_the_end(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.command("end")
    rehearsal.command("message", text="Thank you")
    assert rehearsal.view().message == "Thank you"


@pytest.mark.parametrize("text", [None, 42, "x" * 281])
def test_a_message_must_be_short_text(rehearsal: Show, text: object) -> None:
    with pytest.raises(CommandError):
        rehearsal.command("message", text=text)
    assert rehearsal.events == []


def test_a_message_of_280_characters_is_accepted(rehearsal: Show) -> None:
    rehearsal.command("message", text="é" * 280)
    assert rehearsal.view().message == "é" * 280


@pytest.mark.parametrize("data", [{}, {"text": 3}, {"text": "x" * 281}])
def test_a_bad_message_record_is_a_replay_error(rehearsal: Show, data: dict[str, object]) -> None:
    with pytest.raises(ReplayError):
        rehearsal.record("message", data)


def test_after_the_end_no_segment_is_under_way(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.clock.advance(30)
    rehearsal.command("end")
    view = rehearsal.view()
    assert (view.elapsed_s, view.remaining_s, view.allotted_s) == (0, 0, 0)


def test_status_keeps_seconds_to_the_millisecond(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.clock.advance(12.34567)
    status = status_json(rehearsal.view())
    assert (status["elapsed_s"], status["remaining_s"], status["allotted_s"]) == (12.346, 47.654, 60.0)


def test_previous_from_the_first_segment_says_so(rehearsal: Show) -> None:
    rehearsal.command("start")
    with pytest.raises(CommandError, match="^this is the first segment$"):
        rehearsal.command("previous")
