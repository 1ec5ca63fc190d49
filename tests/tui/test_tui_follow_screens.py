"""The co-host's screens: the full view with no control keys, and the stage view."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.session.controller import Controller
from runofshow.sync.follower import FileFollower
from runofshow.tui.app import RunofshowApp, StageApp
from runofshow.tui.widgets import BigClock, KeyBar, big_text
from tests.kit.screens import to_young_kim

SnapCompare = Callable[..., bool]


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


async def test_follower_screen_has_no_control_keys(agenda: Agenda, clock: FakeClock, journal: Path) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 100)
    follower = FileFollower(journal, clock)
    follower.poll()
    app = RunofshowApp(follower, journal_label=str(journal), local_zone="UTC")
    async with app.run_test(size=(100, 30)) as pilot:
        assert plain(app.query_one("#top", Static)).startswith("FOLLOWING")
        keys = plain(app.query_one(KeyBar))
        assert "quit" in keys and "next" not in keys and "start/pause" not in keys
        before = journal.read_bytes()
        await pilot.press("space", "n", "p", "plus", "s", "e", "y", "c")
        assert journal.read_bytes() == before  # a follower cannot change the session
        assert controller.engine.current == 3
        assert "controller PID" in plain(app.query_one("#status", Static))
        controller.close()
        clock.advance(2)  # the lock is looked at every 2 s, not on every redraw
        app.refresh_now()
        await pilot.pause()
        assert "NO CONTROLLER" in plain(app.query_one("#status", Static))


async def test_stage_view_shows_only_the_countdown_title_and_speaker(
    agenda: Agenda, clock: FakeClock, journal: Path
) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 490)
    follower = FileFollower(journal, clock)
    app = StageApp(follower)
    async with app.run_test(size=(100, 30)) as pilot:
        big = app.query_one(BigClock)
        assert big.has_class("-wrap_up")
        assert "█" in plain(big)
        assert plain(app.query_one("#stage-title", Static)) == "Network of local governments promoting SSE"
        assert plain(app.query_one("#stage-speaker", Static)) == "Young Kim"
        clock.advance(120)
        controller.poll()
        app.refresh_now()
        await pilot.pause()
        assert big.has_class("-overtime")
        assert app.bells == 0  # the audience hears nothing
    controller.close()


def test_big_text_fits_and_scales() -> None:
    small = big_text("10:00", 40, 10)
    large = big_text("10:00", 160, 40)
    assert small and large
    assert max(len(line) for line in small) <= 40 and len(small) <= 10
    assert max(len(line) for line in large) <= 160 and len(large) <= 40
    assert len(large) > len(small) and len(large[0]) > len(small[0])
    assert big_text("+1:05", 0, 10) == []


def test_stage_snapshot_in_overtime(agenda: Agenda, clock: FakeClock, journal: Path, snap_compare: SnapCompare) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 600)
    controller.command("next")
    clock.advance(700)
    app = StageApp(FileFollower(journal, clock))
    try:
        assert snap_compare(app, terminal_size=(100, 30))
    finally:
        controller.close()


def test_follow_snapshot(agenda: Agenda, clock: FakeClock, journal: Path, snap_compare: SnapCompare) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 200)
    controller.close()
    app = RunofshowApp(FileFollower(journal, clock), journal_label="session.jsonl", local_zone="UTC")
    assert snap_compare(app, terminal_size=(100, 30))
