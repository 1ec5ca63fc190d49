"""Messages to the speaker: the t prompt, its presets, and the flash on every screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Input, OptionList, Static

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.session.controller import Controller
from runofshow.session.replay import replay
from runofshow.sync.follower import FileFollower
from runofshow.tui.app import BOUNDARY_MARGIN_S, RunofshowApp, StageApp
from runofshow.tui.widgets import AgendaTable
from runofshow.tui.words import MESSAGE_PRESETS, message_presets
from tests.kit.screens import to_young_kim

AppFactory = Callable[..., tuple[RunofshowApp, Controller]]
SnapCompare = Callable[..., bool]


def text_of(app: RunofshowApp | StageApp, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    return content.plain if isinstance(content, Text) else str(content)


def styles_of(app: RunofshowApp | StageApp, selector: str) -> str:
    content = app.screen.query_one(selector, Static).content
    assert isinstance(content, Text)
    return " ".join([str(content.style), *(str(span.style) for span in content.spans)])


async def advance(app: RunofshowApp | StageApp, clock: FakeClock, pilot: object, seconds: float) -> None:
    clock.advance(seconds)
    app.refresh_now()
    await pilot.pause()  # type: ignore[attr-defined]


def test_presets_are_the_cue_the_usual_requests_who_is_next_and_the_agendas() -> None:
    presets = message_presets("Kim, 2 minutes left", "Eric", ("Slides, please",), ("Kim: mic", "Slides, please"))
    assert presets == ("Kim, 2 minutes left", *MESSAGE_PRESETS, "Next: Eric", "Slides, please", "Kim: mic")
    assert message_presets(None, None, (), ()) == MESSAGE_PRESETS


@pytest.mark.slow
async def test_t_sends_a_preset_that_flashes_for_five_seconds(
    make_app: AppFactory, clock: FakeClock, journal: Path
) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 100)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t")
        assert app.screen.__class__.__name__ == "MessageScreen"
        presets = [str(option.prompt) for option in app.screen.query_one(OptionList).options]
        assert presets[:3] == list(MESSAGE_PRESETS) and "Next: Eric Leyton Inostroza" in presets
        await pilot.press("down", "enter")
        assert app.screen.__class__.__name__ == "ModeratorScreen"
        assert "Message: Please wrap up" in text_of(app, "#cue")
        assert "reverse" in styles_of(app, "#cue")  # lit in the first second
        await advance(app, clock, pilot, 1)
        assert "reverse" not in styles_of(app, "#cue")  # off in the second
        await advance(app, clock, pilot, 1)
        assert "reverse" in styles_of(app, "#cue")
        await advance(app, clock, pilot, 4)
        assert "reverse" not in styles_of(app, "#cue")  # steady after 5 s
        assert "Message: Please wrap up" in text_of(app, "#cue")
    assert replay(journal).engine.message is not None


@pytest.mark.slow
async def test_free_text_is_sent_literally_and_an_empty_line_or_shift_t_clears(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app, controller = make_app("rehearsal")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space", "t")
        app.screen.query_one(Input).value = "[bold]Mic[/bold] 🎤"
        await pilot.press("enter")
        assert controller.view().message == "[bold]Mic[/bold] 🎤"
        assert "Message: [bold]Mic[/bold] 🎤" in text_of(app, "#cue")
        await pilot.press("t", "enter")  # an empty line
        assert controller.view().message is None and "Message" not in text_of(app, "#cue")
        await pilot.press("t", "escape")  # Esc sends nothing
        assert controller.view().message is None
        await pilot.press("t", "up", "enter")  # the last preset
        assert controller.view().message is not None
        await pilot.press("T")
        assert controller.view().message is None


async def test_the_agenda_adds_its_own_presets(tmp_path: Path, clock: FakeClock) -> None:
    agenda = parse_agenda(
        'messages = ["Five minutes to the break"]\n'
        '[session]\ntitle = "Show"\ndate = "2021-10-08"\ntimezone = "UTC"\n'
        '[[segments]]\nstart = "09:00"\nduration = "10m"\ntitle = "Talk"\nspeaker = "Ana"\n'
        'messages = ["Ana: your slides, please"]\n',
        "show.toml",
    )
    controller = Controller.open(tmp_path / "show.jsonl", clock, agenda=agenda, mode="rehearsal")
    app = RunofshowApp(controller, controller, journal_label="show.jsonl", local_zone="UTC")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t")
        presets = [str(option.prompt) for option in app.screen.query_one(OptionList).options]
        assert presets[-2:] == ["Five minutes to the break", "Ana: your slides, please"]
    controller.close()


async def test_the_message_reaches_the_follower_and_the_stage(agenda: Agenda, clock: FakeClock, journal: Path) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 100)
    controller.command("message", text="We can't hear you")
    follow = RunofshowApp(FileFollower(journal, clock), journal_label="session.jsonl", local_zone="UTC")
    async with follow.run_test(size=(100, 30)):
        assert "Message: We can't hear you" in text_of(follow, "#cue")
        assert "reverse" in styles_of(follow, "#cue")
    stage = StageApp(FileFollower(journal, clock))
    async with stage.run_test(size=(100, 30)) as pilot:
        assert text_of(stage, "#stage-message") == "We can't hear you"
        assert "reverse" in styles_of(stage, "#stage-message")
        await advance(stage, clock, pilot, 6)
        assert "reverse" not in styles_of(stage, "#stage-message")
        controller.command("message", text="")
        await advance(stage, clock, pilot, 0)
        assert text_of(stage, "#stage-message") == ""
    controller.close()


async def test_a_new_message_wakes_the_screen_for_its_flash(make_app: AppFactory, clock: FakeClock) -> None:
    """Before the start nothing else moves, but the flash must still go on and off by the second."""
    app, controller = make_app("rehearsal")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t", "down", "enter")
        assert app.next_delay(app.source.view()) <= 1.0 + BOUNDARY_MARGIN_S
        await advance(app, clock, pilot, 6)
        assert app.next_delay(app.source.view()) > 1.0 + BOUNDARY_MARGIN_S


async def test_rows_ahead_show_when_they_are_expected_to_start(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 660)  # Young Kim, a minute over
    async with app.run_test(size=(120, 35)):
        table = app.screen.query_one(AgendaTable)
        rows = [[cell.plain for cell in table.get_row_at(index)] for index in range(table.row_count)]
        assert rows[0][3] == "18:00" and rows[3][3] == "18:11"  # done and current: when they started
        assert rows[4][3] == "~18:22"  # Eric, planned at 18:21, the show a minute behind
        assert all(row[3].startswith("~") for row in rows[4:])


@pytest.mark.slow
def test_the_stage_with_a_message(agenda: Agenda, clock: FakeClock, journal: Path, snap_compare: SnapCompare) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 490)
    controller.command("message", text="Please wrap up")
    clock.advance(10)  # past the flash
    app = StageApp(FileFollower(journal, clock))
    try:
        assert snap_compare(app, terminal_size=(100, 30))
    finally:
        controller.close()
