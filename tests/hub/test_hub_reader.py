"""Reading a room from a real three-node hub: caught up then live, in order, once; the room's next session from its header."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.session.controller import Controller
from runofshow.sync.hub import reader
from runofshow.sync.hub.connect import connect
from runofshow.sync.hub.reader import list_rooms, room_lines
from tests.hub.kit import collect, journal_lines, publish_by_hand
from tests.kit.nats import Cluster


def _session(
    open_controller: Callable[..., Controller], clock: FakeClock, commands: int, path: Path | None = None
) -> list[bytes]:
    controller = open_controller() if path is None else open_controller(path=path)
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


async def test_the_rooms_next_session_is_read_from_its_header(
    cluster: Cluster,
    room: str,
    open_controller: Callable[..., Controller],
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reader, "STALL_S", 0.5)  # the deleted stream is noticed after a silence: keep it short
    first = _session(open_controller, clock, 3)
    second = _session(open_controller, clock, 2, path=tmp_path / "next.jsonl")
    await publish_by_hand(cluster.url, room, first)
    lines = room_lines(cluster.url, room)
    assert await collect(lines, len(first)) == first
    client = await connect(cluster.url)
    await client.jetstream().delete_stream(f"RUNOFSHOW_{room}")
    await client.close()
    await publish_by_hand(cluster.url, room, second)
    assert await collect(lines, len(second)) == second
