"""Adopt the advice, later not cut, messages that belong to a segment, and the speaker's "got it" (fake clock)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pendulum
import pytest

from runofshow.agenda_file import load_agenda
from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda, AgendaError
from runofshow.domain.commands import STAGE, CommandError, Later, Seen, from_name
from runofshow.domain.decide import auto_adopt
from runofshow.domain.derive import derive, status_json
from runofshow.domain.events import LIVE, Adopt, ReplayError
from runofshow.domain.fold import State
from tests.kit.show import Show


def at(show: Show, hhmmss: str) -> None:
    show.clock.set_wall(f"2021-10-08T{hhmmss}Z")


def utc(hhmmss: str) -> pendulum.DateTime:
    return pendulum.parse(f"2021-10-08T{hhmmss}Z")  # type: ignore[return-value]


def assert_replay_matches(show: Show) -> None:
    assert show.replayed().snapshot() == show.engine.snapshot()
    assert derive(show.replayed(), show.clock.read()) == show.view()


def into_discussion(show: Show, late: str = "09:55:00") -> Show:
    """A live show that reaches the discussion (8, flexible, planned 09:51 for 24:00) at `late`."""
    at(show, "09:00:00")
    show.command("start")
    at(show, late)
    show.command("goto", to=8)
    return show


# -- adopt ----------------------------------------------------------------------------


def test_adopt_gives_the_current_flexible_segment_the_advised_length(live: Show) -> None:
    show = into_discussion(live)
    before = show.view()
    advice = {f.number: f.shrink_to_s for f in before.flex}
    event = show.command("adopt")
    assert (event.type, event.data) == ("adopt", {"segment": 8, "seconds": float(advice[8])})
    view = show.view()
    row = view.segments[7]
    assert view.allotted_s == row.allotted_s == row.adopted_s == advice[8] < 1440
    assert view.remaining_s == pytest.approx(advice[8])
    # The show now plans on the shorter discussion: what it gave is no longer late.
    assert view.offset_s == pytest.approx(before.offset_s - (1440 - advice[8]))
    # The discussion has given its share; the Q&A's advice is what it was.
    assert {f.number: f.shrink_to_s for f in view.flex} == {9: advice[9]}
    with pytest.raises(CommandError, match="already took the advice"):
        show.command("adopt")
    assert status_json(view)["segments"][7]["adopted_s"] == advice[8]
    assert status_json(view)["allotted_s"] == advice[8]
    assert_replay_matches(show)


def test_after_adopting_the_wrap_up_cue_fires_against_the_adopted_length(live: Show) -> None:
    show = into_discussion(live)
    show.command("adopt")
    length = show.view().allotted_s
    show.clock.advance(length - 120 - 1)
    assert show.poll() == []
    show.clock.advance(2)
    assert [e.data["level"] for e in show.poll()] == ["wrap_up"]


def test_an_extension_after_adopting_adds_to_the_adopted_length(live: Show) -> None:
    show = into_discussion(live)
    show.command("adopt")
    adopted = show.view().allotted_s
    show.command("extend", seconds=60)
    assert show.view().allotted_s == adopted + 60
    assert show.view().segments[7].adopted_s == adopted
    assert_replay_matches(show)


def test_adopt_is_refused_in_a_segment_that_is_not_flexible(live: Show) -> None:
    at(live, "09:05:00")
    live.command("start")
    with pytest.raises(CommandError, match="segment 1 is not flexible"):
        live.command("adopt")


def test_adopt_is_refused_when_there_is_no_advice(live: Show) -> None:
    into_discussion(live, late="09:51:00")  # on time: nothing to shrink
    assert live.view().flex == ()
    with pytest.raises(CommandError, match="no advice"):
        live.command("adopt")
    assert live.events[-1].type == "goto"


def test_an_adopt_record_outside_a_running_session_is_a_replay_error(live: Show) -> None:
    with pytest.raises(ReplayError, match="adopt while the session is not under way"):
        live.stamp(Adopt(segment=8, seconds=600.0))


def auto_agenda(agenda: Agenda) -> Agenda:
    return replace(agenda, session=replace(agenda.session, flex_auto=True))


def test_flex_auto_adopts_on_entering_each_flexible_segment(agenda: Agenda, clock: FakeClock) -> None:
    show = Show(auto_agenda(agenda), LIVE, clock)
    at(show, "09:00:00")
    show.command("start")
    assert show.events[-1].type == "start"  # segment 1 is not flexible
    at(show, "09:55:00")
    show.command("goto", to=8)
    goto, adopt = show.events[-2:]
    assert goto.type == "goto" and (adopt.type, adopt.seq) == ("adopt", goto.seq + 1)
    # The advice as the moderator saw it on entering the segment, before the adopt.
    entered = State(show.agenda, LIVE, show.origin)
    for event in show.events[:-1]:
        entered.apply(event)
    advice = {f.number: f.shrink_to_s for f in derive(entered, clock.read()).flex}
    assert adopt.data == {"segment": 8, "seconds": float(advice[8]), "auto": True}
    assert show.view().segments[7].adopted_s == adopt.data["seconds"]
    # Once, on entering: not again later in the same segment.
    show.clock.advance(30)
    assert auto_adopt(show.engine, clock.read()) is None
    assert_replay_matches(show)


def test_flex_auto_adopts_nothing_when_the_show_is_on_time(agenda: Agenda, clock: FakeClock) -> None:
    show = Show(auto_agenda(agenda), LIVE, clock)
    at(show, "09:00:00")
    show.command("start")
    at(show, "09:51:00")
    show.command("goto", to=8)
    assert auto_adopt(show.engine, clock.read()) is None


def test_flex_is_read_from_the_agenda(tmp_path: Path, seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    auto = tmp_path / "auto.toml"
    auto.write_text(text.replace("[session]\n", '[session]\nflex = "auto"\n', 1), encoding="utf-8")
    assert load_agenda(auto).session.flex_auto
    assert not load_agenda(seed).session.flex_auto
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace("[session]\n", '[session]\nflex = "yes"\n', 1), encoding="utf-8")
    with pytest.raises(AgendaError, match=r'flex: must be "auto"'):
        load_agenda(wrong)


# -- later ---------------------------------------------------------------------------


def test_later_moves_the_segment_after_the_next_and_keeps_its_remaining_time(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")
    show.command("goto", to=4)  # 10 minutes
    show.clock.advance(240)
    before = show.view()
    event = show.command("later")
    assert (event.type, event.data) == ("later", {"segment": 4, "after": 5, "to": 5})
    view = show.view()
    assert view.current == 4
    row = view.segments[3]
    assert row.laters == 1 and row.status == "done" and row.actual_s == 240
    # Nothing was cut: the show still ends when it did, and segment 4 is expected after 5, with its 6 minutes.
    assert view.offset_s == pytest.approx(before.offset_s)
    assert view.segments[5].expected_start_us is not None
    assert row.expected_start_us == view.now_us + 600 * 1_000_000
    assert view.segments[5].expected_start_us == row.expected_start_us + 360 * 1_000_000
    assert status_json(view)["segments"][3]["later"] is True
    # next runs 4 again, with what it had left, then 6.
    show.clock.advance(600)
    assert show.command("next").data == {"from": 5, "to": 4}
    assert show.view().remaining_s == pytest.approx(360)
    show.clock.advance(360)
    assert show.command("next").data == {"from": 4, "to": 6}
    assert show.view().segments[3].actual_s == pytest.approx(600)
    assert_replay_matches(show)


def test_skip_cuts_where_later_keeps(rehearsal: Show) -> None:
    kept, cut = rehearsal, Show(rehearsal.agenda, rehearsal.mode, FakeClock("2021-10-08T08:55:00Z"))
    for show in (kept, cut):
        show.command("start")
        show.command("goto", to=4)
        show.clock.advance(240)
    kept.command("later")
    cut.command("skip")
    assert kept.view().offset_s - cut.view().offset_s == pytest.approx(360)


def test_later_after_a_chosen_segment(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.command("goto", to=4)
    event = rehearsal.command("later", after=7)
    assert event.data == {"segment": 4, "after": 7, "to": 5}
    assert rehearsal.engine.order[:8] == (0, 1, 2, 4, 5, 6, 3, 7)
    for expected in (6, 7, 4, 8):
        assert rehearsal.command("next").data["to"] == expected
    assert_replay_matches(rehearsal)


@pytest.mark.parametrize(("after", "words"), [(4, "no other segment 4"), (11, "no other segment 11"), (2, "not still")])
def test_later_after_a_segment_not_still_to_run_is_refused(rehearsal: Show, after: int, words: str) -> None:
    rehearsal.command("start")
    rehearsal.command("goto", to=4)
    with pytest.raises(CommandError, match=words):
        rehearsal.command("later", after=after)


def test_later_in_the_last_segment_still_to_run_is_refused(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.command("goto", to=10)
    with pytest.raises(CommandError, match="no segment is left to run"):
        rehearsal.command("later")


def test_a_segment_moved_behind_the_last_is_run_before_the_end(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.command("goto", to=9)
    rehearsal.command("later")  # after 10
    upcoming = rehearsal.view().next_segment
    assert upcoming is not None and upcoming.number == 9
    assert rehearsal.command("next").data == {"from": 10, "to": 9}
    with pytest.raises(CommandError, match="last segment"):
        rehearsal.command("next")


def test_previous_undoes_a_later(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.command("goto", to=4)
    rehearsal.clock.advance(100)
    rehearsal.command("later")
    rehearsal.clock.advance(50)
    assert rehearsal.command("previous").data == {"from": 5, "to": 4, "undo": True}
    view = rehearsal.view()
    assert rehearsal.engine.order == tuple(range(10))
    assert view.segments[3].laters == 0 and view.segments[3].actual_s == pytest.approx(150)
    assert_replay_matches(rehearsal)


def test_a_later_record_naming_an_earlier_segment_is_a_replay_error(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.command("goto", to=4)
    with pytest.raises(ReplayError, match="later in the run order"):
        rehearsal.record("later", {"segment": 4, "after": 2, "to": 5})


def test_later_is_named_for_scripts() -> None:
    assert from_name("later", after=3) == Later(3)
    with pytest.raises(CommandError):
        from_name("later", after="3")


# -- messages ------------------------------------------------------------------------


def test_a_message_stops_showing_when_the_segment_changes(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.command("message", text="Eric, please wrap up")
    assert rehearsal.view().message == "Eric, please wrap up"
    rehearsal.command("pause")
    rehearsal.command("resume")
    rehearsal.command("extend", seconds=60)
    assert rehearsal.view().message == "Eric, please wrap up"  # the same segment
    rehearsal.command("next")
    view = rehearsal.view()
    assert (view.message, status_json(view)["message"]) == (None, None)
    assert_replay_matches(rehearsal)


def test_a_pinned_message_follows_the_show_until_the_end(rehearsal: Show) -> None:
    rehearsal.command("start")
    event = rehearsal.command("message", text="Doors close at 19:30", pinned=True)
    assert event.data == {"text": "Doors close at 19:30", "pinned": True}
    rehearsal.command("next")
    rehearsal.command("goto", to=7)
    view = rehearsal.view()
    assert view.message == "Doors close at 19:30" and view.message_pinned
    assert status_json(view)["message_pinned"] is True
    rehearsal.command("end")
    assert rehearsal.view().message is None
    assert_replay_matches(rehearsal)


def test_a_message_sent_before_the_start_shows_in_the_first_segment(live: Show) -> None:
    live.command("message", text="Welcome")
    at(live, "09:00:00")
    live.command("start")
    assert live.view().message == "Welcome"
    live.command("next")
    assert live.view().message is None


# -- seen ---------------------------------------------------------------------------


def test_the_speaker_answers_got_it(rehearsal: Show) -> None:
    rehearsal.command("start")
    sent = rehearsal.command("message", text="One minute")
    assert not rehearsal.view().message_seen
    rehearsal.clock.advance(4)
    event = rehearsal.command("seen")
    assert (event.type, event.data) == ("seen", {"message": sent.seq})
    view = rehearsal.view()
    assert view.message_seen and view.message_seen_at_us == event.wall_us
    state = status_json(view)
    assert (state["message_seen"], state["message_seen_at"]) == (True, view.now.isoformat())
    with pytest.raises(CommandError, match="seen already"):
        rehearsal.command("seen")
    # A new message has not been seen yet.
    rehearsal.command("message", text="Thirty seconds")
    assert not rehearsal.view().message_seen
    assert_replay_matches(rehearsal)


def test_seen_with_no_message_is_refused(rehearsal: Show) -> None:
    rehearsal.command("start")
    with pytest.raises(CommandError, match="no message is showing"):
        rehearsal.command("seen")


def test_a_seen_record_for_another_message_is_a_replay_error(rehearsal: Show) -> None:
    rehearsal.command("start")
    rehearsal.command("message", text="One minute")
    with pytest.raises(ReplayError, match="seen: message 1 is not showing"):
        rehearsal.record("seen", {"message": 1})


def test_seen_is_the_stage_s_by_default() -> None:
    assert Seen().actor == STAGE == from_name("seen").actor
