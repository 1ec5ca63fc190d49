"""Reading a room from a real three-node hub: caught up then live, in order, once, through a node's death."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from runofshow.clock import FakeClock
from runofshow.session.controller import Controller
from runofshow.sync.hub.reader import RoomReader, list_rooms, room_lines
from tests.hub.kit import TIMEOUT_S, collect, journal_lines, publish_by_hand
from tests.kit.nats import Cluster


def _session(open_controller: Callable[..., Controller], clock: FakeClock, commands: int) -> list[bytes]:
    controller = open_controller()
    controller.command("start")
    for index in range(commands):
        clock.advance(7)
        controller.command("message", text=f"message {index}")
    controller.close()
    return journal_lines(controller.path)


async def test_a_room_read_back_is_its_journal_line_for_line(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    lines = _session(open_controller, clock, 12)
    await publish_by_hand(cluster.url, room, lines)
    got = await collect(room_lines(cluster.url, room), len(lines))
    assert got == lines
    assert room in await list_rooms(cluster.url)


async def test_a_reader_after_a_seq_gets_the_header_then_only_later_records(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    lines = _session(open_controller, clock, 6)
    await publish_by_hand(cluster.url, room, lines)
    got = await collect(room_lines(cluster.url, room, after_seq=4), 1 + len(lines) - 5)
    assert got == [lines[0], *lines[5:]]


async def test_a_reader_waits_for_the_room_then_goes_live(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    lines = _session(open_controller, clock, 8)
    reading = asyncio.ensure_future(collect(room_lines(cluster.url, room), len(lines)))
    await asyncio.sleep(0.3)
    assert not reading.done()
    await publish_by_hand(cluster.url, room, lines[:3])
    await publish_by_hand(cluster.url, room, lines, first=3)
    assert await reading == lines


async def test_the_stream_leader_dies_and_the_reader_misses_nothing(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock, tmp_path: Path
) -> None:
    lines = _session(open_controller, clock, 20)
    await publish_by_hand(cluster.url, room, lines[:8])
    from runofshow.sync.hub.connect import connect

    client = await connect(cluster.url)
    reader = RoomReader(client, room)
    got: list[bytes] = []

    async def read() -> None:
        async for line in reader.lines():
            got.append(line)

    task = asyncio.create_task(read())
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while len(got) < 8:
                await asyncio.sleep(0.02)
        info = await client.jetstream().stream_info(f"RUNOFSHOW_{room}")
        leader = int(((info.cluster.leader if info.cluster else None) or "n0")[1:])
        cluster.stop(leader)
        try:
            await publish_by_hand(cluster.url, room, lines, first=8)
            async with asyncio.timeout(TIMEOUT_S):
                while len(got) < len(lines):
                    await asyncio.sleep(0.02)
        finally:
            cluster.start(leader)
        assert got == lines
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        await client.close()
