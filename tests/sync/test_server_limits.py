"""The server off the moderator's loop: bounded catch-up, slow followers dropped, connection caps, timeouts.

The server runs in its own thread; these tests talk to it over loopback
from the test's loop, as any follower would.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from runofshow.clock import FakeClock
from runofshow.journal.codec import encode
from runofshow.session.controller import Controller
from runofshow.sync import offsets as offsets_module
from runofshow.sync import server as server_module
from runofshow.sync.offsets import JournalIndex, record_seq
from runofshow.sync.remote import RemoteFollower
from runofshow.sync.server import BEHIND_CODE, JournalServer
from tests.kit.follow import SCRIPT, TIMEOUT_S, TOKEN, Driven, assert_same_state, play

OpenController = Callable[..., Controller]
Serve = Callable[..., Awaitable[JournalServer]]
Drive = Callable[..., Driven]
Remote = Callable[..., RemoteFollower]


def many_records(controller: Controller, clock: FakeClock, count: int) -> None:
    controller.command("start")
    for i in range(count - 1):
        clock.advance(1)
        controller.command("pause" if i % 2 == 0 else "resume")


async def received(url: str, count: int) -> list[dict[str, object]]:
    """The first `count` messages a raw follower gets (heartbeats skipped)."""
    got: list[dict[str, object]] = []
    async with connect(url, proxy=None, max_size=2**24) as ws:
        while len(got) < count:
            message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
            if message.get("type") != "heartbeat":
                got.append(message)
    return got


async def test_the_server_runs_in_its_own_thread_and_publish_is_safe_from_any(
    open_controller: OpenController, clock: FakeClock, serve: Serve, remote: Remote, drive: Drive
) -> None:
    controller = open_controller()
    server = await serve(controller)
    assert any(thread.name == "runofshow-server" for thread in threading.enumerate())
    driven = await connected(remote(server), drive)
    # The journal writer may call its listeners from a thread of its own.
    writer = threading.Thread(target=lambda: [play(controller, clock, step) for step in SCRIPT[:6]])
    writer.start()
    writer.join(TIMEOUT_S)
    await driven.reach(controller.engine.seq)
    assert_same_state(driven.follower, controller, clock.read())


async def connected(follower: RemoteFollower, drive: Drive) -> Driven:
    await follower.first_contact(timeout=TIMEOUT_S)
    return drive(follower)


async def test_catch_up_reads_chunks_from_the_index_and_starts_after_since(
    open_controller: OpenController, clock: FakeClock, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller = open_controller()
    many_records(controller, clock, 300)
    reads: list[int] = []
    real_pread = os.pread

    def counted(fd: int, length: int, offset: int) -> bytes:
        reads.append(length)
        return real_pread(fd, length, offset)

    monkeypatch.setattr(os, "pread", counted)
    server = await serve(controller)
    url = f"ws://127.0.0.1:{server.port}/?token={TOKEN}"
    everything = await received(url, 301)
    assert [m.get("seq") for m in everything] == [None, *range(1, 301)]
    assert max(reads) <= offsets_module.CHUNK_BYTES and len(reads) > 1  # never the whole file at once
    reads.clear()
    tail = await received(url + "&since=290", 11)
    assert [m.get("seq") for m in tail] == [None, *range(291, 301)]
    assert sum(reads) < 20 * 200  # only the ten records it lacked were read


def test_the_index_finds_every_record_and_stops_at_a_torn_one(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    lines = [b'{"type":"header"}\n'] + [
        encode({"seq": n, "type": "x", "pad": "y" * (n * 37 % 500)}) for n in range(1, 400)
    ]
    path.write_bytes(b"".join(lines) + b'{"seq":400,"type":"x"')  # the last one cut short
    index = JournalIndex(path)
    index.scan()
    assert index.last_seq == 399 and index.end == sum(len(line) for line in lines)
    fd = os.open(path, os.O_RDONLY)
    seen: list[int] = []
    since = 0
    try:
        while chunk := index.chunk(fd, since):
            assert all(record_seq(line) == seq for seq, line in chunk)
            seen += [seq for seq, _ in chunk]
            since = chunk[-1][0]
    finally:
        os.close(fd)
    assert seen == list(range(1, 400))
    assert index.add(encode({"seq": 400, "type": "x"})) == 400 and index.add(encode({"seq": 399})) is None


async def test_a_follower_that_falls_behind_is_dropped_with_a_reason_and_catches_up(
    open_controller: OpenController,
    clock: FakeClock,
    serve: Serve,
    remote: Remote,
    drive: Drive,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server_module, "QUEUE_RECORDS", 3)
    controller = open_controller()
    server = await serve(controller)
    follower = remote(server)
    await follower.first_contact(timeout=TIMEOUT_S)
    async with connect(f"ws://127.0.0.1:{server.port}/?token={TOKEN}", proxy=None, max_queue=1) as slow:
        await asyncio.wait_for(slow.recv(), TIMEOUT_S)  # the header; then it stops reading
        gate = asyncio.Event()
        real_send = ServerConnection.send

        async def stuck(self: object, message: object, *args: object) -> None:
            await gate.wait()  # every follower's live send waits: their queues fill
            await real_send(self, message, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(ServerConnection, "send", stuck)
        many_records(controller, clock, 8)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(slow.recv(), TIMEOUT_S)
        monkeypatch.setattr(ServerConnection, "send", real_send)
        gate.set()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == BEHIND_CODE and "reconnect from your last seq" in closed.value.rcvd.reason
    driven = drive(follower)  # dropped too, since its queue filled as well: it reconnects from its seq
    await driven.reach(controller.engine.seq)
    assert_same_state(follower, controller, clock.read())
    assert [event.seq for event in driven.applied] == list(range(1, controller.engine.seq + 1))


async def test_connections_over_the_cap_are_cut_and_the_show_goes_on(
    open_controller: OpenController, clock: FakeClock, serve: Serve
) -> None:
    controller = open_controller()
    server = await serve(controller, max_connections=3)
    url = f"ws://127.0.0.1:{server.port}/?token={TOKEN}"
    held = [await connect(url, proxy=None) for _ in range(3)]
    try:
        with pytest.raises((InvalidHandshake, ConnectionError, OSError, asyncio.TimeoutError)):
            async with asyncio.timeout(TIMEOUT_S):
                async with connect(url, proxy=None, open_timeout=TIMEOUT_S):
                    pass
        assert server.followers == 3
        await held.pop().close()
        await asyncio.sleep(0.1)
        async with connect(url, proxy=None) as again:  # room again once one has gone
            assert json.loads(await asyncio.wait_for(again.recv(), TIMEOUT_S))["type"] == "header"
    finally:
        for ws in held:
            await ws.close()


async def test_a_connection_that_never_finishes_its_handshake_is_closed(
    open_controller: OpenController, clock: FakeClock, serve: Serve
) -> None:
    """Slowloris: a few bytes of a request, then nothing. The server hangs up after its open timeout."""
    controller = open_controller()
    server = await serve(controller, open_timeout=0.5)
    loop = asyncio.get_running_loop()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setblocking(False)
    try:
        await loop.sock_sendall(sock, b"GET /?token=" + TOKEN.encode() + b" HTTP/1.1\r\nHost: x\r\n")
        began = time.monotonic()
        async with asyncio.timeout(TIMEOUT_S):
            data = await loop.sock_recv(sock, 1024)
        assert data == b""  # closed without a word
        assert time.monotonic() - began < 3
    finally:
        sock.close()
    with pytest.raises(InvalidStatus):  # and the server still answers others
        async with connect(f"ws://127.0.0.1:{server.port}/", proxy=None):
            pass
