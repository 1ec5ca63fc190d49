"""The moderator's keys for adopt (a), later (l), cut (s, asks), a pinned message (t, ctrl+t), and "✓ seen"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Static

from runofshow.clock import FakeClock
from runofshow.session.controller import Controller
from runofshow.session.replay import replay
from runofshow.tui.app import RunofshowApp
from runofshow.tui.widgets import AgendaTable
from tests.kit.screens import to_young_kim

AppFactory = Callable[..., tuple[RunofshowApp, Controller]]
SnapCompare = Callable[..., bool]


def text_of(app: RunofshowApp, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    return content.plain if isinstance(content, Text) else str(content)


def row(app: RunofshowApp, index: int) -> list[str]:
    return [cell.plain for cell in app.screen.query_one(AgendaTable).get_row_at(index)]


async def test_a_adopts_the_advice_and_the_row_shows_the_length(
    make_app: AppFactory, clock: FakeClock, journal: Path
) -> None:
    app, controller = make_app("live")
    clock.set_wall("2021-10-08T09:00:00Z")
    controller.command("start")
    clock.set_wall("2021-10-08T09:55:00Z")  # the discussion (8) starts 4 minutes late
    controller.command("goto", to=8)
    advised = {f.number: f.shrink_to_s for f in controller.view().flex}[8]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert controller.view().allotted_s == advised
        minutes, seconds = divmod(advised, 60)
        assert row(app, 7)[1] == f"18:51 →{minutes}m{seconds:02d}s"
        await pilot.press("a")  # once only
        await pilot.pause()
        assert "already took the advice" in text_of(app, "#cue")
    assert replay(journal).engine.segments[7].adopted_s == advised


async def test_a_in_a_fixed_segment_says_why_it_does_nothing(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 100)
    async with app.run_test(size=(100, 30)) as pilot:
        seq = controller.engine.seq
        await pilot.press("a")
        await pilot.pause()
        assert "segment 4 is not flexible" in text_of(app, "#cue")
        assert controller.engine.seq == seq


async def test_l_runs_the_next_speaker_first_and_keeps_the_time(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 120)  # Young Kim (4) has 8 minutes left
    behind = controller.view().offset_s
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        view = controller.view()
        assert view.current == 4 and view.offset_s == behind  # nothing was cut
        assert row(app, 3)[4:] == ["2:00", "later"]
        assert view.segments[3].expected_start_us is not None  # expected again, after 5
        assert "Young Kim" in text_of(app, "#next-up") and "(8:00)" in text_of(app, "#next-up")  # what it has left
        await pilot.press("n")
        assert controller.view().current == 3


async def test_s_asks_before_cutting_and_says_l_keeps_it(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 120)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        assert "Cut segment 4" in text_of(app, "#dialog-question")
        assert "press l (later)" in text_of(app, "#dialog-detail")
        await pilot.press("n")  # no: nothing is cut
        assert controller.view().current == 3
        await pilot.press("s", "y")
        assert controller.view().current == 4 and controller.view().segments[3].skipped


async def test_t_with_ctrl_t_sends_a_pinned_message_that_outlives_the_segment(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 100)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t")
        assert text_of(app, "#message-pin").startswith("[ ] For this segment")
        await pilot.press("ctrl+t")
        assert text_of(app, "#message-pin").startswith("[x] Pinned")
        await pilot.press(*"Doors", "enter")
        await pilot.pause()
        assert "Message: Doors  pinned" in text_of(app, "#cue")
        await pilot.press("t", *"Wrap", "enter")  # not pinned: goes with the segment
        await pilot.press("n")
        await pilot.pause()
        assert controller.view().message is None
        assert "Message:" not in text_of(app, "#cue")


async def test_the_speaker_s_got_it_shows_beside_the_message(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 100)
    controller.command("message", text="One minute")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "✓ seen" not in text_of(app, "#cue")
        controller.command("seen")
        app.refresh_now()
        await pilot.pause()
        assert "Message: One minute  ✓ seen" in text_of(app, "#cue")


@pytest.mark.slow
def test_a_moderator_after_later_and_adopt_at_100_by_30(
    make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare
) -> None:
    """Young Kim moved after Eric; the discussion, entered late, took the advice; a pinned message seen."""
    app, controller = make_app("live")
    to_young_kim(controller, clock, 120)
    controller.command("later")
    clock.advance(600)
    controller.command("next")  # back to Young Kim, with 8 minutes
    clock.advance(480)
    controller.command("next")
    for _ in range(2):  # 6 and 7 run 11:40 each: the discussion starts 3:20 late
        clock.advance(700)
        controller.command("next")
    controller.command("adopt")
    controller.command("message", text="Doors close at 19:30", pinned=True)
    controller.command("seen")
    clock.advance(30)
    assert snap_compare(app, terminal_size=(100, 30))
