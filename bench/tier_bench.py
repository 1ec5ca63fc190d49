"""Many rooms served by `serve --hub`: fsync to receipt for WebSocket viewers behind the web tier.

    .venv/bin/python bench/tier_bench.py [--rooms 10] [--serves 4] [--viewers 4000] [--clients 4]
                                         [--seconds 20] [--rate 5] [--ping 20]

This process runs --rooms moderators on one three-node nats-server cluster on
loopback (tests/kit/nats.py): each a controller whose journal writer fsyncs
every record, with its hub mirror (`mirror_controller`, what `run --hub`
starts), which also puts the room's key hashes in the tokens bucket.

--serves `runofshow serve --hub URL --listen 127.0.0.1:0` processes serve
every room. --viewers WebSocket viewers, in --clients other processes, each
follow one room's journal stream on one serve process
(`ws://127.0.0.1:PORT/r/ROOM?token=SESSION_KEY&since=0`, as `follow` does):
viewer i watches room i mod --rooms through serve process (i div --rooms)
mod --serves, so every serve process has viewers of every room.

Each room's first record (its start) is written before the viewers come; a
client process says it is ready once every one of its viewers has it, so the
figures are for live records only. Then a driver thread writes --rate records
a second in all, spread over the rooms, for --seconds, and ends every session.
A record's fsync time is when the journal writer published it as durable (on
the writer's thread); its receipt time is when a viewer's client had the
frame. Both are CLOCK_MONOTONIC, shared by every process on the machine.
Each viewer is checked to have had every record of its room once, in order.

Each viewer pings the tier every --ping seconds, as `follow` does (the
tier pings every 20 s too); viewers that all came within a few seconds ping
within a few seconds of each other, 20 s later and every 20 s after.

CPU is counted from /proc over the measured stretch (from the first live
record to the last viewer's last receipt), for every process on the machine,
so what else ran is printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
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
from runofshow.secrets import Token, token  # noqa: E402
from runofshow.session.bus import Delivery, DurableRecord  # noqa: E402
from runofshow.session.controller import Controller  # noqa: E402
from tests.kit.nats import Cluster, nats_server  # noqa: E402

#: Handshakes in flight at once in one client process.
CONNECTING = 64


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- a client process: many viewers ------------------------------------------------


async def _viewers(viewers: list[list[str]], deadline: float, ping: float | None) -> None:
    """Follow each (url, key, room); print "ready N SECONDS" once all have record 1, then what each received."""
    from websockets.asyncio.client import connect

    got: list[list[Any]] = []
    have_first = 0
    all_there = asyncio.Event()
    gate = asyncio.Semaphore(CONNECTING)
    failed: list[str] = []
    ended: list[str] = []
    all_ended = asyncio.Event()

    async def one(url: str, key: str, room: str) -> None:
        nonlocal have_first
        seen: list[list[float]] = []
        got.append([room, seen])
        connection = None
        for _ in range(20):  # a serve process still reading the room says 503: again
            async with gate:
                try:
                    connection = await connect(
                        f"{url}?token={key}&since=0", max_size=2**24, open_timeout=30, ping_interval=ping
                    )
                    break
                except Exception as error:  # noqa: BLE001 - counted and tried again
                    last = f"{type(error).__name__}: {error}"
            await asyncio.sleep(0.5)
        if connection is None:
            failed.append(last)
            return
        async with connection:
            async for message in connection:
                now = time.monotonic()
                record = json.loads(message)
                kind = record.get("type")
                if kind in ("header", "heartbeat") or "seq" not in record:
                    continue
                seen.append([record["seq"], now])
                if record["seq"] == 1:
                    have_first += 1
                    if have_first == len(viewers):
                        all_there.set()
                if kind == "end":
                    ended.append(room)
                    if len(ended) == len(viewers):
                        all_ended.set()
                    # Closed once every viewer here has its end: closing handshakes must not delay the others' ends.
                    await all_ended.wait()
                    return

    began = time.monotonic()
    tasks = [asyncio.create_task(one(*viewer)) for viewer in viewers]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_there.wait(), deadline)
    print(f"ready {have_first} {time.monotonic() - began:.1f} {len(failed)}", flush=True)
    at_ready = os.times()
    await asyncio.wait(tasks, timeout=deadline)
    for task in tasks:
        task.cancel()
    at_end = os.times()
    cpu = at_end.user + at_end.system - at_ready.user - at_ready.system  # the measured stretch: gone before it is read
    print(json.dumps({"got": got, "failed": failed[:3], "cpu": cpu}), flush=True)


# -- CPU over the measured stretch --------------------------------------------------


def cpu_ticks() -> dict[int, tuple[str, int]]:
    """Every process's (name, user+system clock ticks so far)."""
    found: dict[int, tuple[str, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = Path(f"/proc/{entry}/stat").read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 2 :].split()
            found[int(entry)] = (name, int(fields[11]) + int(fields[12]))
    return found


def machine_ticks() -> list[int]:
    """The machine's CPU ticks so far: user, nice, system, idle, iowait, ... (the first line of /proc/stat)."""
    return [int(field) for field in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def machine_share(before: list[int]) -> str:
    """How busy all the CPUs were since `before`, processes that came and went included."""
    spent = [now - then for now, then in zip(machine_ticks(), before, strict=False)]
    total = sum(spent) or 1
    busy = total - spent[3] - spent[4]
    return f"the machine's CPUs {busy / total * 100:.0f}% busy, {spent[4] / total * 100:.0f}% waiting on I/O"


def _command(pid: int, name: str) -> str:
    """Someone else's process: its program and first arguments, without directories."""
    with contextlib.suppress(OSError):
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        shown = " ".join(os.path.basename(word) for word in words[:4] if word).replace("\n", " ")
        return f"other: {shown[:60]}" if shown else f"other: {name}"
    return f"other: {name}"


def busiest(
    before: dict[int, tuple[str, int]],
    seconds: float,
    names: dict[int, str],
    gone: list[tuple[float, str]],
    count: int = 8,
) -> str:
    """CPU shares over `seconds`: `gone` are (CPU seconds, name) of processes that said so before they ended."""
    after = cpu_ticks()
    hertz = os.sysconf("SC_CLK_TCK")
    used = [(spent / seconds * 100, name) for spent, name in gone]
    for pid, (name, ticks) in after.items():
        spent = ticks - before.get(pid, (name, 0))[1]
        if spent > 0:
            used.append((spent / hertz / seconds * 100, names.get(pid) or _command(pid, name)))
    used.sort(reverse=True)
    ours = [f"{share:.0f}% {name}" for share, name in used if not name.startswith("other: ")]
    others = [f"{share:.0f}% {name}" for share, name in used if name.startswith("other: ")]
    total = sum(share for share, name in used if name.startswith("other: "))
    return (
        f"this bench: {'; '.join(ours)}\n  everything else ({total:.0f}% in all), busiest first:"
        f" {'; '.join(others[:count])}"
    )


# -- the moderators ----------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--serves", type=int, default=4, help="`serve --hub` processes")
    parser.add_argument("--viewers", type=int, default=4000, help="viewers in all")
    parser.add_argument("--clients", type=int, default=4, help="processes the viewers run in")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=5.0, help="records a second, all rooms together")
    parser.add_argument(
        "--ping", type=float, default=20.0, help="each viewer's keepalive ping interval, s (20, as follow; 0: none)"
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        spec = json.loads(sys.stdin.readline())
        asyncio.run(_viewers(spec["viewers"], spec["deadline"], spec["ping"]))
        return 0
    if nats_server() is None:
        print("tier_bench: nats-server is not installed", file=sys.stderr)
        return 2
    print(
        f"tier_bench: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "hub").mkdir()
        cluster = Cluster(root / "hub")
        cluster.start_all()
        try:
            return _bench(args, cluster, root)
        finally:
            cluster.stop_all()


def _bench(args: argparse.Namespace, cluster: Cluster, root: Path) -> int:
    from runofshow.sync.hub.mirror import mirror_controller

    agenda = load_agenda(bundled_agenda())
    clock = SystemClock()
    rooms = [f"room-{index + 1:02d}" for index in range(args.rooms)]
    durable: dict[tuple[str, int], float] = {}
    controllers: list[Controller] = []
    mirrors: list[Any] = []
    keys: dict[str, str] = {}
    began = time.monotonic()
    for room in rooms:
        path = root / f"{room}.jsonl"
        controller = Controller.open(path, clock, agenda=agenda, mode=REHEARSAL, wait=False)
        keys[room] = token(path, Token.SESSION)

        def stamp(record: DurableRecord, room: str = room) -> None:
            durable[(room, record.seq)] = time.monotonic()

        controller.bus.records.subscribe(stamp, deliver=Delivery.WRITER_THREAD)
        controllers.append(controller)
        mirrors.append(mirror_controller(controller, cluster.url, room))
    deadline = time.monotonic() + 60
    while not all(mirror.acked >= 0 for mirror in mirrors):
        if time.monotonic() > deadline:
            print("tier_bench: the hub did not take the rooms' headers within 60 s", file=sys.stderr)
            return 1
        time.sleep(0.05)
    for controller in controllers:
        controller.command("start")  # record 1 of each room: a client is ready once all its viewers have it
    print(
        f"{len(rooms)} rooms on the hub after {time.monotonic() - began:.1f} s (cluster start, streams R3)", flush=True
    )

    serves: list[subprocess.Popen[str]] = []
    clients: list[subprocess.Popen[str]] = []
    try:
        ports = []
        for index in range(args.serves):
            serve = subprocess.Popen(
                [sys.executable, "-m", "runofshow", "serve", "--hub", cluster.url, "--listen", "127.0.0.1:0"],
                stdout=subprocess.PIPE,
                stderr=(root / f"serve-{index}.err").open("w"),
                text=True,
            )
            serves.append(serve)
            assert serve.stdout is not None
            said = serve.stdout.readline()
            found = re.search(r"127\.0\.0\.1:(\d+)/r/ROOM/", said)
            if found is None:
                print(f"tier_bench: serve --hub said {said!r}", file=sys.stderr)
                return 1
            ports.append(int(found[1]))
        viewers = [
            [
                f"ws://127.0.0.1:{ports[(index // len(rooms)) % len(ports)]}/r/{rooms[index % len(rooms)]}",
                keys[rooms[index % len(rooms)]],
                rooms[index % len(rooms)],
            ]
            for index in range(args.viewers)
        ]
        began = time.monotonic()
        for index in range(args.clients):
            client = subprocess.Popen(
                [sys.executable, __file__, "--client"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            assert client.stdin is not None
            client.stdin.write(
                json.dumps(
                    {
                        "viewers": viewers[index :: args.clients],
                        "deadline": args.seconds + 90,
                        "ping": args.ping or None,
                    }
                )
            )
            client.stdin.write("\n")
            client.stdin.close()
            client.stdin = None  # written and closed: communicate() must not flush it
            clients.append(client)
        for client in clients:
            assert client.stdout is not None
            _, ready, took, failed = client.stdout.readline().split()
            print(f"client {client.pid}: {ready} viewers following in {took} s, {failed} could not connect", flush=True)
        print(f"{args.viewers} viewers on {args.serves} serve processes after {time.monotonic() - began:.1f} s")
        names = {os.getpid(): "bench (controllers + mirrors)"}
        names |= {serve.pid: f"serve #{index + 1}" for index, serve in enumerate(serves)}
        names |= {client.pid: f"viewers #{index + 1}" for index, client in enumerate(clients)}
        names |= {
            node.pid: f"nats-server #{index + 1}" for index, node in enumerate(cluster.processes) if node is not None
        }
        return _measure(args, clients, controllers, mirrors, durable, rooms, names)
    finally:
        for process in clients:
            if process.poll() is None:
                process.kill()
                process.wait()
        for process in serves:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _measure(
    args: argparse.Namespace,
    clients: list[subprocess.Popen[str]],
    controllers: list[Controller],
    mirrors: list[Any],
    durable: dict[tuple[str, int], float],
    rooms: list[str],
    names: dict[int, str],
) -> int:
    def drive() -> None:
        interval = 1.0 / args.rate
        count = 0
        stop = time.monotonic() + args.seconds
        while time.monotonic() < stop:
            controller = controllers[count % len(controllers)]
            with contextlib.suppress(CommandError):
                controller.command("message", text=f"message {count}")
            count += 1
            time.sleep(interval)
        for controller in controllers:
            controller.command("end")

    before = cpu_ticks()
    machine_before = machine_ticks()
    began = time.monotonic()
    driver = threading.Thread(target=drive)
    driver.start()
    driver.join()
    results: list[list[Any]] = []
    problems: list[str] = []
    gone: list[tuple[float, str]] = []
    for client in clients:
        out, _ = client.communicate(timeout=args.seconds + 120)
        reply = json.loads(out.splitlines()[-1])
        results += reply["got"]
        problems += reply["failed"]
        gone.append((reply["cpu"], names.pop(client.pid)))
    stretch = time.monotonic() - began
    cpu = busiest(before, stretch, names, gone)
    machine = machine_share(machine_before)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for mirror in mirrors:
        mirror.close(2.0)
    for controller in controllers:
        controller.close()

    last = {room: max(seq for (r, seq) in durable if r == room) for room in rooms}
    latencies: list[float] = []
    kinds: list[str] = []
    complete = 0
    first: dict[tuple[str, int], float] = {}  # each record's earliest receipt, by any viewer
    latest: dict[tuple[str, int], float] = {}
    for room, seen in results:
        seqs = [int(seq) for seq, _ in seen]
        if seqs == list(range(1, last[room] + 1)):
            complete += 1
        for seq, at in seen:
            if int(seq) > 1:
                key = (room, int(seq))
                latencies.append((at - durable[key]) * 1000)
                kinds.append("end" if int(seq) == last[room] else "message")
                first[key] = min(first.get(key, at), at)
                latest[key] = max(latest.get(key, at), at)
    print(
        f"{len(rooms)} rooms, {len(durable)} records fsynced ({args.rate:g}/s for {args.seconds:g} s, then an end each),"
        f" {args.serves} serve --hub processes, {len(results)} viewers in {len(clients)} client processes,"
        f" {len(latencies)} receipts"
    )
    if problems:
        print(f"could not connect, e.g.: {problems}")
    if not latencies:
        print("no record reached a viewer")
        return 1
    print(
        f"fsync to receipt, every record: p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms,"
        f" max {max(latencies):.1f} ms"
    )
    steady = [ms for ms, kind in zip(latencies, kinds, strict=True) if kind != "end"]
    ends = [ms for ms, kind in zip(latencies, kinds, strict=True) if kind == "end"]
    if steady and ends:
        print(
            f"  the steady messages only: p50 {percentile(steady, 0.5):.1f} ms, p99 {percentile(steady, 0.99):.1f} ms,"
            f" max {max(steady):.1f} ms; the {len(rooms)} ends, written at once: p50 {percentile(ends, 0.5):.1f} ms,"
            f" p99 {percentile(ends, 0.99):.1f} ms"
        )
    to_first = [(at - durable[key]) * 1000 for key, at in first.items()]
    spread = [(latest[key] - at) * 1000 for key, at in first.items()]
    print(
        f"where it goes, per record: fsync to its first viewer (hub + one serve process) p50"
        f" {percentile(to_first, 0.5):.1f} ms, p99 {percentile(to_first, 0.99):.1f} ms; first viewer to last"
        f" (fan-out to the room's {args.viewers // len(rooms)} viewers) p50 {percentile(spread, 0.5):.1f} ms,"
        f" p99 {percentile(spread, 0.99):.1f} ms"
    )
    slow = sorted(first, key=lambda key: latest[key] - durable[key], reverse=True)[:3]
    order = sorted(durable[key] for key in first)
    print(
        "slowest records (record's place in the run / last viewer's receipt): "
        + ", ".join(f"{order.index(durable[key]) + 1}/{(latest[key] - durable[key]) * 1000:.0f} ms" for key in slow)
    )
    start = min(durable[key] for key in first)
    late = sorted((durable[key] - start, (latest[key] - durable[key]) * 1000) for key in first)
    late = [(when, ms) for when, ms in late if ms > 250]
    print(
        f"records whose last viewer had it after 250 ms: {len(late)} of {len(first)}"
        + (", at (s into the run: ms) " + ", ".join(f"{when:.1f}: {ms:.0f}" for when, ms in late) if late else "")
    )
    print(f"viewers that got every record of their room once, in order: {complete} of {args.viewers}")
    print(f"load average after: {load}")
    print(f"over the {stretch:.1f} s measured, {machine} (processes that ended meanwhile included)")
    print(f"CPU over the {stretch:.1f} s measured (100% = one core; every process on the machine): {cpu}")
    return 0 if complete == args.viewers else 1


if __name__ == "__main__":
    raise SystemExit(main())
