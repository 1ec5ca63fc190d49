"""When each segment ran and was paused (`State.spans`): the bars a report draws, kept by the fold as it goes.

A rehearsal of the seed started at 08:55:00 UTC (see test_engine.py); the
fake clock moves the wall and monotonic clocks together unless told.
"""

from __future__ import annotations

from runofshow.domain.instants import parse_instant
from runofshow.domain.spans import merge_spans
from tests.kit.show import Show


def us(hhmmss: str) -> int:
    """An instant on the day of the seed session, in UTC, as epoch microseconds."""
    return parse_instant(f"2021-10-08T{hhmmss}+00:00")


def span(a: str, b: str) -> tuple[int, int]:
    return us(a), us(b)


def t_now(show: Show) -> float:
    return show.engine.t_of(show.clock.read())[0]


def test_before_the_start_there_are_none(rehearsal: Show) -> None:
    rehearsal.record("message", {"text": "doors open"})
    assert [rehearsal.engine.spans(index) for index in range(10)] == [((), ())] * 10


def test_runs_and_pauses_of_each_segment(rehearsal: Show) -> None:
    show = rehearsal
    show.clock.advance(30)
    show.command("start")  # 08:55:30, half a minute into the journal's time axis
    show.clock.advance(60)
    show.command("next")  # 08:56:30
    show.clock.advance(100)
    show.command("pause")  # 08:58:10
    show.clock.advance(30)
    show.command("resume")  # 08:58:40
    show.clock.advance(20)
    show.command("next")  # 08:59:00
    engine = show.engine
    assert engine.spans(0) == ((span("08:55:30", "08:56:30"),), ())
    assert engine.spans(1) == (
        (span("08:56:30", "08:58:10"), span("08:58:40", "08:59:00")),
        (span("08:58:10", "08:58:40"),),
    )
    assert engine.spans(2) == ((), ())  # it began with the last record, where a report ends
    show.clock.advance(15)
    assert engine.spans(2, t_now(show)) == ((span("08:59:00", "08:59:15"),), ())
    assert engine.spans(1, t_now(show)) == engine.spans(1)  # a segment left behind does not grow
    assert engine.spans(3, t_now(show)) == ((), ())


def test_the_pause_under_way_ends_where_asked(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")
    show.clock.advance(10)
    show.command("pause")
    show.clock.advance(5)
    assert show.engine.spans(0, t_now(show)) == ((span("08:55:00", "08:55:10"),), (span("08:55:10", "08:55:15"),))
    assert show.engine.spans(0) == ((span("08:55:00", "08:55:10"),), ())


def test_a_stretch_of_no_time_is_no_span(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")
    show.command("pause")  # at the same instant
    show.clock.advance(5)
    show.command("resume")
    show.command("next")  # at the same instant again
    assert show.engine.spans(0) == ((), (span("08:55:00", "08:55:05"),))


def test_the_session_ends_its_last_span(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")
    show.clock.advance(45)
    show.command("end")
    show.clock.advance(600)
    assert show.engine.spans(0, t_now(show)) == ((span("08:55:00", "08:55:45"),), ())


def test_an_undo_hands_the_spans_since_the_move_back_to_the_segment_before(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")
    show.clock.advance(60)
    show.command("next")  # 08:56:00, segment 2
    show.clock.advance(100)
    show.command("next")  # 08:57:40, segment 3 by mistake: it runs 20 s, is paused 10 s, runs 10 s
    show.clock.advance(20)
    show.command("pause")
    show.clock.advance(10)
    show.command("resume")
    show.clock.advance(10)
    assert show.command("previous").data["undo"] is True  # 08:58:20
    engine = show.engine
    assert engine.spans(2) == ((), ())
    assert engine.spans(1) == (
        (span("08:56:00", "08:58:00"), span("08:58:10", "08:58:20")),
        (span("08:58:00", "08:58:10"),),
    )
    show.clock.advance(30)  # segment 2 goes on: its run since the pause grows
    assert engine.spans(1, t_now(show))[0] == (span("08:56:00", "08:58:00"), span("08:58:10", "08:58:50"))
    show.command("next")  # 08:58:50
    assert engine.spans(1)[0] == (span("08:56:00", "08:58:00"), span("08:58:10", "08:58:50"))
    assert engine.spans(2) == ((), ())


def test_an_undo_hands_back_a_run_that_goes_on_as_one(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")
    show.command("goto", to=3)  # 08:55:00
    show.clock.advance(40)
    show.command("next")  # 08:55:40, segment 4 by mistake
    show.clock.advance(20)
    assert show.command("previous").data == {"from": 4, "to": 3, "undo": True}  # 08:56:00
    show.clock.advance(5)
    assert show.engine.spans(2, t_now(show)) == ((span("08:55:00", "08:56:05"),), ())
    assert show.engine.spans(3, t_now(show)) == ((), ())


def test_a_plain_previous_hands_nothing_back(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")
    show.command("goto", to=5)  # 08:55:00
    show.clock.advance(30)
    assert show.command("previous").data == {"from": 5, "to": 4, "undo": False}  # 08:55:30
    show.clock.advance(10)
    show.command("pause")
    assert show.engine.spans(4) == ((span("08:55:00", "08:55:30"),), ())
    assert show.engine.spans(3) == ((span("08:55:30", "08:55:40"),), ())


def test_an_undo_at_the_instant_of_the_move_hands_back_nothing(rehearsal: Show) -> None:
    show = rehearsal
    show.command("start")
    show.clock.advance(60)
    show.command("next")  # 08:56:00, segment 2
    show.clock.advance(30)
    show.command("goto", to=3)  # 08:56:30
    show.clock.advance(30)
    show.command("goto", to=2)  # 08:57:00, and at that same instant: next, and undone
    show.command("next")
    assert show.command("previous").data["undo"] is True
    assert show.engine.spans(2) == ((span("08:56:30", "08:57:00"),), ())
    assert show.engine.spans(1) == ((span("08:56:00", "08:56:30"),), ())


def test_an_undo_leaves_an_earlier_visit_where_it_was(rehearsal: Show) -> None:
    """Back into 3 at the instant 3 was left (through a stay of no time in 2): the run went on from the old span.

    The undo must still hand back only what came after the move, as it hands back the time.
    """
    show = rehearsal
    show.command("start")
    show.clock.advance(60)
    show.command("next")  # 08:56:00, segment 2
    show.clock.advance(30)
    show.command("goto", to=3)  # 08:56:30: a first visit to 3
    show.clock.advance(30)
    show.command("goto", to=2)  # 08:57:00
    show.command("next")  # at once, into 3 again
    show.clock.advance(20)
    show.command("previous")  # 08:57:20: undoes the `next` only
    engine = show.engine
    assert engine.spans(2) == ((span("08:56:30", "08:57:00"),), ())
    assert engine.spans(1) == ((span("08:56:00", "08:56:30"), span("08:57:00", "08:57:20")), ())
    assert [row.actual_s for row in show.view().segments[1:3]] == [50, 30]  # as the spans add up


def test_a_wall_clock_step_moves_no_span(rehearsal: Show) -> None:
    """Spans are counted from the start on the monotonic axis, as the durations are."""
    show = rehearsal
    show.command("start")
    show.clock.advance(60)
    show.clock.step_wall(3600)
    show.command("next")  # recorded at 10:56:00 by the wall clock, a minute after the start
    show.clock.advance(10)
    show.command("pause")
    assert show.engine.spans(0) == ((span("08:55:00", "08:56:00"),), ())
    assert show.engine.spans(1) == ((span("08:56:00", "08:56:10"),), ())


def test_merging_joins_what_touches_or_overlaps_and_keeps_gaps() -> None:
    assert merge_spans([(5.0, 6.0), (0.0, 2.0), (2.0, 3.0), (2.5, 4.0)]) == [(0.0, 4.0), (5.0, 6.0)]
    assert merge_spans([(0.0, 2.0), (2.5, 3.0)]) == [(0.0, 2.0), (2.5, 3.0)]
    assert merge_spans([(0.0, 5.0), (1.0, 2.0)]) == [(0.0, 5.0)]
    assert merge_spans([(0.0, 2.0), (2.5, 3.0)], tolerance=0.5) == [(0.0, 3.0)]
