"""The board's page: the board's rows to a page with the board's key, from its own origin, under the pages' CSP."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.session.controller import Controller
from runofshow.sync.board_page import BoardPage
from runofshow.sync.listen import bind
from runofshow.sync.rooms import LineFollower
from runofshow.sync.web import CSP
from runofshow.tui.board_models import look, row_json
from tests.kit.follow import TIMEOUT_S

KEY = "board-key-0123456789"


@pytest.mark.network
async def test_the_page_gets_every_room_by_urgency_and_only_with_the_key(
    tmp_path: Path, clock: FakeClock, agenda: Agenda
) -> None:
    rooms = []
    controllers = []
    for name in ("hall-a", "hall-b"):
        controller = Controller.open(tmp_path / f"{name}.jsonl", clock, agenda=agenda, mode="live")
        controllers.append(controller)
        rooms.append(LineFollower(name, clock))
    clock.set_wall("2021-10-08T09:00:00Z")
    controllers[1].command("start")
    controllers[1].command("message", text="<b>Wrap</b> up")
    clock.advance(90)
    for controller, room in zip(controllers, rooms):
        controller.poll()
        for line in controller.path.read_bytes().splitlines():
            room.take_line(line)

    page = BoardPage(bind("127.0.0.1", 0), KEY, lambda: {"rows": [row_json(row) for row in look(rooms).rows]})
    await page.start()
    port = page.sock.getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    try:
        assert page.link() == f"http://127.0.0.1:{port}/board#{KEY}"
        response = await asyncio.to_thread(urllib.request.urlopen, f"{origin}/board", timeout=TIMEOUT_S)
        assert response.headers["Content-Security-Policy"] == CSP
        assert b"board.js" in response.read()

        async with ws_connect(f"ws://127.0.0.1:{port}/board/view?token={KEY}", origin=origin) as ws:  # type: ignore[arg-type]
            first = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
            assert [row["room"] for row in first["rows"]] == ["hall-b", "hall-a"]  # overtime first
            assert first["rows"][0]["alert"] == "overtime" and first["rows"][0]["message"] == "<b>Wrap</b> up"
            controllers[0].command("start")
            for line in controllers[0].path.read_bytes().splitlines()[-1:]:
                rooms[0].take_line(line)
            page.changed()  # the board's news reaches the page at once
            after = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
            assert [row["countdown"] for row in after["rows"] if row["room"] == "hall-a"] == ["1:00"]

        async with ws_connect(f"ws://127.0.0.1:{port}/board/view?token=wrong", origin=origin) as ws:  # type: ignore[arg-type]
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), TIMEOUT_S)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connect(f"ws://127.0.0.1:{port}/board/view?token={KEY}", origin="http://evil.example"):  # type: ignore[arg-type]
                pass
        assert refused.value.response.status_code == 403
    finally:
        await page.close()
        for controller in controllers:
            controller.close()
