"""The moderator's journal mirrored into a real three-node hub: byte for byte, in order, once, never in the way."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.link import HubState
from runofshow.secrets import Token, token
from runofshow.session.controller import Controller
from runofshow.sync.hub.connect import connect
from runofshow.sync.hub.mirror import HubMirror, mirror_controller
from runofshow.sync.hub.names import stream_name
from runofshow.sync.hub.reader import room_lines
from tests.hub.kit import TIMEOUT_S, collect, journal_lines
from tests.kit.nats import Cluster


@pytest.fixture
def mirrors() -> Iterator[list[HubMirror]]:
    """Mirrors a test starts; each is closed at the end."""
    started: list[HubMirror] = []
    yield started
    for mirror in started:
        mirror.close(0.5)


def _wait_for(predicate: Callable[[], bool], timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _messages(controller: Controller, count: int, clock: FakeClock, first: int = 0) -> None:
    for index in range(first, first + count):
        clock.advance(5)
        controller.command("message", text=f"message {index}")


async def _stored(url: str, room: str) -> list[bytes]:
    """Every message of the room's stream, in stream order."""
    client = await connect(url)
    try:
        js = client.jetstream(timeout=5)
        info = await js.stream_info(stream_name(room))
        return [
            bytes((await js.get_msg(stream_name(room), seq)).data or b"") for seq in range(1, info.state.last_seq + 1)
        ]
    finally:
        await client.close()


async def test_a_mirrored_session_reads_back_byte_for_byte(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock, mirrors: list[HubMirror]
) -> None:
    controller = open_controller()
    mirrors.append(mirror := mirror_controller(controller, cluster.url, room))
    client = await connect(cluster.url)
    beats = await client.subscribe(f"runofshow-beat.{room}")
    controller.command("start")
    _messages(controller, 10, clock)
    beat = json.loads((await beats.next_msg(timeout=TIMEOUT_S)).data)
    assert set(beat) == {"seq", "wall_us", "actor"} and beat["wall_us"] == clock.read().wall_us
    controller.close()
    lines = journal_lines(controller.path)
    assert await collect(room_lines(cluster.url, room), len(lines)) == lines
    await asyncio.to_thread(_wait_for, lambda: mirror.health().state is HubState.OK)
    assert await _stored(cluster.url, room) == lines
    tokens = await (await client.jetstream().key_value("runofshow_tokens")).get(room)
    digest = hashlib.sha256(token(controller.path, Token.STAGE).encode()).hexdigest()
    assert json.loads(tokens.value or b"")["stage"] == digest
    await client.close()


async def _leader(url: str, room: str) -> int:
    client = await connect(url)
    try:
        info = await client.jetstream(timeout=5).stream_info(stream_name(room))
        return int(((info.cluster.leader if info.cluster else None) or "n0")[1:])
    finally:
        await client.close()


def _timed_commands(controller: Controller, count: int, clock: FakeClock, first: int) -> float:
    """Send `count` messages; the longest any one of them took, in seconds."""
    longest = 0.0
    for index in range(first, first + count):
        clock.advance(5)
        began = time.perf_counter()
        controller.command("message", text=f"message {index}")
        longest = max(longest, time.perf_counter() - began)
    return longest


async def test_the_leader_dies_mid_session_and_nothing_is_lost_nor_waited_for(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock, mirrors: list[HubMirror]
) -> None:
    controller = open_controller()
    mirrors.append(mirror := mirror_controller(controller, cluster.url, room))
    controller.command("start")
    _messages(controller, 5, clock)
    await asyncio.to_thread(_wait_for, lambda: mirror.acked == controller.durable_seq)
    # A reader follows the room all along: it too must miss nothing and repeat nothing.
    read: list[bytes] = []

    async def follow() -> None:
        async for line in room_lines(cluster.url, room):
            read.append(line)

    reader = asyncio.create_task(follow())
    leader = await _leader(cluster.url, room)
    cluster.stop(leader)
    try:
        longest = _timed_commands(controller, 10, clock, 5)
        await asyncio.to_thread(_wait_for, lambda: mirror.acked == controller.durable_seq)
    finally:
        cluster.start(leader)
    assert longest < 0.25, f"a command took {longest:.3f} s while the hub's leader was dead"
    lines = journal_lines(controller.path)
    assert await _stored(cluster.url, room) == lines
    assert mirror.health().state is HubState.OK
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while len(read) < len(lines):
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # a line sent twice would come now
        assert read == lines
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader


async def test_the_whole_hub_goes_away_and_the_backlog_arrives_in_order_once(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock, mirrors: list[HubMirror]
) -> None:
    controller = open_controller()
    mirrors.append(mirror := mirror_controller(controller, cluster.url, room))
    controller.command("start")
    _messages(controller, 3, clock)
    await asyncio.to_thread(_wait_for, lambda: mirror.acked == controller.durable_seq)
    cluster.stop_all()
    try:
        longest = _timed_commands(controller, 8, clock, 3)
        await asyncio.to_thread(_wait_for, lambda: mirror.health().state is HubState.UNREACHABLE)
        assert mirror.health().behind == 8
        await asyncio.sleep(1.0)  # a while with no hub at all
        longest = max(longest, _timed_commands(controller, 4, clock, 11))
    finally:
        cluster.start_all()
    assert longest < 0.25, f"a command took {longest:.3f} s while the hub was gone"
    await asyncio.to_thread(_wait_for, lambda: mirror.acked == controller.durable_seq, 30.0)
    assert await _stored(cluster.url, room) == journal_lines(controller.path)
    assert mirror.health().state is HubState.OK


async def _publish_as_another(url: str, room: str, line: bytes, expected_last: int, msg_id: str) -> int:
    """Publish `line` as another controller would; its stream seq, or the refusal's error code."""
    import nats.js.errors

    client = await connect(url)
    try:
        js = client.jetstream(timeout=5)
        headers = {"Nats-Msg-Id": msg_id, "Nats-Expected-Last-Sequence": str(expected_last)}
        try:
            return (await js.publish(f"runofshow.{room}", line, headers=headers)).seq
        except nats.js.errors.APIError as error:
            return -(error.err_code or 0)
    finally:
        await client.close()


async def test_another_writer_on_a_stale_sequence_is_refused_and_one_that_takes_over_fences_this_one(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock, mirrors: list[HubMirror]
) -> None:
    controller = open_controller()
    mirrors.append(mirror := mirror_controller(controller, cluster.url, room))
    controller.command("start")
    _messages(controller, 3, clock)
    await asyncio.to_thread(_wait_for, lambda: mirror.acked == controller.durable_seq)
    session = controller.header.session_id
    # A writer that had seen record 2 only is refused: the stream is at record 4 (message 5).
    refused = await _publish_as_another(cluster.url, room, b'{"seq":3}', 3, f"{session}:3x")
    assert refused == -10071
    # A co-host takes over after record 4 and writes record 5 first.
    theirs = b'{"seq":5,"type":"message","wall":"2021-10-08T09:30:00.000000Z","actor":"hub:kim","data":{}}'
    assert await _publish_as_another(cluster.url, room, theirs, 5, f"{session}:5") == 6
    _messages(controller, 2, clock, 3)
    await asyncio.to_thread(_wait_for, lambda: mirror.health().state is HubState.FENCED)
    health = mirror.health()
    assert (health.by, health.since_us) == ("hub:kim", 1633685400000000)
    assert mirror.unpublished() == journal_lines(controller.path)[5:7]
    stored = await _stored(cluster.url, room)
    assert stored == [*journal_lines(controller.path)[:5], theirs]


async def test_a_line_from_a_stranger_fences_without_naming_anyone_from_it(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock, mirrors: list[HubMirror]
) -> None:
    controller = open_controller()
    mirrors.append(mirror := mirror_controller(controller, cluster.url, room))
    controller.command("start")
    await asyncio.to_thread(_wait_for, lambda: mirror.acked == controller.durable_seq)
    # Not a record of this session (no message id of it): its actor and wall are no one's word.
    stranger = b'{"seq":2,"type":"message","wall":"2021-10-08T09:30:00.000000Z","actor":"hub:kim","data":{}}'
    assert await _publish_as_another(cluster.url, room, stranger, 2, "someone:2") == 3
    _messages(controller, 1, clock)
    await asyncio.to_thread(_wait_for, lambda: mirror.health().state is HubState.FENCED)
    assert (mirror.health().by, mirror.health().since_us) == (None, None)


async def test_run_again_resumes_the_room_after_its_last_record(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock, mirrors: list[HubMirror]
) -> None:
    controller = open_controller()
    mirrors.append(first := mirror_controller(controller, cluster.url, room))
    controller.command("start")
    _messages(controller, 3, clock)
    controller.close()
    await asyncio.to_thread(_wait_for, lambda: first.acked == 5)  # the detach too
    first.close(1.0)
    again = open_controller(None)  # resumed: the journal's own mode
    mirrors.append(second := mirror_controller(again, cluster.url, room))
    _messages(again, 2, clock, 3)
    await asyncio.to_thread(_wait_for, lambda: second.acked == again.durable_seq)
    assert await _stored(cluster.url, room) == journal_lines(controller.path)
    assert second.health().state is HubState.OK


async def test_a_room_in_use_by_another_live_session_is_left_alone_and_an_ended_one_is_replaced(
    cluster: Cluster,
    room: str,
    open_controller: Callable[..., Controller],
    clock: FakeClock,
    mirrors: list[HubMirror],
    tmp_path: Path,
) -> None:
    first = open_controller()
    mirrors.append(mirror := mirror_controller(first, cluster.url, room))
    first.command("start")
    await asyncio.to_thread(_wait_for, lambda: mirror.acked == first.durable_seq)
    second = open_controller(path=tmp_path / "other.jsonl")
    mirrors.append(refused := mirror_controller(second, cluster.url, room))
    await asyncio.to_thread(_wait_for, lambda: refused.health().state is HubState.IN_USE)
    assert refused.health().by == first.header.owner
    first.command("end")
    await asyncio.to_thread(_wait_for, lambda: mirror.acked == first.durable_seq)
    third = open_controller(path=tmp_path / "third.jsonl")
    mirrors.append(replacing := mirror_controller(third, cluster.url, room))
    third.command("start")
    await asyncio.to_thread(_wait_for, lambda: replacing.acked == third.durable_seq)
    assert await _stored(cluster.url, room) == journal_lines(third.path)


async def test_a_session_written_without_the_hub_is_sent_from_its_file_when_mirrored(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock, mirrors: list[HubMirror]
) -> None:
    controller = open_controller()
    controller.command("start")
    _messages(controller, 6, clock)
    controller.close()
    again = open_controller(None)
    mirrors.append(mirror := mirror_controller(again, cluster.url, room))
    _messages(again, 2, clock, 6)
    await asyncio.to_thread(_wait_for, lambda: mirror.acked == again.durable_seq)
    assert await _stored(cluster.url, room) == journal_lines(again.path)


async def test_run_again_after_a_takeover_is_fenced_at_once_and_keeps_its_records(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock, mirrors: list[HubMirror]
) -> None:
    controller = open_controller()
    mirrors.append(first := mirror_controller(controller, cluster.url, room))
    controller.command("start")
    await asyncio.to_thread(_wait_for, lambda: first.acked == 1)
    first.close(1.0)  # the hub hears no more from this controller: a co-host takes over after record 1
    _messages(controller, 2, clock)
    controller.close()
    session = controller.header.session_id
    theirs = b'{"seq":2,"type":"message","wall":"2021-10-08T09:30:00.000000Z","actor":"hub:kim","data":{}}'
    assert await _publish_as_another(cluster.url, room, theirs, 2, f"{session}:2") == 3
    again = open_controller(None)
    mirrors.append(second := mirror_controller(again, cluster.url, room))
    await asyncio.to_thread(_wait_for, lambda: second.health().state is HubState.FENCED)
    assert second.health().by == "hub:kim"
    assert second.unpublished() == journal_lines(again.path)[2:]  # records 2, 3 and the detach: kept, not sent
    assert await _stored(cluster.url, room) == [*journal_lines(again.path)[:2], theirs]
