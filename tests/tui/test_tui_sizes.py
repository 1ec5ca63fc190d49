"""The countdown fills the room there is, from 80x24 to 200x50; the stage view says nothing about the link."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Static

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.session.controller import Controller
from runofshow.sync.follower import FileFollower
from runofshow.tui.app import RunofshowApp, StageApp
from runofshow.tui.widgets import AgendaTable, BigClock, KeyBar
from tests.kit import crash
from tests.kit.screens import to_young_kim

AppFactory = Callable[..., tuple[RunofshowApp, Controller]]
SnapCompare = Callable[..., bool]


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


def clock_rows(app: RunofshowApp | StageApp, selector: str) -> int:
    """How many rows of the big clock have ink on them."""
    return sum(1 for line in plain(app.screen.query_one(selector, BigClock)).splitlines() if line.strip("\u00a0 "))


@pytest.mark.parametrize(
    ("size", "layout", "least"),
    [((80, 24), "digits", 0), ((100, 30), "digits", 0), ((120, 35), "-tall", 10), ((200, 50), "-wide", 10)],
)
async def test_the_countdown_takes_the_rows_the_agenda_leaves(
    make_app: AppFactory, clock: FakeClock, size: tuple[int, int], layout: str, least: int
) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 180)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        if layout == "digits":
            assert not screen.has_class("-tall") and not screen.has_class("-wide")
            assert screen.query_one("#countdown-digits").display
            return
        assert screen.has_class(layout)
        assert clock_rows(app, "#wide-clock") >= least
        table = screen.query_one(AgendaTable)
        assert table.size.height >= table.row_count + 1  # every row of the agenda still shows


async def test_the_clock_stays_when_a_cue_appears(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 470)
    async with app.run_test(size=(120, 35)) as pilot:
        assert app.screen.has_class("-tall")
        clock.advance(20)  # wrap-up: a cue line appears
        app.refresh_now()
        await pilot.pause()
        assert app.screen.has_class("-tall") and "Cue:" in plain(app.screen.query_one("#cue", Static))


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 35), (200, 50)])
async def test_the_stage_clock_fills_the_screen(
    agenda: Agenda, clock: FakeClock, journal: Path, size: tuple[int, int]
) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 100)
    app = StageApp(FileFollower(journal, clock))
    async with app.run_test(size=size):
        rows = clock_rows(app, "#stage-clock")
        assert rows >= size[1] // 3  # no thin digits over empty rows
    controller.close()


async def test_the_stage_shows_link_trouble_only_as_a_mark(agenda: Agenda, clock: FakeClock, journal: Path) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 100)
    follower = FileFollower(journal, clock)
    app = StageApp(follower)
    async with app.run_test(size=(100, 30)) as pilot:
        assert plain(app.screen.query_one("#stage-link", Static)) == ""
        crash(controller)  # the moderator's program is gone
        clock.advance(2)
        app.refresh_now()
        await pilot.pause()
        shown = " ".join(plain(widget) for widget in app.screen.query(Static))
        assert plain(app.screen.query_one("#stage-link", Static)) == "○"
        assert "CONTROLLER" not in shown and "following" not in shown and "moderator" not in shown


@pytest.mark.slow
def test_a_moderator_at_120_by_35(make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 490)
    assert snap_compare(app, terminal_size=(120, 35))


def test_the_stage_at_120_by_35(agenda: Agenda, clock: FakeClock, journal: Path, snap_compare: SnapCompare) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 490)
    app = StageApp(FileFollower(journal, clock))
    try:
        assert snap_compare(app, terminal_size=(120, 35))
    finally:
        controller.close()


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 35), (200, 50)])
async def test_every_agenda_row_shows_while_serving_with_a_cue_and_a_message(
    make_app: AppFactory, clock: FakeClock, size: tuple[int, int]
) -> None:
    """The tightest moment: a three-line status (the co-host's command), a cue and a message."""
    app, controller = make_app("live", serving="runofshow follow http://127.0.0.1:8765/#token")
    to_young_kim(controller, clock, 490)
    controller.command("message", text="Please look at the chat, a question came in from Seoul")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        table = app.screen.query_one(AgendaTable)
        keys = app.screen.query_one("#keys", KeyBar)
        assert keys.size.height == keys.rows  # the key bar takes the rows its lines need, no more
        assert table.size.height >= table.row_count + 1 and table.scroll_y == 0


@pytest.mark.slow
def test_a_moderator_serving_at_80_by_24(make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare) -> None:
    app, controller = make_app("live", serving="runofshow follow http://127.0.0.1:8765/#token")
    to_young_kim(controller, clock, 490)
    controller.command("message", text="Please look at the chat")
    assert snap_compare(app, terminal_size=(80, 24))


@pytest.mark.slow
def test_a_moderator_at_100_by_30_in_the_discussion(
    make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare
) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 600)
    controller.command("goto", to=7)  # Martin, in Toronto
    assert snap_compare(app, terminal_size=(100, 30))


@pytest.mark.slow
def test_a_moderator_at_200_by_50_with_a_speaker_far_away(
    make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare
) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 600)
    controller.command("goto", to=7)
    assert snap_compare(app, terminal_size=(200, 50))
