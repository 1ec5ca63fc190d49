"""`serve --hub`: rooms served from a real three-node hub, keys checked against the bucket's hashes, on any tier."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from runofshow.clock import FakeClock, SystemClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.derive import derive
from runofshow.session.controller import Controller
from runofshow.sync.hub.connect import connect
from runofshow.sync.hub.names import beat_subject
from runofshow.sync.hub.tier import TOKENS_BUCKET, HubTier, split_room_path, token_hash
from runofshow.sync.listen import bind
from runofshow.sync.remote import RemoteFollower
from runofshow.sync.rooms import LineFollower, Rooms, follow_hub
from tests.hub.kit import TIMEOUT_S, journal_lines, publish_by_hand
from tests.kit.nats import Cluster

SESSION_KEY = "session-key-0123456789"
STAGE_KEY = "stage-key-0123456789"


def test_a_link_names_its_room_under_r() -> None:
    assert split_room_path("/r/hall-a/stage") == ("hall-a", "/stage")
    assert split_room_path("/r/hall-a") == ("hall-a", "")
    assert split_room_path("/r/hall-a/") == ("hall-a", "/")
    assert split_room_path("/r/../stage") is None
    assert split_room_path("/stage") is None


async def put_keys(url: str, room: str) -> None:
    """What a room's controller puts in the bucket: the hashes of its keys."""
    client = await connect(url)
    try:
        js = client.jetstream(timeout=5)
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                try:
                    try:
                        bucket = await js.key_value(TOKENS_BUCKET)
                    except Exception:
                        bucket = await js.create_key_value(bucket=TOKENS_BUCKET, replicas=3)
                    hashes = {"session": token_hash(SESSION_KEY), "stage": token_hash(STAGE_KEY), "control": ""}
                    await bucket.put(room, json.dumps(hashes).encode())
                    return
                except Exception:
                    await asyncio.sleep(0.2)
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def tier(url: str) -> AsyncIterator[HubTier]:
    served = HubTier(url, bind("127.0.0.1", 0), SystemClock())
    ready = asyncio.Event()
    task = asyncio.create_task(served.serve_forever(ready.set))
    await asyncio.wait_for(ready.wait(), TIMEOUT_S)
    try:
        yield served
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


def _session(path: Path, clock: FakeClock, agenda: Agenda) -> Controller:
    controller = Controller.open(path, clock, agenda=agenda, mode="live")
    clock.set_wall("2021-10-08T09:00:00Z")
    controller.command("start")
    clock.advance(60)
    controller.command("next")
    controller.command("message", text="Please wrap up")
    clock.advance(200)
    return controller


async def test_any_tier_serves_a_rooms_followers_and_pages_from_the_hub(
    cluster: Cluster, room: str, tmp_path: Path, clock: FakeClock, agenda: Agenda
) -> None:
    controller = _session(tmp_path / "room.jsonl", clock, agenda)
    await publish_by_hand(cluster.url, room, journal_lines(controller.path))
    await put_keys(cluster.url, room)
    async with tier(cluster.url) as one, tier(cluster.url) as two:
        for served in (one, two):  # a link works on every tier
            port = served.sock.getsockname()[1]
            follower = RemoteFollower(f"ws://127.0.0.1:{port}/r/{room}", SESSION_KEY, clock)
            await follower.first_contact()
            changes = follower.changes().__aiter__()
            async with asyncio.timeout(TIMEOUT_S):
                while not (follower.ready and follower.engine.seq == controller.engine.seq):
                    await anext(changes)
                    follower.poll()
            assert follower.view() == derive(controller.engine, clock.read())
            await changes.aclose()  # type: ignore[attr-defined]

        port = one.sock.getsockname()[1]
        # The stage page's stream: the stage key, from the tier's own origin, gets the stage's snapshot.
        view_url = f"ws://127.0.0.1:{port}/r/{room}/view?token={STAGE_KEY}&page=stage"
        async with ws_connect(view_url, origin=f"http://127.0.0.1:{port}") as page:  # type: ignore[arg-type]
            snapshot = json.loads(await asyncio.wait_for(page.recv(), TIMEOUT_S))
        assert snapshot["role"] == "stage"
        assert snapshot["view"]["message"] == "Please wrap up" and snapshot["view"]["segment"] == 2
        assert "notes" not in snapshot["view"]

        # A new record reaches a live follower.
        follower = RemoteFollower(f"ws://127.0.0.1:{port}/r/{room}", SESSION_KEY, clock)
        await follower.first_contact()
        changes = follower.changes().__aiter__()
        published = len(journal_lines(controller.path))
        controller.command("next")
        await publish_by_hand(cluster.url, room, journal_lines(controller.path), first=published)
        async with asyncio.timeout(TIMEOUT_S):
            while not (follower.ready and follower.engine.seq == controller.engine.seq):
                await anext(changes)
                follower.poll()
        assert follower.engine.current == controller.engine.current
        await changes.aclose()  # type: ignore[attr-defined]

        for path, key, status in (
            (f"/r/{room}", "wrong", 401),
            (f"/r/{room}", STAGE_KEY, 401),  # the stage key is not the co-host's
            ("/r/no-such-room", SESSION_KEY, 404),
        ):
            with pytest.raises(InvalidStatus) as refused:
                async with ws_connect(f"ws://127.0.0.1:{port}{path}?token={key}"):
                    pass
            assert refused.value.response.status_code == status
    controller.close()


async def test_the_board_follows_every_room_of_the_hub(
    cluster: Cluster, room: str, tmp_path: Path, clock: FakeClock, agenda: Agenda
) -> None:
    controller = _session(tmp_path / "room.jsonl", clock, agenda)
    await publish_by_hand(cluster.url, room, journal_lines(controller.path))
    rooms = Rooms()
    task = asyncio.create_task(follow_hub(rooms, cluster.url, clock, every_s=0.2))
    try:

        def ours() -> LineFollower | None:
            return next((r for r in rooms.rooms if isinstance(r, LineFollower) and r.room == room), None)

        async with asyncio.timeout(TIMEOUT_S):
            while (found := ours()) is None or not found.ready or found.engine.seq < controller.engine.seq:
                await asyncio.sleep(0.05)
                if found is not None:
                    found.poll()
        assert found.view() == derive(controller.engine, clock.read())
        clock.advance(20)  # nothing from the room for 20 s: then its controller's heartbeat
        assert found.quiet_s() == 20
        client = await connect(cluster.url)
        try:
            beat = json.dumps({"seq": controller.engine.seq, "wall_us": clock.read().wall_us, "actor": "keyboard"})
            async with asyncio.timeout(TIMEOUT_S):
                while found.quiet_s() != 0:
                    await client.publish(beat_subject(room), beat.encode())
                    await asyncio.sleep(0.1)
        finally:
            await asyncio.wait([asyncio.ensure_future(client.close())], timeout=5)
    finally:
        task.cancel()
        await asyncio.wait([task], timeout=5)
        await rooms.close()
        controller.close()


async def test_serve_hub_as_a_process_serves_the_stage_feed_of_a_room(
    cluster: Cluster, room: str, tmp_path: Path, clock: FakeClock, agenda: Agenda
) -> None:
    controller = _session(tmp_path / "room.jsonl", clock, agenda)
    await publish_by_hand(cluster.url, room, journal_lines(controller.path))
    await put_keys(cluster.url, room)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "runofshow",
        "serve",
        "--hub",
        cluster.url,
        "--listen",
        "127.0.0.1:0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        said = (await asyncio.wait_for(process.stdout.readline(), TIMEOUT_S)).decode()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/r/ROOM/", said)
        assert found is not None, said
        follower = RemoteFollower(f"ws://127.0.0.1:{found[1]}/r/{room}", STAGE_KEY, clock, stage=True)
        await follower.first_contact()
        changes = follower.changes().__aiter__()
        async with asyncio.timeout(TIMEOUT_S):
            while not (follower.ready and follower.engine.seq == controller.engine.seq):
                await anext(changes)
                follower.poll()
        assert follower.view().remaining_s == derive(controller.engine, clock.read()).remaining_s
        assert follower.header.user == "" and all(not s.notes for s in follower.agenda.segments)  # the stage's facts
        await changes.aclose()  # type: ignore[attr-defined]
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), TIMEOUT_S) == 130
        assert process.stderr is not None
        assert b"Traceback" not in await process.stderr.read()
        controller.close()
