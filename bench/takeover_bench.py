"""Takeover: from a controller's death to the co-host's first durable record, and to followers seeing it.

    .venv/bin/python bench/takeover_bench.py [--runs 3] [--silent-after 10]

The issue's goal: with the default 10 s silence, the followers show the new
controller within 15 s of the old one's death, most of it the timeout.

On a real three-node JetStream cluster on loopback (tests/kit/nats.py):

- the room's controller is `runofshow run --hub URL --room ROOM` in a
  pseudo-terminal, started and moved on once; its mirror publishes each
  record and a heartbeat every 2 s;
- its death (t = 0) is a kill -9 of that process, at a random moment
  between two heartbeats, so the silence a co-host measures (from the last
  heartbeat) began up to 2 s earlier;
- the co-host watches with a `SilenceWatch` (what `follow --control` runs),
  polled every 50 ms as a screen's tick would, and takes the room over as soon
  as the controller is silent: the stream copied, the journal opened, the
  `takeover` record fsynced (the first durable record);
- its records are then published by its own hub mirror, and a follower reading
  the room (`room_lines`, what `follow nats://` and `serve --hub` read) stamps
  the arrival of the takeover record: the followers and pages now show the
  new controller.

Only the project's dependencies, the standard library and nats-server are used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.kit.nats

from runofshow.agenda_file import bundled_agenda
from runofshow.clock import SystemClock
from runofshow.sync.hub.connect import connect
from runofshow.sync.hub.mirror import mirror_controller
from runofshow.sync.hub.reader import room_lines
from runofshow.sync.hub.silence import SilenceWatch
from runofshow.sync.hub.takeover import TOKENS_BUCKET, take_over
from tests.kit.nats import Cluster, nats_server
from tests.kit.pty import Pty

#: How often the hub mirror says the controller is alive.
BEAT_S = 2.0


async def one_run(url: str, room: str, silent_after: float, folder: Path) -> dict[str, float]:
    clock = SystemClock()
    journal = folder / f"{room}.jsonl"
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(folder / "old"))
    run = [sys.executable, "-m", "runofshow", "run", str(bundled_agenda()), "--rehearsal", "--log", str(journal)]
    with Pty([*run, "--hub", url, "--room", room], env, (100, 30)) as old:
        old.read_until("hub ✓")
        old.send(b" ")
        old.send(b"n")
        while not (await _has_tokens(url, room)) or b'"type":"next"' not in journal.read_bytes():
            await asyncio.sleep(0.1)
        seen: dict[str, float] = {}

        async def follower() -> None:
            async for line in room_lines(url, room):
                if b'"type":"takeover"' in line:
                    seen["follower"] = time.monotonic()
                    return

        reading = asyncio.create_task(follower())
        watch = SilenceWatch(url, room, clock)
        await asyncio.to_thread(watch.start)
        await asyncio.sleep(BEAT_S * 2 + random.uniform(0, BEAT_S))  # it dies at some moment between two heartbeats
        old.process.kill()  # kill -9
        died = time.monotonic()
        old.process.wait()
    control = (folder / f"{room}.jsonl.control-token").read_text().strip()

    while watch.silent_s() < silent_after:
        await asyncio.sleep(0.05)
    silent = time.monotonic()
    taken = await asyncio.to_thread(
        take_over, url, room, control, clock, silent_s=watch.silent_s(), silent_after_s=silent_after,
        folder=folder / "rooms",
    )  # fmt: skip
    durable = time.monotonic()  # the takeover record is fsynced when take_over returns
    watch.close()
    mirror = mirror_controller(taken.controller, url, room, token_hashes=taken.tokens)
    await asyncio.wait_for(reading, 30)
    taken.controller.close()
    await asyncio.to_thread(mirror.close, 2.0)
    return {
        "silent": silent - died,
        "durable": durable - died,
        "follower": seen["follower"] - died,
        "copy": durable - silent,
    }


async def _has_tokens(url: str, room: str) -> bool:
    nc = await connect(url)
    try:
        bucket = await nc.jetstream(timeout=2).key_value(TOKENS_BUCKET)
        return bool((await bucket.get(room)).value)
    except Exception:
        return False
    finally:
        await nc.close()


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
