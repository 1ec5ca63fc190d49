"""How soon a follower sees a record: from the controller's fsync to the follower's new state.

    .venv/bin/python bench/follow_bench.py [--records 300] [--followers 50] [--processes 2] [--only file|ws]

The issue's goals: following a journal file on the same machine, p99 <= 50 ms;
over a loopback WebSocket with 50 followers at once, p99 <= 20 ms.

Both ends stamp CLOCK_BOOTTIME, the clock the journal uses, which every
process on the machine shares:

- the controller, in a subscriber to the session's records on the writer's
  thread: the journal publishes each record right after its fsync (the stamp
  is taken there, before the server's own loop is handed the record);
- the follower, right after its poll() has applied the record to its engine,
  i.e. once the state a screen would draw has changed.

Stamps are matched by the record's seq. A write is readable before its fsync
returns, so a file follower often applies a record "before" it was synced
(negative figures); the bench therefore also prints the time from the command
being issued, which includes the write and the fsync. The controller issues `start`, then
alternates pause/resume at random intervals of 50-100 ms, then `end`; any
warning the engine records meanwhile is a record too and is counted.

(a) file: this process is the controller; one other process runs a
    FileFollower woken by FileWatch (inotify), exactly as `runofshow follow
    JOURNAL` does.
(b) ws: this process is the controller and runs the JournalServer in its event
    loop, as `runofshow run --serve` does (commands and fsyncs happen in that
    same loop); the followers are RemoteFollowers, spread over --processes other
    processes, each process running its share in one event loop.

The machine is shared, so figures vary between runs: the load average is
printed with them. Only the project's dependencies and the standard library
are used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.events import REHEARSAL
from runofshow.session.bus import Delivery, DurableRecord
from runofshow.session.controller import Controller
from runofshow.sync.follower import FileFollower
from runofshow.sync.remote import RemoteFollower
from runofshow.sync.server import JournalServer, bind
from runofshow.sync.watch import FileWatch

GOAL_FILE_P99_MS = 50.0
GOAL_WS_P99_MS = 20.0
#: How long a follower process may take to start and catch up before the run is abandoned.
READY_TIMEOUT_S = 60.0
TOKEN = "bench-token"


def now() -> float:
    """CLOCK_BOOTTIME, in seconds: the journal's clock, shared by every process."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------------------
# Follower processes: print "ready", then, at the end, one JSON line of stamps.


async def follow_file(path: Path) -> None:
    """One FileFollower woken by FileWatch; stamps each record once poll() has applied it."""
    follower = FileFollower(path, SystemClock())
    watch = FileWatch(path)
    stamps: dict[int, float] = {}
    told = False
    async for _ in watch.changes():
        events = follower.poll()
        stamp = now()
        for event in events:
            stamps[event.seq] = stamp
        if not told and follower.ready:
            print(json.dumps({"ready": True, "inotify": watch.uses_inotify}), flush=True)
            told = True
        if follower.problem:
            raise SystemExit(f"follower: {follower.problem}")
        if follower.ready and follower.engine.ended:
            break
    print(json.dumps({"stamps": [stamps]}), flush=True)


async def follow_ws(url: str, count: int) -> None:
    """`count` RemoteFollowers in this one event loop; stamps each record once poll() has applied it."""
    followers = [RemoteFollower(url, TOKEN, SystemClock()) for _ in range(count)]
    await asyncio.gather(*(follower.first_contact() for follower in followers))
    stamps: list[dict[int, float]] = [{} for _ in followers]

    async def run(follower: RemoteFollower, mine: dict[int, float]) -> None:
        async for _ in follower.changes():
            events = follower.poll()
            stamp = now()
            for event in events:
                mine[event.seq] = stamp
            if follower.engine.ended:
                return

    tasks = [asyncio.create_task(run(follower, mine)) for follower, mine in zip(followers, stamps)]
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.gather(*tasks)
    print(json.dumps({"stamps": stamps}), flush=True)


# ---------------------------------------------------------------------------
# The controller's side


class Child:
    """A follower process: started, waited for until ready, then asked for its stamps."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.hello: dict[str, Any] = {}

    @classmethod
    async def start(cls, *args: str) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,
        )
        return cls(process)

    async def _line(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            raise SystemExit(
                f"a follower process (PID {self.process.pid}) ended early, status {await self.process.wait()}"
            )
        message: dict[str, Any] = json.loads(line)
        return message

    async def ready(self) -> None:
        self.hello = await self._line(READY_TIMEOUT_S)

    async def stamps(self) -> list[dict[int, float]]:
        result = await self._line(READY_TIMEOUT_S)
        await self.process.wait()
        return [{int(seq): stamp for seq, stamp in mine.items()} for mine in result["stamps"]]


class Stamps:
    """The controller's stamps: when each record's fsync returned, and when its command was issued."""

    def __init__(self) -> None:
        self.synced: dict[int, float] = {}
        self.issued: dict[int, float] = {}
        self.command_at = 0.0

    def listener(self, record: DurableRecord) -> None:
        at = now()
        self.synced[record.seq] = at
        self.issued[record.seq] = self.command_at


async def drive(
    controller: Controller, stamps: Stamps, records: int, low: float, high: float, rng: random.Random
) -> None:
    """start, then pause/resume every 50-100 ms, then end; the listener stamps each fsynced record."""
    commands = ["start", *("pause" if number % 2 == 0 else "resume" for number in range(records)), "end"]
    for number, command in enumerate(commands):
        if number:
            await asyncio.sleep(rng.uniform(low, high))
        stamps.command_at = now()
        controller.command(command)


def open_controller(folder: Path) -> tuple[Controller, Stamps]:
    """A rehearsal of the seed agenda on a fresh journal, stamping each record after its fsync."""
    controller = Controller.open(
        folder / "session.jsonl", SystemClock(), agenda=load_agenda(bundled_agenda()), mode=REHEARSAL
    )
    stamps = Stamps()
    controller.bus.records.subscribe(stamps.listener, deliver=Delivery.WRITER_THREAD)
    return controller, stamps


def latencies(written: dict[int, float], followers: list[dict[int, float]]) -> tuple[list[float], int]:
    """Milliseconds from fsync to applied, over every follower and record; and how many were never seen."""
    values: list[float] = []
    missing = 0
    for seen in followers:
        for seq, at in written.items():
            if seq in seen:
                values.append((seen[seq] - at) * 1000)
            else:
                missing += 1
    return values, missing


def report(name: str, stamps: Stamps, followers: list[dict[int, float]], goal: float, where: str) -> None:
    print(f"{name}")
    print(f"  where: {where}")
    values, missing = latencies(stamps.synced, followers)
    if not values:
        print("  no samples")
        return
    verdict = "meets" if percentile(values, 99) <= goal else "MISSES"
    print(
        f"  samples {len(values)} (missing {missing}); p50 {percentile(values, 50):.2f} ms, "
        f"p99 {percentile(values, 99):.2f} ms, max {max(values):.2f} ms, min {min(values):.2f} ms"
        f"  -> {verdict} the p99 <= {goal:.0f} ms goal"
    )
    early = sum(1 for value in values if value < 0)
    if early:
        print(
            f"  {early} sample(s) below zero: the follower applied the record before the controller's fsync "
            "returned (a write is readable at once; fsync only makes it durable)"
        )
    whole, _ = latencies(stamps.issued, followers)
    print(
        f"  from the command being issued instead (its write and fsync included): "
        f"p50 {percentile(whole, 50):.2f} ms, p99 {percentile(whole, 99):.2f} ms, max {max(whole):.2f} ms"
    )


async def bench_file(folder: Path, args: argparse.Namespace, rng: random.Random) -> None:
    controller, written = open_controller(folder)
    child = await Child.start("--role", "file", str(controller.path))
    try:
        await child.ready()
        await drive(controller, written, args.records, args.low, args.high, rng)
        stamps = await child.stamps()
    finally:
        controller.close()
        if child.process.returncode is None:
            child.process.kill()
    how = "inotify" if child.hello.get("inotify") else "20 ms stat polling"
    report(
        f"(a) file follow: {len(written.synced)} records, pause/resume every {args.low * 1000:.0f}-{args.high * 1000:.0f} ms",
        written,
        stamps,
        GOAL_FILE_P99_MS,
        f"controller in PID {os.getpid()}; FileFollower + FileWatch ({how}) in PID {child.process.pid}",
    )


async def bench_ws(folder: Path, args: argparse.Namespace, rng: random.Random) -> None:
    controller, written = open_controller(folder)
    server = JournalServer(controller.path, TOKEN, bind("127.0.0.1", 0), SystemClock())
    controller.bus.records.subscribe(server.take, deliver=Delivery.loop(server.loop))  # as run.py
    await server.start()
    url = f"ws://127.0.0.1:{server.port}"
    shares = [
        args.followers // args.processes + (1 if i < args.followers % args.processes else 0)
        for i in range(args.processes)
    ]
    children = [await Child.start("--role", "ws", url, str(share)) for share in shares if share]
    try:
        await asyncio.gather(*(child.ready() for child in children))
        connected = server.followers
        await drive(controller, written, args.records, args.low, args.high, rng)
        stamps = [mine for result in await asyncio.gather(*(child.stamps() for child in children)) for mine in result]
    finally:
        await server.close()
        controller.close()
        for child in children:
            if child.process.returncode is None:
                child.process.kill()
    pids = ", ".join(f"{child.process.pid} ({share})" for child, share in zip(children, [s for s in shares if s]))
    report(
        f"(b) loopback WebSocket: {len(written.synced)} records x {len(stamps)} followers ({connected} connected at once)",
        written,
        stamps,
        GOAL_WS_P99_MS,
        f"controller + JournalServer in PID {os.getpid()} (one event loop); RemoteFollowers in PIDs {pids}",
    )


async def main_async(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    print(
        f"follow_bench: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"Python {sys.version.split()[0]}, {args.records} pause/resume commands per run"
    )
    with tempfile.TemporaryDirectory(prefix="follow-bench-") as temp:
        folder = Path(temp)
        print(f"journals in {folder} (the fsync is before the first stamp, so the disk's speed is not counted)")
        if args.only in (None, "file"):
            (folder / "a").mkdir()
            await bench_file(folder / "a", args, rng)
        if args.only in (None, "ws"):
            (folder / "b").mkdir()
            await bench_ws(folder / "b", args, rng)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300, help="pause/resume commands per run (default 300)")
    parser.add_argument("--followers", type=int, default=50, help="WebSocket followers at once (default 50)")
    parser.add_argument(
        "--processes", type=int, default=2, help="processes the WebSocket followers are spread over (default 2)"
    )
    parser.add_argument("--low", type=float, default=0.05, help="shortest gap between commands, s (default 0.05)")
    parser.add_argument("--high", type=float, default=0.10, help="longest gap between commands, s (default 0.10)")
    parser.add_argument("--only", choices=("file", "ws"), help="run one of the two")
    parser.add_argument("--seed", type=int, default=1, help="seed for the gaps between commands")
    parser.add_argument("--role", nargs="+", help=argparse.SUPPRESS)  # a follower process's half
    args = parser.parse_args(argv)
    if args.role:
        role, *rest = args.role
        if role == "file":
            asyncio.run(follow_file(Path(rest[0])))
        else:
            asyncio.run(follow_ws(rest[0], int(rest[1])))
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
