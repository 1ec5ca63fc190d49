"""The board over follow links: three served sessions on loopback, one of whose server goes silent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.errors import UserError
from runofshow.session.controller import Controller
from runofshow.sync import server as server_module
from runofshow.sync.rooms import Rooms, connect_ws, split_link, ws_rooms
from runofshow.sync.server import JournalServer, bind
from runofshow.tui.board import BoardApp
from runofshow.tui.board_models import RoomRow
from tests.kit.follow import TIMEOUT_S, TOKEN

Serve = Callable[..., Awaitable[JournalServer]]


def test_a_link_takes_its_key_after_the_hash_as_the_pages_links_do() -> None:
    assert split_link("ws://127.0.0.1:8765/#KEY") == ("ws://127.0.0.1:8765/", "KEY")
    assert split_link("ws://127.0.0.1:8765/?token=T") == ("ws://127.0.0.1:8765/?token=T", None)
    named = ws_rooms(["hall-a=ws://127.0.0.1:8765/#KEY", "ws://127.0.0.1:8766/?token=T"], FakeClock())
    assert [room.room for room in named] == ["hall-a", "127.0.0.1:8766"]
    with pytest.raises(UserError, match="token is needed"):
        ws_rooms(["ws://127.0.0.1:8765/"], FakeClock())
    with pytest.raises(UserError, match="not a follow address"):
        ws_rooms(["http://127.0.0.1:8765/#KEY"], FakeClock())


async def test_three_served_rooms_on_one_board_and_a_silent_one_flagged(
    tmp_path: Path, clock: FakeClock, agenda: Agenda, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module, "HEARTBEAT_S", 0.2)
    controllers = [Controller.open(tmp_path / f"{n}.jsonl", clock, agenda=agenda, mode="live") for n in range(3)]
    servers = [await serve(controller) for controller in controllers]
    clock.set_wall("2021-10-08T09:00:00Z")
    controllers[1].command("start")
    clock.advance(90)  # room 1 in overtime in its 1-minute opening; rooms 0 and 2 are late to start
    with pytest.raises(UserError, match="refused the token"):  # a wrong key is said at once
        await connect_ws(Rooms(), ws_rooms([f"ws://127.0.0.1:{servers[0].port}/#wrong"], clock))
    away = bind("127.0.0.1", 0)
    away_port = away.getsockname()[1]
    away.close()  # nothing listens there: the room waits, and is tried again
    rooms = Rooms()
    await connect_ws(rooms, ws_rooms([f"ws://127.0.0.1:{away_port}/#{TOKEN}"], clock), timeout=2)
    assert len(rooms.rooms) == 1 and "connection refused" in (rooms.rooms[0].problem or "")
    await rooms.close()
    rooms = Rooms()
    links = [f"ws://127.0.0.1:{server.port}/#{TOKEN}" for server in servers]
    found = ws_rooms(links, clock)
    await connect_ws(rooms, found)
    app = BoardApp(rooms.rooms, changes=rooms.changes, local_zone="UTC")
    try:
        async with app.run_test(size=(100, 30)) as pilot:

            async def until(predicate: Callable[[], bool]) -> None:
                async with asyncio.timeout(TIMEOUT_S):
                    while not predicate():
                        app.refresh_now()
                        await pilot.pause(0.05)

            def rows() -> list[RoomRow]:
                model = app.board.model
                return [] if model is None else [row for row in model.rows if isinstance(row, RoomRow)]

            await until(lambda: len(rows()) == 3)
            assert rows()[0].room == found[1].room and rows()[0].alert.level == "overtime"
            await servers[2].close()  # its controller's server gone: nothing more is heard of the room
            clock.advance(10)
            # The two others are heard of again within a heartbeat; the third never is.
            await until(lambda: all(_heard_within(room.quiet_s(), 1) for room in (found[0], found[1])))
            await until(lambda: [row.silent_s is not None for row in rows()] == [True, False, False])
            assert rows()[0].room == found[2].room and rows()[0].silent_s == 10
    finally:
        await rooms.close()
        for controller in controllers:
            controller.close()


def _heard_within(quiet_s: float | None, seconds: float) -> bool:
    return quiet_s is not None and quiet_s < seconds
