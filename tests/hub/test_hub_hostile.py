"""What someone else with access to the hub can put in a room: lines and heartbeats that are not the controller's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.link import HubHealth, HubState
from runofshow.sync.hub.connect import connect
from runofshow.sync.hub.follower import HubFollower
from runofshow.sync.hub.names import message_id, stream_name, stream_seq, subject
from runofshow.sync.hub.reader import RoomReader, header_session
from runofshow.words.hub import describe_hub
from tests.hub.kit import TIMEOUT_S, journal_lines, publish_by_hand
from tests.kit.journals import drive_live
from tests.kit.nats import single_server

#: A JSON array nested deeper than Python's parser goes.
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One nats-server with JetStream and no password; its URL."""
    with single_server(tmp_path_factory.mktemp("hostile")) as url:
        yield url


def test_a_header_nested_too_deep_is_not_a_header() -> None:
    assert header_session(DEEP) is None


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        DEEP,
        b"[1, 2]",
        json.dumps({"seq": 1, "wall_us": True}).encode(),
        json.dumps({"seq": 1, "wall_us": 10**25}).encode(),
        json.dumps({"seq": 1, "wall_us": -(10**25)}).encode(),
        json.dumps({"seq": 1, "wall_us": 1.5e15}).encode(),
    ],
    ids=["text", "deep", "list", "bool", "far-future", "far-past", "float"],
)
async def test_a_heartbeat_that_is_not_a_clock_moves_nothing(data: bytes) -> None:
    clock = FakeClock()
    follower = HubFollower("nats://127.0.0.1:4222/room", clock)
    await follower._beat(SimpleNamespace(data=data))  # type: ignore[arg-type]
    assert follower.corrected.offset_us == 0
    assert follower.last_beat_mono is None
    # A controller whose clock is a minute ahead is believed.
    await follower._beat(SimpleNamespace(data=json.dumps({"seq": 1, "wall_us": clock.wall_us + 60_000_000}).encode()))  # type: ignore[arg-type]
    assert follower.corrected.offset_us == 60_000_000
    assert follower.last_beat_mono == clock.mono


async def _published(hub: str, room: str, tmp_path: Path) -> list[bytes]:
    lines = journal_lines(drive_live(tmp_path / "journal.jsonl"))
    await publish_by_hand(hub, room, lines, replicas=1)
    return lines


async def _read_until(reader: RoomReader, count: int) -> list[bytes]:
    got: list[bytes] = []

    async def take() -> None:
        async for line in reader.lines():
            got.append(line)
            if len(got) == count:
                return

    await asyncio.wait_for(take(), TIMEOUT_S)
    return got


@pytest.mark.network
async def test_a_line_published_by_someone_else_is_skipped_once_not_read_again_forever(
    hub: str, tmp_path: Path
) -> None:
    lines = await _published(hub, "intruded", tmp_path)
    client = await connect(hub)
    try:
        js = client.jetstream(timeout=5)
        await js.publish(subject("intruded"), b'{"type":"note","text":"\x1b[2J\x1b]0;owned\x07"}')
        # The session's next record, sent again under its own id, after the intruder's line.
        session = header_session(lines[0]) or ""
        await js.publish(subject("intruded"), lines[-1], headers={"Nats-Msg-Id": message_id(session, len(lines) + 1)})
        reader = RoomReader(client, "intruded")
        got = await _read_until(reader, len(lines) + 1)
    finally:
        await client.close()
    assert got == [*lines, lines[-1]]
    assert reader.resets == 1


@pytest.mark.network
async def test_a_record_deleted_from_the_hub_is_said_missing_not_read_again_forever(hub: str, tmp_path: Path) -> None:
    lines = await _published(hub, "holed", tmp_path)
    client = await connect(hub)
    try:
        await client.jetstream(timeout=5).delete_msg(stream_name("holed"), stream_seq(2))
        reader = RoomReader(client, "holed")
        got = await _read_until(reader, len(lines) - 1)
    finally:
        await client.close()
    assert got == [*lines[:2], *lines[3:]]
    assert reader.resets == 1


def test_who_took_the_room_is_shown_not_acted_on() -> None:
    health = HubHealth(HubState.FENCED, "main", 0, "hub:\x1b]0;owned\x07kim[bold]", None)
    assert describe_hub(health, "UTC") == (
        "hub: hub:\\x1b]0;owned\\x07kim[bold] took over the room; this screen's records are kept here, not sent"
    )
