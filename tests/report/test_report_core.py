"""report.model on journals the controller wrote: the scripted durations come back to the second."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pendulum
import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import LIVE, REHEARSAL
from runofshow.report.model import (
    DETACHED,
    DONE,
    ENDED,
    INTERRUPTED,
    NOT_RUN,
    NOT_STARTED,
    OPEN,
    RUNNING,
    SKIPPED,
    Part,
    SessionReport,
    compare,
    load,
)
from runofshow.report.numbers import duration
from runofshow.session.controller import Controller
from runofshow.words.display import countdown_text
from tests.kit.journals import LIVE_RUN_S, REHEARSAL_RUN_S, Driver, fixed_identity, seed_agenda


def at(text: str) -> pendulum.DateTime:
    return pendulum.parse(text)  # type: ignore[return-value]


def us(text: str) -> int:
    moment = at(text)
    return moment.int_timestamp * 1_000_000


def test_live_session_gives_back_the_scripted_durations(journals: Path) -> None:
    report = load(journals / "live.jsonl")
    assert report.state == ENDED and report.mode == LIVE
    assert {s.number: s.actual_s for s in report.segments} == LIVE_RUN_S
    assert {s.number: s.delta_s for s in report.segments} == {
        1: 30,
        2: 0,
        3: -60,
        4: 180,
        5: 30,
        6: -120,
        7: 120,
        8: -120,
        9: -60,
        10: 30,
    }
    assert [s.number for s in report.segments if s.status == SKIPPED] == [6]
    assert all(s.status == DONE for s in report.segments if s.number != 6)


def test_live_session_pauses_extensions_and_warnings(journals: Path) -> None:
    report = load(journals / "live.jsonl")
    four = report.segments[3]
    assert (four.paused_s, four.pauses, four.extended_s, four.extensions) == (120, 1, 60, 1)
    assert four.allotted_s == 660
    assert [w.label for w in four.warnings] == ["wrap-up", "final", "time's up", "+1 min", "+2 min"]
    # Crossed at 9:00, 10:00, 11:00, 12:00 and 13:00 of running time; the pause (6:00–8:00 on the wall) comes before.
    started = four.actual_start
    assert started == at("2021-10-08T09:11:30Z")
    assert [(w.crossed_us - us("2021-10-08T09:11:30Z")) // 1_000_000 for w in four.warnings] == [
        660,
        720,
        780,
        840,
        900,
    ]
    assert [w.label for w in report.segments[0].warnings] == ["time's up"]  # 1:00 is too short for wrap-up and final
    assert all(s.paused_s == 0 and s.extended_s == 0 for s in report.segments if s.number != 4)


def test_live_session_totals(journals: Path) -> None:
    report = load(journals / "live.jsonl")
    assert report.planned_s == 5400
    assert report.actual_start == at("2021-10-08T09:01:00Z")
    assert report.actual_end == at("2021-10-08T10:33:30Z")
    assert report.actual_s == sum(LIVE_RUN_S.values()) + 120 == 5550
    assert report.start_offset_s == 60
    assert report.end_offset_s == 210  # ended 19:33:30 KST against 19:30:00
    assert [(s.number, s.delta_s) for s in report.overruns] == [(4, 180), (7, 120), (1, 30)]
    assert report.overrun_s == 30 + 180 + 30 + 120 + 30
    # The end, 3:30 late: 1:00 late start, fixed +3:30 net, flexible -3:00 net, 2:00 paused.
    assert [(p.part, p.seconds) for p in report.end_parts if p.segment is None] == [
        ("start", 60),
        ("paused", 120),
        ("unrun", 0),
        ("rest", 0),
    ]
    assert report.end_part(Part.SEGMENT, flexible=False) == 210
    assert report.end_part(Part.SEGMENT, flexible=True) == -180
    assert (report.paused_s, report.pauses, report.extended_s, report.extensions) == (120, 1, 60, 1)


def test_actual_times_follow_one_another(journals: Path) -> None:
    report = load(journals / "live.jsonl")
    for before, after in zip(report.segments, report.segments[1:]):
        assert before.actual_end == after.actual_start
    four = report.segments[3]
    assert [(b - a) // 1_000_000 for a, b in four.runs] == [360, 420]  # the pause splits the run
    assert [(b - a) // 1_000_000 for a, b in four.paused] == [120]
    assert four.runs[0][0] == us("2021-10-08T09:11:30Z")


def test_rehearsal_plans_from_its_start_and_undo_gives_time_back(journals: Path) -> None:
    report = load(journals / "rehearsal.jsonl")
    assert report.mode == REHEARSAL and report.state == ENDED
    assert report.planned_start == report.actual_start == at("2021-10-07T05:03:10Z")
    assert report.start_offset_s == 0
    assert {s.number: s.actual_s for s in report.segments} == REHEARSAL_RUN_S
    two, three = report.segments[1], report.segments[2]
    # The 10 s spent in 3 before `previous` belong to 2: one unbroken run, and 3 starts after it.
    assert two.runs == ((us("2021-10-07T05:04:10Z"), us("2021-10-07T05:09:10Z")),)
    assert three.runs[0][0] == us("2021-10-07T05:09:10Z")
    assert three.actual_start == at("2021-10-07T05:09:10Z")
    assert report.end_offset_s == sum(REHEARSAL_RUN_S.values()) - 5400


def test_crashed_session_is_reported_up_to_its_last_record(journals: Path) -> None:
    report = load(journals / "crashed.jsonl")
    assert report.state == INTERRUPTED and not report.ended
    assert report.actual_end is None
    # The final-minute warning of segment 4, 9:00 into it, is the last record; 20 s after it are unknown.
    assert report.last_record == at("2021-10-08T09:20:20Z")
    four = report.open_segment
    assert four is not None and four.number == 4 and four.status == OPEN
    assert four.actual_s == 540 and four.actual_end is None
    assert [w.label for w in four.warnings] == ["wrap-up", "final"]
    assert {s.number: s.status for s in report.segments} == {
        1: DONE,
        2: DONE,
        3: DONE,
        4: OPEN,
        5: DONE,
        6: NOT_RUN,
        7: NOT_RUN,
        8: NOT_RUN,
        9: NOT_RUN,
        10: NOT_RUN,
    }
    assert {s.number: s.actual_s for s in report.segments if s.ran} == {1: 60, 2: 300, 3: 120, 4: 540, 5: 200}
    assert report.actual_s == 60 + 300 + 120 + 200 + 540
    five = report.segments[4]
    assert five.runs[0][1] == four.runs[0][0]  # 5 ran between 3 and 4


def test_detached_and_not_started(journals: Path, tmp_path: Path) -> None:
    detached = load(journals / "detached.jsonl")
    assert detached.state == DETACHED and detached.open_segment is not None
    assert detached.open_segment.number == 2 and detached.open_segment.actual_s == 100

    path = tmp_path / "idle.jsonl"
    show = Driver(path, FakeClock("2021-10-07T05:00:00Z"), seed_agenda(), REHEARSAL)
    show.crash()
    idle = load(path)
    assert idle.state == NOT_STARTED and not idle.started
    assert idle.actual_s is None and all(s.status == NOT_RUN for s in idle.segments)
    assert idle.records == 0


def test_a_journal_with_a_controller_is_running(journals: Path, tmp_path: Path) -> None:
    path = tmp_path / "crashed.jsonl"
    shutil.copy(journals / "crashed.jsonl", path)
    clock = FakeClock("2021-10-08T09:22:00Z", mono=5000.0)
    controller = Controller.open(path, clock)
    try:
        report = load(path)
        assert report.state == RUNNING
        assert report.holder is not None and report.holder.startswith("PID ")
        assert report.reopens == 1
    finally:
        controller.close()
    assert load(path).state == DETACHED


def test_a_torn_tail_is_left_out(journals: Path, tmp_path: Path) -> None:
    path = tmp_path / "torn.jsonl"
    shutil.copy(journals / "live.jsonl", path)
    lines = path.read_bytes().count(b"\n")
    with open(path, "ab") as file:
        file.write(b'{"seq":41,"type":"detach","wall":"2021-10-08T10:3')
    report = load(path)
    assert report.torn_line == lines + 1
    assert report.state == ENDED
    assert {s.number: s.actual_s for s in report.segments} == LIVE_RUN_S


def test_the_report_of_a_finished_journal_does_not_depend_on_when_it_is_made(journals: Path) -> None:
    assert load(journals / "live.jsonl") == load(journals / "live.jsonl")


# ---------------------------------------------------------------------------
# Comparing


def test_compare_lines_up_segments_and_averages_by_kind(journals: Path) -> None:
    rehearsal, live = load(journals / "rehearsal.jsonl"), load(journals / "live.jsonl")
    comparison = compare([rehearsal, live])
    assert [row.number for row in comparison.segments] == list(range(1, 11))
    assert [[c.actual_s if c else None for c in row.rows] for row in comparison.segments] == [
        [REHEARSAL_RUN_S[n], LIVE_RUN_S[n]] for n in range(1, 11)
    ]
    talk = next(k for k in comparison.kinds if k.kind == "talk")
    # Rehearsal talks: +60, -60, 0, +40; live: +180, +30, +120 (6 was cut short, so it does not count).
    assert talk.counts == (4, 3)
    assert talk.averages == (10, 110)
    assert talk.count == 7 and talk.average == pytest.approx(370 / 7)
    qa = next(k for k in comparison.kinds if k.kind == "qa")
    assert qa.averages == (0, -60)


SMALL = """
[session]
title = "Weekly seminar"
date = "2021-10-08"
timezone = "Europe/Paris"

[[segments]]
start = "10:00"
duration = "5m"
title = "Opening"
kind = "intro"

[[segments]]
duration = "20m"
title = "{talk}"
kind = "talk"
{extra}
[[segments]]
duration = "10m"
title = "Q&A"
kind = "qa"
"""


def _small_session(path: Path, talk: str, extra: str, runs: list[int]) -> SessionReport:
    agenda = parse_agenda(SMALL.format(talk=talk, extra=extra), "seminar.toml")
    with fixed_identity():
        show = Driver(path, FakeClock("2021-10-08T08:00:00Z"), agenda, REHEARSAL)
    show.do("start")
    for seconds in runs[:-1]:
        show.run(seconds)
        show.do("next")
    show.run(runs[-1])
    show.do("end")
    show.controller.close()
    return load(path)


def test_compare_matches_renamed_segments_by_place_and_adds_new_ones(tmp_path: Path) -> None:
    first = _small_session(tmp_path / "a.jsonl", "Cities and SSE", "", [300, 1260, 600])
    extra = '[[segments]]\nduration = "5m"\ntitle = "Poll"\nkind = "poll"\n'
    second = _small_session(tmp_path / "b.jsonl", "Cooperatives", extra, [240, 1200, 300, 660])
    comparison = compare([first, second])
    rows = [(row.title, [None if c is None else c.number for c in row.rows]) for row in comparison.segments]
    assert rows == [
        ("Opening", [1, 1]),
        ("Cities and SSE", [2, 2]),  # another talk in the same place: the same slot
        ("Q&A", [3, 4]),  # matched by title although it moved
        ("Poll", [None, 3]),
    ]
    talk = next(k for k in comparison.kinds if k.kind == "talk")
    assert talk.averages == (60, 0)
    poll = next(k for k in comparison.kinds if k.kind == "poll")
    assert poll.averages == (None, 0) and poll.counts == (0, 1)


def test_a_segment_visited_twice_has_two_runs(tmp_path: Path) -> None:
    show = Driver(tmp_path / "goto.jsonl", FakeClock("2021-10-07T05:00:00Z"), seed_agenda(), REHEARSAL)
    show.do("start")
    show.run(30)
    show.do("next")
    show.run(100)
    show.do("goto", to=1)  # back to 1 for a forgotten announcement
    show.run(20)
    show.do("goto", to=2)
    show.run(50)
    show.do("end")
    show.controller.close()
    report = load(tmp_path / "goto.jsonl")
    one, two = report.segments[0], report.segments[1]
    assert (one.actual_s, two.actual_s) == (50, 150)
    start = us("2021-10-07T05:00:00Z")
    assert [((a - start) // 1_000_000, (b - start) // 1_000_000) for a, b in one.runs] == [(0, 30), (130, 150)]
    assert [((a - start) // 1_000_000, (b - start) // 1_000_000) for a, b in two.runs] == [(30, 130), (150, 200)]
    assert one.actual_start == at("2021-10-07T05:00:00Z") and one.actual_end == at("2021-10-07T05:02:30Z")


def test_the_session_length_is_one_figure_on_the_screen_and_in_the_report(tmp_path: Path) -> None:
    """Start to end, pauses included, rounded by the one rule: 90.5 s is 1:31 on the ended screen and in the report."""
    show = Driver(tmp_path / "half.jsonl", FakeClock("2021-10-07T05:00:00Z"), seed_agenda(), REHEARSAL)
    show.do("start")
    show.clock.advance(40.5)
    show.do("pause")
    show.clock.advance(20)
    show.do("resume")
    show.run(10)
    show.do("next")
    show.run(20)
    show.do("end")
    view = show.controller.view()
    show.controller.close()
    assert view.total_s == 90.5 == sum((row.actual_s or 0.0) + row.paused_s for row in view.segments)
    assert countdown_text(view) == "1:31"
    report = load(tmp_path / "half.jsonl")
    assert report.actual_s == view.total_s and duration(report.actual_s) == "1:31"


def test_a_segment_moved_later_is_run_in_two_parts_and_the_report_adds_up(tmp_path: Path) -> None:
    show = Driver(tmp_path / "later.jsonl", FakeClock("2021-10-07T05:00:00Z"), seed_agenda(), REHEARSAL)
    show.do("start")
    show.run(30)
    show.do("later")  # 1 is not ready: 2 goes first, 1 keeps what it had left
    show.run(100)
    show.do("next")  # back to 1
    show.run(20)
    show.do("next")  # on to 3
    show.run(50)
    show.do("end")
    view = show.controller.view()
    show.controller.close()
    report = load(tmp_path / "later.jsonl")
    one, two, three = report.segments[:3]
    assert (one.actual_s, two.actual_s, three.actual_s) == (50, 100, 50)
    start = us("2021-10-07T05:00:00Z")
    assert [((a - start) // 1_000_000, (b - start) // 1_000_000) for a, b in one.runs] == [(0, 30), (130, 150)]
    assert [((a - start) // 1_000_000, (b - start) // 1_000_000) for a, b in two.runs] == [(30, 130)]
    assert (one.status, one.skipped, two.status) == ("done", False, "done")
    assert report.actual_s == view.total_s == 200
    assert math.fsum(p.seconds for p in report.end_parts) == pytest.approx(report.end_offset_s)
