"""The moderator's screen: keys carry the seq they were pressed on; commands from outside run as keys do."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.commands import Ack, Command, Next, Pause
from runofshow.session.bus import Answer, Inbound
from runofshow.session.controller import Controller
from runofshow.session.inbound import Answers
from runofshow.tui.app import RunofshowApp


class Recording:
    """The controller's commands, noted as the screen sends them."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.sent: list[tuple[Command, int]] = []

    def command(self, command: Command, /) -> Ack:
        self.sent.append((command, self.controller.engine.seq))
        return self.controller.command(command)


def cue(app: RunofshowApp) -> str:
    content = app.screen.query_one("#cue", Static).content
    return content.plain if isinstance(content, Text) else str(content)


def answered(got: list[Answer], count: int) -> bool:
    return len(got) > count


async def until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_the_moderator_s_keys_carry_the_seq_they_were_pressed_on(
    journal: Path, clock: FakeClock, agenda: Agenda
) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="rehearsal")
    controls = Recording(controller)
    app = RunofshowApp(controller, controls, journal_label="session.jsonl", local_zone="UTC")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("space")
            await pilot.pause()
            await pilot.press("n")
            await pilot.pause()
        assert [(type(c).__name__, c.if_seq == seq) for c, seq in controls.sent] == [("Start", True), ("Next", True)]
        assert controller.view().focus.number == 2
    finally:
        controller.close()


async def test_a_command_from_outside_runs_as_a_key_is_said_on_the_cue_line_and_answered_once_on_disk(
    journal: Path, clock: FakeClock, agenda: Agenda
) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="rehearsal")
    controller.command("start")
    answers = Answers(controller.bus, controller.durable_seq, lambda: controller.engine.seq)
    app = RunofshowApp(controller, controller, journal_label="session.jsonl", local_zone="UTC", remote=answers)
    got: list[Answer] = []
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            seen = controller.engine.seq
            commands: list[Command] = [Next(actor="cohost:Ana", if_seq=seen), Pause(actor="api:deck", if_seq=seen)]
            for count, command in enumerate(commands):
                # Published from another thread, as the server's channel does.
                thread = threading.Thread(target=controller.bus.commands.publish, args=(Inbound(command, got.append),))
                thread.start()
                thread.join()
                await until(partial(answered, got, count))
                await pilot.pause()
            assert got[0].ok and got[0].seq == seen + 1 and controller.durable_seq >= got[0].seq
            assert not got[1].ok and got[1].code == 409 and got[1].stale and got[1].seq == seen + 1
            assert "Ana: next" in cue(app)
            assert controller.view().focus.number == 2 and not controller.view().paused
    finally:
        controller.close()
