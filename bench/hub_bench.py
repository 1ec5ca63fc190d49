"""Many rooms on a three-node hub: fsync to receipt for readers of the rooms' streams.

    .venv/bin/python bench/hub_bench.py [--rooms 10] [--readers 4] [--subs 1] [--seconds 20] [--rate 5]

This process runs --rooms moderators: each a controller whose journal writer
fsyncs every record, with its hub mirror (`sync.hub.mirror`, the thread
`run --hub` starts), all on one three-node nats-server cluster on loopback
(tests/kit/nats.py). A driver thread sends --rate records a second in all,
spread over the rooms, for --seconds, then ends every session.

The readers are --readers other processes, each reading every room with
--subs ordered consumers per room (`sync.hub.reader.RoomReader`, what
`room_lines` and a serve process read with), one NATS connection per
process. A record's fsync time is when the journal writer published it as
durable (the bus, on the writer's thread); its receipt time is when a reader
had its line. Both are CLOCK_MONOTONIC, which every process on the machine
shares. Each room's first record (its start) is written before the readers
come, and a reader says it is ready once every one of its consumers has
read it: the figures are for live records, not the catch-up, which they
leave out. Each reader checks it got every record of every room once, in
order.

This measures readers straight from the hub: `serve --hub` (a web tier with
viewers behind it) is not part of this bench.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.kit.nats

from runofshow.agenda_file import bundled_agenda, load_agenda  # noqa: E402
from runofshow.clock import SystemClock  # noqa: E402
from runofshow.domain.commands import CommandError  # noqa: E402
from runofshow.domain.events import REHEARSAL  # noqa: E402
from runofshow.session.bus import Delivery, DurableRecord  # noqa: E402
from runofshow.session.controller import Controller  # noqa: E402
from tests.kit.nats import Cluster, nats_server  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- a reader process -------------------------------------------------------------


async def _read(url: str, rooms: list[str], subs: int, deadline: float) -> None:
    from runofshow.sync.hub.connect import connect
    from runofshow.sync.hub.reader import RoomReader

    client = await connect(url, name="hub_bench reader")
    got: dict[str, list[list[float]]] = {}
    pending = len(rooms) * subs

    async def one(room: str, index: int) -> None:
        nonlocal pending
        seen: list[list[float]] = []
        got[f"{room}#{index}"] = seen
        async for line in RoomReader(client, room).lines():
            now = time.monotonic()
            record = json.loads(line)
            if record.get("type") == "header":
                continue
            seen.append([record["seq"], now])
            if record["seq"] == 1:  # the start, sent before the readers came: every consumer reads now
                headers.append(room)
                if len(headers) == len(rooms) * subs:
                    all_there.set()
            if record.get("type") == "end":
                pending -= 1
                return

    headers: list[str] = []
    all_there = asyncio.Event()
    tasks = [asyncio.create_task(one(room, index)) for room in rooms for index in range(subs)]
    began = time.monotonic()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_there.wait(), deadline)
    # Every consumer has its room's first record: what comes next is live, not catch-up.
    print(f"ready {len(headers)} {time.monotonic() - began:.1f}", flush=True)
    # Bounded: what has come by then is reported, and the main process says who missed what.
    await asyncio.wait(tasks, timeout=deadline)
    for task in tasks:
        task.cancel()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.close(), 2)
    print(json.dumps(got), flush=True)


# -- the moderators ------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--readers", type=int, default=4, help="reader processes")
    parser.add_argument("--subs", type=int, default=1, help="consumers per room in each reader process")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=5.0, help="records a second, all rooms together")
    parser.add_argument("--reader", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--room-names", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reader:
        asyncio.run(_read(args.reader, args.room_names.split(","), args.subs, args.seconds + 60))
        return 0
    if nats_server() is None:
        print("hub_bench: nats-server is not installed", file=sys.stderr)
        return 2
    from runofshow.sync.hub.mirror import mirror_controller

    print(
        f"hub_bench: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "hub").mkdir()
        cluster = Cluster(root / "hub")
        cluster.start_all()
        try:
            return _bench(args, cluster, root, mirror_controller)
        finally:
            cluster.stop_all()


def _bench(args: argparse.Namespace, cluster: Cluster, root: Path, mirror_controller: object) -> int:
    agenda = load_agenda(bundled_agenda())
    clock = SystemClock()
    rooms = [f"room-{index + 1:02d}" for index in range(args.rooms)]
    durable: dict[tuple[str, int], float] = {}
    controllers: list[Controller] = []
    mirrors = []
    began = time.monotonic()
    for room in rooms:
        controller = Controller.open(root / f"{room}.jsonl", clock, agenda=agenda, mode=REHEARSAL, wait=False)

        def stamp(record: DurableRecord, room: str = room) -> None:
            durable[(room, record.seq)] = time.monotonic()

        controller.bus.records.subscribe(stamp, deliver=Delivery.WRITER_THREAD)
        controllers.append(controller)
        mirrors.append(mirror_controller(controller, cluster.url, room))  # type: ignore[operator]
    deadline = time.monotonic() + 60
    while not all(mirror.acked >= 0 for mirror in mirrors):
        if time.monotonic() > deadline:
            print("hub_bench: the hub did not take the rooms' headers within 60 s", file=sys.stderr)
            return 1
        time.sleep(0.05)
    print(
        f"{len(rooms)} rooms on the hub after {time.monotonic() - began:.1f} s (cluster start, streams R3)", flush=True
    )

    for controller in controllers:
        controller.command("start")  # record 1 of each room: the readers are ready once every consumer has it
    readers = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--reader",
                cluster.url,
                "--room-names",
                ",".join(rooms),
                "--subs",
                str(args.subs),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(args.readers)
    ]
    try:
        return _measure(args, readers, controllers, mirrors, durable, rooms)
    finally:
        for reader in readers:
            if reader.poll() is None:
                reader.kill()
                reader.wait()


def _measure(
    args: argparse.Namespace,
    readers: list[subprocess.Popen[str]],
    controllers: list[Controller],
    mirrors: list[Any],
    durable: dict[tuple[str, int], float],
    rooms: list[str],
) -> int:
    for reader in readers:
        assert reader.stdout is not None
        _, made, took = reader.stdout.readline().split()
        print(f"reader {reader.pid}: {made} consumers made and caught up in {took} s", flush=True)

    def drive() -> None:
        interval = 1.0 / args.rate
        count = 0
        stop = time.monotonic() + args.seconds
        while time.monotonic() < stop:
            controller = controllers[count % len(controllers)]
            try:
                controller.command("message", text=f"message {count}")
            except CommandError:
                pass
            count += 1
            time.sleep(interval)
        for controller in controllers:
            controller.command("end")

    driver = threading.Thread(target=drive)
    driver.start()
    driver.join()
    results: dict[str, list[list[float]]] = {}
    for reader in readers:
        out, _ = reader.communicate(timeout=args.seconds + 90)
        for key, seen in json.loads(out.splitlines()[-1]).items():
            results[f"{reader.pid}:{key}"] = seen
    for mirror in mirrors:
        mirror.close(2.0)
    for controller in controllers:
        controller.close()

    latencies: list[float] = []
    wrong = 0
    for key, seen in results.items():
        room = key.split(":", 1)[1].split("#", 1)[0]
        seqs = [int(seq) for seq, _ in seen]
        if seqs != list(range(1, max(s for (r, s) in durable if r == room) + 1)):
            wrong += 1
        latencies += [(at - durable[(room, int(seq))]) * 1000 for seq, at in seen if int(seq) > 1]
    records = len(durable)
    print(
        f"{len(rooms)} rooms, {records} records fsynced, {args.readers} reader processes x {args.subs} consumer(s)"
        f" per room = {len(results)} room readers, {len(latencies)} receipts"
    )
    if not latencies:
        print("no record reached a reader")
        return 1
    print(
        f"fsync to receipt: p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms,"
        f" max {max(latencies):.1f} ms"
    )
    print(f"readers with a record missing, repeated or out of order: {wrong}")
    print(
        "also running: 3 nats-server nodes, the "
        f"{len(rooms)} controllers with their mirrors (this process), the reader processes; "
        f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    busy = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    print("busiest processes (ps %cpu, over their lifetime): " + "; ".join(busy.splitlines()[1:6]).strip())
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
