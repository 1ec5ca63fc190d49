"""The board: three rooms, each followed from its own journal lines, ordered by urgency, a silent one flagged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.text import Text
from textual.geometry import Region
from textual.widgets import Static

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.derive import derive
from runofshow.session.controller import Controller
from runofshow.sync.rooms import LineFollower
from runofshow.tui.board import BoardApp, BoardScreen, BoardTable, RoomScreen
from runofshow.tui.board_models import RoomRow
from runofshow.words.display import countdown_text
from runofshow.words.timefmt import describe_offset

SnapCompare = Callable[..., bool]


class Room:
    """A controller writing one room's journal, and the board's follower fed its lines as a hub would."""

    def __init__(self, name: str, path: Path, clock: FakeClock, agenda: Agenda) -> None:
        self.controller = Controller.open(path, clock, agenda=agenda, mode="live")
        self.path = path
        self.follower = LineFollower(name, clock)
        self._sent = 0

    def send(self) -> None:
        """Hand the follower every line written since the last send (a record or the header is also a beat)."""
        lines = self.path.read_bytes().splitlines()
        for line in lines[self._sent :]:
            self.follower.take_line(line)
        self._sent = len(lines)


@pytest.fixture
def rooms(tmp_path: Path, clock: FakeClock, agenda: Agenda) -> Iterator[dict[str, Room]]:
    """Three rooms of the seed agenda at 09:17:10 UTC: one on time in wrap-up, one behind in overtime, one behind."""
    made = {name: Room(name, tmp_path / f"{name}.jsonl", clock, agenda) for name in ("hall-a", "hall-b", "hall-c")}
    clock.set_wall("2021-10-08T09:00:00Z")
    for room in made.values():
        room.controller.command("start")
    clock.advance(60)
    for room in made.values():
        room.controller.command("next")
    clock.advance(300)
    for room in made.values():
        room.controller.command("next")
    clock.advance(300)
    made["hall-a"].controller.command("next")  # on time: Young Kim
    made["hall-c"].controller.command("next")
    made["hall-c"].controller.command("message", text="Please wrap up \x1b[31m")
    clock.advance(120)
    made["hall-c"].controller.command("pause")  # hall-b stays in segment 3, into overtime
    clock.advance(370)
    for room in made.values():
        room.controller.poll()
        room.send()
    yield made
    for room in made.values():
        room.controller.close()


def plain(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


def board_rows(app: BoardApp) -> list[RoomRow]:
    model = app.board.model
    assert model is not None
    return [row for row in model.rows if isinstance(row, RoomRow)]


async def test_rooms_are_ordered_by_urgency_with_the_figures_of_their_own_views(
    rooms: dict[str, Room], clock: FakeClock
) -> None:
    app = BoardApp([room.follower for room in rooms.values()], local_zone="UTC")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        rows = board_rows(app)
        assert [row.room for row in rows] == ["hall-b", "hall-a", "hall-c"]  # overtime, wrap-up, paused behind
        for row in rows:
            view = derive(rooms[row.room].controller.engine, clock.read())
            assert row.countdown == countdown_text(view)  # one derivation: the board computes nothing
            assert row.offset == describe_offset(view.offset_s)
            assert row.silent_s is None
        assert rows[0].alert.level == "overtime" and rows[1].alert.level == "wrap_up"
        assert rows[2].message == "Please wrap up \x1b[31m"
        table = app.query_one(BoardTable)
        drawn = "".join(segment.text for strip in table.render_lines(Region(0, 0, *table.size)) for segment in strip)
        assert "hall-b" in drawn and "\x1b" not in drawn  # the message's escape is shown, not obeyed


async def test_a_silent_room_is_flagged_at_the_top_within_its_timeout(rooms: dict[str, Room], clock: FakeClock) -> None:
    app = BoardApp([room.follower for room in rooms.values()], local_zone="UTC")
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(9):  # hall-b and hall-c keep beating; hall-a's controller has gone quiet
            clock.advance(1)
            rooms["hall-b"].follower.beat()
            rooms["hall-c"].follower.beat()
            app.refresh_now()
            await pilot.pause()
            assert app.board.model is not None and app.board.model.silent == 0
        clock.advance(1.5)
        rooms["hall-b"].follower.beat()
        rooms["hall-c"].follower.beat()
        app.refresh_now()
        await pilot.pause()
        rows = board_rows(app)
        assert rows[0].room == "hall-a" and rows[0].silent_s == 10
        assert "1 SILENT" in plain(app.board.top)
        rooms["hall-a"].controller.command("next")  # it comes back: a record is heard of it
        rooms["hall-a"].send()
        app.refresh_now()
        await pilot.pause()
        assert all(row.silent_s is None for row in board_rows(app))


async def test_keys_move_between_rooms_and_open_one_in_full_and_back(rooms: dict[str, Room]) -> None:
    app = BoardApp([room.follower for room in rooms.values()], local_zone="UTC")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.selected == "hall-b"
        await pilot.press("down")
        assert app.selected == "hall-a"
        await pilot.press("down", "down", "down")
        assert app.selected == "hall-c"  # stays on the last
        await pilot.press("up", "enter")
        assert isinstance(app.screen, RoomScreen)
        assert app.opened is not None and app.opened[0] is rooms["hall-a"].follower
        title = plain(app.screen.query_one("#top", Static))
        assert title.startswith("FOLLOWING")
        screen = app.screen
        assert screen.view is not None and screen.view.focus.segment.speaker == "Young Kim"
        await pilot.press("q")
        assert isinstance(app.screen, BoardScreen) and app.opened is None
        assert app.is_running  # q in a room goes back; q on the board quits
        await pilot.press("q")
    assert not app.is_running


def test_board_snapshot(rooms: dict[str, Room], snap_compare: SnapCompare) -> None:
    app = BoardApp([room.follower for room in rooms.values()], local_zone="UTC")
    assert snap_compare(app, terminal_size=(100, 30))
