"""Taking a silent room over on a real three-node hub, and fencing the controller that comes back.

The room's first controller is a real `Controller` on a journal in tmp_path;
its records reach the hub the way the hub mirror publishes them (the header
then each record, with the stream sequence it expects), written out here so
that this test reads what is on the wire.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nats.js.api import StreamConfig
from nats.js.errors import APIError

from runofshow.clock import FakeClock
from runofshow.journal.rescue import find_fenced, find_rescues
from runofshow.report.model import load
from runofshow.session.controller import Controller
from runofshow.session.replay import replay
from runofshow.sync.hub.connect import connect
from runofshow.sync.hub.names import beat_subject, message_id, stream_name, subject
from runofshow.sync.hub.silence import SilenceWatch
from runofshow.sync.hub.takeover import TOKENS_BUCKET, TakeoverRefused, diverged, fence, take_over, token_digest
from tests.kit.nats import Cluster

CONTROL = "control-token-of-the-room"


@pytest.fixture(scope="module")
def hub(cluster: Cluster) -> Cluster:
    """The module's cluster, with the room tokens' KV bucket."""

    async def bucket(js: Any) -> None:
        await js.create_key_value(bucket=TOKENS_BUCKET, history=1, replicas=3)

    asyncio.run(_on_hub(cluster.url, bucket))
    return cluster


async def _on_hub(url: str, work: Callable[[Any], Any]) -> Any:
    nc = await connect(url)
    try:
        return await work(nc.jetstream(timeout=5))
    finally:
        await nc.close()


def publish(url: str, room: str, session: str, lines: list[bytes], after: int) -> list[bytes]:
    """Publish journal lines as the mirror does, the first after stream message `after`; return the ones refused."""

    async def work(js: Any) -> list[bytes]:
        refused: list[bytes] = []
        last = after
        for line in lines:
            body = line.rstrip(b"\n")
            seq = json.loads(body).get("seq", 0)
            headers = {"Nats-Expected-Last-Sequence": str(last), "Nats-Msg-Id": message_id(session, seq)}
            if refused:
                refused.append(line)
                continue
            try:
                ack = await js.publish(subject(room), body, headers=headers)
            except APIError:
                refused.append(line)
                continue
            # A controller that was taken over sends the same seqs, so the same message ids, as the new one
            # did: the hub answers "duplicate" instead of checking the sequence. Only the same bytes are ours.
            if ack.duplicate and (await js.get_msg(stream_name(room), ack.seq)).data != body:
                refused.append(line)
                continue
            last = ack.seq
        return refused

    return asyncio.run(_on_hub(url, work))


def open_room(url: str, room: str, journal: Path, control: str = CONTROL) -> None:
    """The room's stream with the journal published into it, and its token hashes in the KV bucket."""

    async def work(js: Any) -> None:
        for _ in range(40):
            try:
                await js.add_stream(StreamConfig(name=stream_name(room), subjects=[subject(room)], num_replicas=3))
                break
            except Exception:
                await asyncio.sleep(0.25)
        kv = await js.key_value(TOKENS_BUCKET)
        hashes = {"session": token_digest("s"), "stage": token_digest("t"), "control": token_digest(control)}
        await kv.put(room, json.dumps(hashes).encode())

    asyncio.run(_on_hub(url, work))
    lines = journal.read_bytes().splitlines(keepends=True)
    session = json.loads(lines[0])["session"]
    assert publish(url, room, session, lines, 0) == []


def stream_lines(url: str, room: str) -> list[bytes]:
    """Every message of the room's stream, as journal lines."""

    async def work(js: Any) -> list[bytes]:
        info = await js.stream_info(stream_name(room))
        return [(await js.get_msg(stream_name(room), s)).data + b"\n" for s in range(1, info.state.last_seq + 1)]

    return asyncio.run(_on_hub(url, work))


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state folder of the test's own, for the copied journals and the rescue files."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "runofshow"


def a_show(open_controller: Callable[..., Controller], clock: FakeClock) -> Controller:
    controller = open_controller()
    controller.command("start")
    clock.advance(80)
    controller.command("next")
    clock.advance(20)
    controller.command("message", text="Kim [SSEGOV]: two minutes")
    return controller


def test_a_silent_room_is_taken_over_from_the_hubs_copy_and_the_old_controller_is_fenced(
    hub: Cluster, open_controller: Callable[..., Controller], clock: FakeClock, journal: Path, state: Path
) -> None:
    old = a_show(open_controller, clock)
    open_room(hub.url, "hall-a", journal)
    clock.advance(12)  # nothing from the controller meanwhile

    taken = take_over(hub.url, "hall-a", CONTROL, clock, silent_s=12.0, silent_after_s=10.0)
    new = taken.controller
    try:
        # The copy is the room's stream byte for byte, then a reopen and the takeover.
        copied = new.path.read_bytes().splitlines(keepends=True)
        assert copied[: len(stream_lines(hub.url, "hall-a"))] == journal.read_bytes().splitlines(keepends=True)
        assert new.path.parent == state / "rooms"
        assert taken.hub_seq == old.engine.seq and taken.silent == old.header.owner
        last = json.loads(copied[-1])
        assert last["type"] == "takeover" and last["seq"] == old.engine.seq + 2
        assert last["data"]["epoch"] == 2 and last["data"]["from"] == old.header.owner
        assert last["data"]["after"] == old.engine.seq and last["data"]["silent_s"] == 12.0
        assert new.engine.epoch == 2 and new.link().holder == last["data"]["by"]
        assert new.view().segment == old.view().segment  # the show goes on where it was

        # The new controller publishes what it wrote, expecting the stream where it copied it.
        mine = copied[taken.hub_seq + 1 :]
        assert publish(hub.url, "hall-a", old.header.session_id, mine, taken.hub_seq + 1) == []

        # The old controller comes back: it writes, and the hub refuses it.
        old.command("next")
        old.command("extend", seconds=60)
        theirs = journal.read_bytes().splitlines(keepends=True)[-2:]
        refused = publish(hub.url, "hall-a", old.header.session_id, theirs, taken.hub_seq + 1)
        assert refused == theirs
        stopped: list[bool] = []
        fenced = fence(old, hub.url, "hall-a", stop=lambda: stopped.append(True))
        assert stopped == [True] and fenced.count == 2 and fenced.problem is None
        assert (fenced.by, fenced.epoch) == (last["data"]["by"], 2)
        assert fenced.at_us == new.engine.takeovers[0][1]
        assert old.lock.fd is None  # it writes no more
        assert journal.read_bytes().splitlines(keepends=True)[-2:] == theirs  # no detach: the session is not its

        kept = find_fenced(old.header)
        assert [k.path for k in kept] == [fenced.path]
        assert [line for _, line in kept[0].events] == theirs
        assert kept[0].about is not None and kept[0].about["fenced_by"] == last["data"]["by"]
        assert find_rescues(old.header) == []  # never merged back into a journal by `run`

        # The room's history has one writer: the old records, then only the new controller's.
        assert stream_lines(hub.url, "hall-a") == copied
        assert replay(new.path).engine.epoch == 2
        # The report of either journal shows the takeover's side it holds, and lists the kept records.
        assert [t.by for t in load(new.path).takeovers] == [last["data"]["by"]]
        assert [f.seqs for f in load(journal).fenced] == [(old.engine.seq - 1, old.engine.seq)]
    finally:
        new.close()


def test_a_takeover_is_refused_with_a_wrong_token_a_speaking_controller_or_no_room(
    hub: Cluster, open_controller: Callable[..., Controller], clock: FakeClock, journal: Path, state: Path
) -> None:
    a_show(open_controller, clock)
    open_room(hub.url, "hall-b", journal)
    with pytest.raises(TakeoverRefused, match="not room hall-b's control token"):
        take_over(hub.url, "hall-b", "guess", clock, silent_s=30.0, silent_after_s=10.0)
    with pytest.raises(TakeoverRefused, match=r"was heard 0:04 ago; a controller is silent after 0:10"):
        take_over(hub.url, "hall-b", CONTROL, clock, silent_s=4.0, silent_after_s=10.0)
    with pytest.raises(TakeoverRefused, match="not room hall-z's control token"):
        take_over(hub.url, "hall-z", CONTROL, clock, silent_s=30.0, silent_after_s=10.0)
    assert not (state / "rooms").exists()  # nothing copied, no journal made


def test_a_heartbeat_during_the_copy_refuses_the_takeover(
    hub: Cluster, open_controller: Callable[..., Controller], clock: FakeClock, journal: Path, state: Path
) -> None:
    a_show(open_controller, clock)
    open_room(hub.url, "hall-c", journal)

    async def beating(started: asyncio.Event) -> None:
        nc = await connect(hub.url)
        try:
            for _ in range(250):
                await nc.publish(beat_subject("hall-c"), b'{"seq": 3}')
                await nc.flush()
                started.set()
                await asyncio.sleep(0.02)
        finally:
            await nc.close()

    async def both() -> None:
        started = asyncio.Event()
        beat = asyncio.create_task(beating(started))
        await asyncio.wait_for(started.wait(), 10)
        try:
            with pytest.raises(TakeoverRefused, match="was heard"):
                await asyncio.to_thread(
                    take_over, hub.url, "hall-c", CONTROL, clock, silent_s=30.0, silent_after_s=10.0
                )
        finally:
            beat.cancel()

    asyncio.run(both())
    assert not (state / "rooms").exists()


def test_the_silence_ends_with_a_heartbeat_or_a_record_and_grows_by_the_clock(hub: Cluster, clock: FakeClock) -> None:
    watch = SilenceWatch(hub.url, "hall-d", clock)
    assert watch.start()
    try:
        clock.advance(7)
        assert watch.silent_s() == 7.0

        async def say(subject_: str, data: bytes) -> None:
            nc = await connect(hub.url)
            try:
                await nc.publish(subject_, data)
                await nc.flush()
            finally:
                await nc.close()

        def wait_heard() -> None:
            deadline = time.monotonic() + 10
            while watch.silent_s() != 0.0:
                assert time.monotonic() < deadline, "the watch never heard the controller"
                time.sleep(0.01)

        asyncio.run(say(beat_subject("hall-d"), b'{"seq": 12, "wall_us": 1, "actor": "keyboard"}'))
        wait_heard()
        assert watch.beat_seq == 12
        clock.advance(11)
        assert watch.silent_s() == 11.0
        asyncio.run(say(subject("hall-d"), b'{"seq": 13}'))  # a record published to the room
        wait_heard()
    finally:
        watch.close()


@pytest.mark.parametrize(
    ("mine", "room", "first", "kept"),
    [
        ([b"h", b"1", b"2"], [b"h", b"1", b"2"], 3, []),
        ([b"h", b"1", b"2", b"3"], [b"h", b"1", b"2"], 3, [b"3"]),  # written while the hub was away, then refused
        ([b"h", b"1", b"2x", b"3x"], [b"h", b"1", b"2", b"3", b"4"], 2, [b"2x", b"3x"]),
        ([b"h", b"1"], [b"h", b"1", b"2"], 2, []),  # behind the room: nothing of its own
    ],
)
def test_a_journal_diverges_from_the_room_at_its_first_differing_line(
    mine: list[bytes], room: list[bytes], first: int, kept: list[bytes]
) -> None:
    assert diverged(mine, room) == (first, kept)
