"""Takeover: from a controller's death to the co-host's first durable record, and to followers seeing it.

    .venv/bin/python bench/takeover_bench.py [--runs 3] [--silent-after 10]

The issue's goal: with the default 10 s silence, the followers show the new
controller within 15 s of the old one's death, most of it the timeout.

On a real three-node JetStream cluster on loopback (tests/kit/nats.py):

- the room's controller is a `Controller` on a journal here; its records go
  to the room's stream as the hub mirror sends them (the header, then each
  durable record with the stream sequence it expects), and a heartbeat every
  2 s on the room's beat subject;
- its death (t = 0) is a kill -9 as the hub sees it: no record, no heartbeat
  from then on; it comes at a random moment between two heartbeats, so the
  silence a co-host measures (from the last heartbeat) began up to 2 s earlier;
- the co-host watches with a `SilenceWatch` (what `follow --control` runs),
  polled every 50 ms as a screen's tick would, and takes the room over as soon
  as the controller is silent: the stream copied, the journal opened, the
  `takeover` record fsynced (the first durable record);
- its records are then published as the mirror would, and a follower reading
  the room (`room_lines`, what `follow nats://` and `serve --hub` read) stamps
  the arrival of the takeover record: the followers and pages now show the
  new controller.

Only the project's dependencies, the standard library and nats-server are used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.kit.nats

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.events import REHEARSAL
from runofshow.session.controller import Controller
from runofshow.sync.hub.connect import connect
from runofshow.sync.hub.names import beat_subject, message_id, stream_name, subject
from runofshow.sync.hub.reader import room_lines
from runofshow.sync.hub.silence import SilenceWatch
from runofshow.sync.hub.takeover import TOKENS_BUCKET, take_over, token_digest
from tests.kit.nats import Cluster, nats_server

CONTROL = "bench-control-token"
BEAT_S = 2.0


async def publish(js: Any, room: str, session: str, lines: list[bytes], after: int) -> int:
    """Publish journal lines as the mirror does, after stream message `after`; the stream's last sequence."""
    last = after
    for line in lines:
        body = line.rstrip(b"\n")
        seq = json.loads(body).get("seq", 0)
        headers = {"Nats-Expected-Last-Sequence": str(last), "Nats-Msg-Id": message_id(session, seq)}
        last = (await js.publish(subject(room), body, headers=headers)).seq
    return last


async def one_run(url: str, room: str, silent_after: float, folder: Path) -> dict[str, float]:
    clock = SystemClock()
    agenda = load_agenda(bundled_agenda())
    journal = folder / f"{room}.jsonl"
    old = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    old.command("start")
    old.command("next")
    nc = await connect(url)
    js = nc.jetstream(timeout=5)
    from nats.js.api import StreamConfig

    await js.add_stream(StreamConfig(name=stream_name(room), subjects=[subject(room)], num_replicas=3))
    kv = await js.key_value(TOKENS_BUCKET)
    await kv.put(room, json.dumps({"control": token_digest(CONTROL)}).encode())
    lines = journal.read_bytes().splitlines(keepends=True)
    hub_last = await publish(js, room, old.header.session_id, lines, 0)

    seen: dict[str, float] = {}

    async def follower() -> None:
        async for line in room_lines(url, room):
            if b'"type":"takeover"' in line:
                seen["follower"] = time.monotonic()
                return

    reading = asyncio.create_task(follower())
    watch = SilenceWatch(url, room, clock)
    await asyncio.to_thread(watch.start)
    for beat in range(3):  # the controller alive for a while: heartbeats; it dies at some moment between two
        await nc.publish(beat_subject(room), json.dumps({"seq": old.engine.seq, "actor": "keyboard"}).encode())
        await asyncio.sleep(BEAT_S if beat < 2 else random.uniform(0, BEAT_S))
    old.writer.close()  # kill -9: nothing more from it
    old.lock.release()
    died = time.monotonic()

    while watch.silent_s() < silent_after:
        await asyncio.sleep(0.05)
    silent = time.monotonic()
    taken = await asyncio.to_thread(
        take_over, url, room, CONTROL, clock, silent_s=watch.silent_s(), silent_after_s=silent_after,
        folder=folder / "rooms",
    )  # fmt: skip
    durable = time.monotonic()  # the takeover record is fsynced when take_over returns (wait=True)
    watch.close()
    new = taken.controller
    mine = new.path.read_bytes().splitlines(keepends=True)[taken.hub_seq + 1 :]
    await publish(js, room, new.header.session_id, mine, hub_last)
    await asyncio.wait_for(reading, 30)
    new.close()
    await nc.close()
    return {
        "silent": silent - died,
        "durable": durable - died,
        "follower": seen["follower"] - died,
        "copy": durable - silent,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--silent-after", type=float, default=10.0)
    args = parser.parse_args()
    if nats_server() is None:
        raise SystemExit("takeover_bench: needs nats-server (apt-get install nats-server)")
    print(
        f"takeover_bench: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"silence after {args.silent_after:g} s, heartbeats every {BEAT_S:g} s, {args.runs} runs",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        os.environ["XDG_STATE_HOME"] = str(root / "state")
        (root / "hub").mkdir()
        cluster = Cluster(root / "hub")
        cluster.start_all()
        try:
            nc = await connect(cluster.url)
            js = nc.jetstream(timeout=2)
            for _ in range(150):  # the first stream waits for the cluster's leader election
                with contextlib.suppress(Exception):
                    await js.create_key_value(bucket=TOKENS_BUCKET, history=1, replicas=3)
                    break
                await asyncio.sleep(0.2)
            await nc.close()
            runs = [await one_run(cluster.url, f"bench-{i}", args.silent_after, root) for i in range(args.runs)]
        finally:
            cluster.stop_all()
    for key, what in (
        ("silent", "death -> the co-host's screen says silent"),
        ("copy", "silent -> takeover fsynced (token, copy, open, record)"),
        ("durable", "death -> the co-host's first durable record"),
        ("follower", "death -> a follower of the room has the takeover"),
    ):
        values = [run[key] for run in runs]
        print(
            f"{what:56} median {statistics.median(values):6.2f} s   min {min(values):6.2f} s   max {max(values):6.2f} s"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    asyncio.run(main())
