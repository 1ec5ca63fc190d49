"""A room's co-host screen: the controller's silence on the banner, and `o` to take the room over."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.errors import RunofshowError
from runofshow.session.controller import Controller
from runofshow.sync.follower import FileFollower
from runofshow.tui.app import RunofshowApp
from runofshow.tui.dialogs import ConfirmScreen
from runofshow.tui.moderator import ModeratorScreen
from runofshow.tui.room import RoomFollowScreen
from runofshow.tui.screens import FollowScreen
from runofshow.tui.widgets import KeyBar
from runofshow.words.takeover import taken_over_line
from tests.kit import crash
from tests.kit.screens import to_young_kim


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


@dataclass
class Handed:
    source: Controller
    controls: Controller
    journal_label: str


class FakeRoom:
    """A room's takeover with its silence on the fake clock; taking over opens a copy of the journal."""

    room = "hall-a"
    silent_after_s = 10.0

    def __init__(self, clock: FakeClock, journal: Path, copy: Path) -> None:
        self.clock, self.journal, self.copy = clock, journal, copy
        self.heard = clock.read().mono
        self.refuse: str | None = None
        self.taken: list[float] = []
        self.controller: Controller | None = None

    def silent_s(self) -> float:
        return self.clock.read().mono - self.heard

    def take_over(self, silent_s: float) -> Handed:
        if self.refuse:
            raise RunofshowError(self.refuse)
        self.taken.append(silent_s)
        shutil.copyfile(self.journal, self.copy)
        self.controller = Controller.open(self.copy, self.clock, wait=False)
        self.controller.take_over("kim@stage", self.controller.engine.seq, silent_s, by="ana@booth")
        return Handed(self.controller, self.controller, "hall-a on the hub")


async def test_a_silent_controller_is_said_and_o_takes_the_room_over(
    agenda: Agenda, clock: FakeClock, journal: Path, tmp_path: Path
) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 100)
    crash(controller)  # kill -9: no detach
    room = FakeRoom(clock, journal, tmp_path / "copy.jsonl")
    follower = FileFollower(journal, clock)
    follower.poll()
    app = RunofshowApp(follower, journal_label="hall-a", local_zone="UTC", takeover=room)
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.live, RoomFollowScreen)
        assert "take over" in plain(app.query_one(KeyBar))
        banner = app.query_one("#banner", Static)
        assert "silent" not in plain(banner)

        # Not silent yet: refused at once, saying how long until it would be.
        clock.advance(4)
        await pilot.press("o")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert "was heard 0:04 ago; a controller is silent after 0:10" in plain(app.query_one("#cue", Static))
        assert room.taken == []

        clock.advance(8)
        app.refresh_now()
        await pilot.pause()
        assert "silent for 0:12: press o to take over" in plain(banner)

        # Refused by the hub: the one line, and the co-host still follows.
        room.refuse = "not taken over: that is not room hall-a's control token"
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Take over room hall-a from" in str(app.screen.question) and "0:12" in app.screen.question
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.live, RoomFollowScreen)
        assert "that is not room hall-a's control token" in plain(app.query_one("#cue", Static))

        # Taken over: the moderator's screen on the copy, whose keys change the session.
        room.refuse = None
        clock.advance(1)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert room.taken == [13.0]
        assert isinstance(app.live, ModeratorScreen) and app.screen is app.live
        assert room.controller is not None and room.controller.engine.epoch == 2
        before = room.controller.engine.current
        await pilot.press("n")
        await pilot.pause()
        assert room.controller.engine.current == (before or 0) + 1
        assert "next" in plain(app.screen.query_one(KeyBar))
    assert room.controller is not None
    room.controller.close()


async def test_a_controller_taken_over_only_follows_and_says_who_took_over(
    agenda: Agenda, clock: FakeClock, journal: Path, tmp_path: Path
) -> None:
    controller = Controller.open(journal, clock, agenda=agenda, mode="live")
    to_young_kim(controller, clock, 100)
    room = tmp_path / "room.jsonl"
    shutil.copyfile(journal, room)
    app = RunofshowApp(controller, controller, journal_label="session.jsonl", local_zone="UTC")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert controller.engine.current == 4
        controller.close(detach=False)
        why = taken_over_line("ana@booth", clock.read().wall_us, 2)
        app.become_follower(FileFollower(room, clock), None, why)
        await pilot.pause()
        assert isinstance(app.screen, FollowScreen) and app.screen is app.live
        assert why in plain(app.screen.query_one("#banner", Static))
        assert "ana@booth took this session over at 09:12:40 (epoch 2)" in why
        keys = plain(app.screen.query_one(KeyBar))
        assert "next" not in keys and "take over" not in keys
        before = room.read_bytes()
        await pilot.press("space", "n", "e", "y", "t")
        await pilot.pause()
        assert room.read_bytes() == before and controller.engine.current == 4
        clock.advance(3)
        app.refresh_now()
        await pilot.pause()
        assert why in plain(app.screen.query_one("#banner", Static))  # kept, tick after tick
