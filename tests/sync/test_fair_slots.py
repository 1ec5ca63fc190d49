"""Fair slots: connections without a token have a budget of their own, co-hosts have slots stage viewers cannot fill,
and a page that does not read is dropped like a follower that falls behind. Raw sockets and real clients, on loopback.
"""

from __future__ import annotations

import asyncio
import json
import select
import socket
from collections.abc import Awaitable, Callable, Iterator

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from runofshow.clock import FakeClock
from runofshow.domain.events import MAX_MESSAGE
from runofshow.session.controller import Controller
from runofshow.sync import web as web_module
from runofshow.sync.admission import Slots
from runofshow.sync.server import JournalServer
from runofshow.sync.web import WebViews
from tests.kit.follow import TIMEOUT_S, TOKEN

Serve = Callable[..., Awaitable[JournalServer]]
STAGE = "stage-key"


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    """Raw client sockets, each closed at the end."""
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


def silent(port: int, opened: list[socket.socket], source: str = "127.0.0.1") -> socket.socket:
    """A connection that sends nothing at all (a slowloris, or a browser's spare connection)."""
    sock = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    opened.append(sock)
    return sock


async def cut(sock: socket.socket, wait: float = 0.5) -> bool:
    """Whether the server closed `sock` within `wait` seconds (it never answers a silent one otherwise)."""
    loop = asyncio.get_running_loop()

    def look() -> bool:
        if not select.select([sock], [], [], wait)[0]:
            return False
        try:
            return sock.recv(1) == b""
        except ConnectionResetError:
            return True

    return await loop.run_in_executor(None, look)


async def follower(port: int, token: str = TOKEN, path: str = "/", source: str = "127.0.0.1") -> ClientConnection:
    """A terminal follower past its handshake (a stage one with `path="/stage"`), its header read."""
    ws = await connect(
        f"ws://127.0.0.1:{port}{path}?token={token}", proxy=None, open_timeout=TIMEOUT_S, local_addr=(source, 0)
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))["type"] == "header"
    return ws


async def served(
    open_controller: Callable[..., Controller], clock: FakeClock, serve: Serve, slots: Slots
) -> tuple[Controller, JournalServer]:
    controller = open_controller()
    server = await serve(controller, web=WebViews(controller.path, TOKEN, STAGE, clock), slots=slots)
    return controller, server


async def test_connections_without_a_token_have_a_budget_of_their_own(
    open_controller: Callable[..., Controller], clock: FakeClock, serve: Serve, sockets: list[socket.socket]
) -> None:
    _, server = await served(open_controller, clock, serve, Slots(3, pending_max=4, per_address=10))
    held = [await follower(server.port) for _ in range(3)]  # every token slot taken
    try:
        waiting = [silent(server.port, sockets) for _ in range(4)]  # and beside them, the whole pending budget
        assert not any([await cut(sock) for sock in waiting])
        assert await cut(silent(server.port, sockets))  # one more without a token: cut at once
        assert server.followers == 3 and server.slots.pending == 4
        for sock in waiting:
            sock.close()
        await held.pop().close()
        await asyncio.sleep(0.1)
        held.append(await follower(server.port))  # a slot freed is a token holder's again
        with pytest.raises(InvalidStatus) as full:
            await follower(server.port)
        assert full.value.response.status_code == 503  # told to come back, not cut without a word
    finally:
        for ws in held:
            await ws.close()


async def test_one_address_cannot_take_the_whole_budget(
    open_controller: Callable[..., Controller], clock: FakeClock, serve: Serve, sockets: list[socket.socket]
) -> None:
    _, server = await served(open_controller, clock, serve, Slots(10, pending_max=10, per_address=2))
    first = [silent(server.port, sockets) for _ in range(2)]
    assert await cut(silent(server.port, sockets))  # a third from the same address
    assert not any([await cut(sock, 0.2) for sock in first])
    other = await follower(server.port, source="127.0.0.2")  # another address still gets in
    await other.close()


async def test_co_hosts_have_slots_stage_viewers_cannot_fill(
    open_controller: Callable[..., Controller], clock: FakeClock, serve: Serve
) -> None:
    _, server = await served(open_controller, clock, serve, Slots(4, cohost_reserved=2))
    origin = f"http://127.0.0.1:{server.port}"
    stage_url = f"ws://127.0.0.1:{server.port}/view?token={STAGE}"
    pages = [await connect(stage_url, origin=origin, proxy=None) for _ in range(2)]  # type: ignore[arg-type]
    try:
        for attempt in (  # the stage's share is full, whether pages or `follow --stage`
            connect(stage_url, origin=origin, proxy=None),  # type: ignore[arg-type]
            follower(server.port, STAGE, "/stage"),
        ):
            with pytest.raises(InvalidStatus) as full:
                await attempt
            assert full.value.response.status_code == 503
        co_hosts = [await follower(server.port) for _ in range(2)]  # the reserved slots are there for co-hosts
        with pytest.raises(InvalidStatus):
            await follower(server.port)  # and then the server is full
        for ws in co_hosts:
            await ws.close()
    finally:
        for page in pages:
            await page.close()


def silent_page(port: int, opened: list[socket.socket]) -> socket.socket:
    """A co-host page that opens the view stream and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    opened.append(sock)
    sock.sendall(
        f"GET /view?token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n", 1)[0]
    return sock


async def test_a_page_that_does_not_read_is_dropped_after_a_bounded_delay(
    open_controller: Callable[..., Controller],
    clock: FakeClock,
    serve: Serve,
    sockets: list[socket.socket],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(web_module, "MAX_PAGE_BUFFER", 16 * 1024)
    monkeypatch.setattr(web_module, "PAGE_STALL_S", 0.5)
    controller, server = await served(open_controller, clock, serve, Slots())
    assert server.web is not None
    reader = await connect(
        f"ws://127.0.0.1:{server.port}/view?token={TOKEN}",
        origin=f"http://127.0.0.1:{server.port}",  # type: ignore[arg-type]
        proxy=None,
        max_size=2**22,
    )
    silent_page(server.port, sockets)
    loop = asyncio.get_running_loop()
    try:
        controller.command("start")
        began = loop.time()
        while server.web.viewers == 2:  # records keep coming: each one a snapshot the silent page does not read
            assert loop.time() - began < 30, "the page that does not read was never dropped"
            clock.advance(1)
            controller.command("message", text=str(controller.engine.seq).rjust(MAX_MESSAGE - 10, "x"))
            await asyncio.sleep(0.01)
            while True:  # the page that reads keeps up
                try:
                    await asyncio.wait_for(reader.recv(), 0.001)
                except TimeoutError:
                    break
        assert server.web.viewers == 1  # the reader stays
        seq = controller.engine.seq
        clock.advance(1)
        controller.command("message", text="still here")
        while (view := json.loads(await asyncio.wait_for(reader.recv(), TIMEOUT_S)))["view"]["seq"] <= seq:
            pass
        assert view["view"]["message"] == "still here"
    finally:
        await reader.close()
