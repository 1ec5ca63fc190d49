"""What followers cost the moderator: keypress-to-fsync latency while they catch up, and memory.

    .venv/bin/python bench/server_bench.py [--quick] [--keys 120] [--processes 4]

(a) latency: this process is the moderator. Its main thread runs an asyncio
    loop, as the screen does, and "presses a key" (pause or resume) every
    50-100 ms; the served JournalServer runs in its own thread, as in
    `runofshow run --serve`. Followers, spread over --processes other
    processes, connect with since=0 just before the first key and read as fast
    as they can, so they are catching up while the keys are pressed. Each
    figure is from the instant the key was due on the loop to the return of
    the fsync of its record (loop lag, the engine, the write and the fsync),
    for 0, 100 and 1,000 followers on a 3,000-record and a 200,000-record
    journal. Goal: max <= 50 ms with 100 followers.
(b) memory: 20 followers that complete the handshake and then never read,
    on a 30 MB journal; the moderator's RSS before they connect, and its peak
    and current RSS after keys have been pressed for a while. The bound is in
    the server's docstring: per connection, one catch-up chunk, the write
    buffer and the live queue.

Only loopback addresses are used; every loop is bounded by a count or a
deadline. The machine is shared, so figures vary between runs: the load
average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import FakeClock, SystemClock
from runofshow.domain.commands import CommandError
from runofshow.domain.events import REHEARSAL, Event
from runofshow.domain.instants import format_instant
from runofshow.journal.codec import encode, new_header
from runofshow.session.bus import Delivery, DurableRecord
from runofshow.session.controller import Controller
from runofshow.sync.offsets import CHUNK_BYTES
from runofshow.sync.server import (
    CATCH_UP_SLOTS,
    MAX_FRAME,
    MAX_QUEUE,
    QUEUE_RECORDS,
    WRITE_LIMIT,
    JournalServer,
    bind,
)

GOAL_MAX_MS = 50.0
TOKEN = "bench-token"
#: How long followers may take to connect before the run is abandoned.
CONNECT_TIMEOUT_S = 120.0


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def rss_kib() -> int:
    """This process's resident set now, in KiB."""
    with open("/proc/self/statm") as file:
        pages = int(file.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def build_journal(path: Path, events: int) -> None:
    """A journal of a start and then pause/resume pairs, one a second, written with the journal's own encoder.

    They end a minute ago, on another boot, so that a controller on the system's clock resumes the session.
    """
    began_us = SystemClock().read().wall_us - (events + 60) * 1_000_000
    clock = FakeClock(format_instant(began_us), boot="built")
    with open(path, "wb") as file:
        file.write(encode(new_header(load_agenda(bundled_agenda()), REHEARSAL, clock.read()).to_json()))
        for seq in range(1, events + 1):
            clock.advance(1)
            reading = clock.read()
            kind = "start" if seq == 1 else ("pause" if seq % 2 == 0 else "resume")
            data = {"anchor": format_instant(began_us + 1_000_000)} if seq == 1 else {"segment": 1}
            event = Event.from_data(seq, kind, reading.wall_us, round(reading.mono, 6), reading.boot, data)
            file.write(encode(event.to_json()))
        file.flush()
        os.fsync(file.fileno())  # else the first key's fsync writes the whole file back


# ---------------------------------------------------------------------------
# Follower processes: connect COUNT followers, print "ready", read until stdin closes, print totals.


async def child(url: str, count: int) -> None:
    """Followers that read everything, reconnecting from their last seq if dropped."""
    received = [0] * count
    dropped = [0] * count
    reasons: dict[str, int] = {}

    async def one(index: int) -> None:
        since = 0
        while True:
            try:
                async with connect(f"{url}?token={TOKEN}&since={since}", max_size=2**24, proxy=None) as ws:
                    connected.append(index)
                    async for message in ws:
                        received[index] += 1
                        if isinstance(message, str) and message.startswith('{"seq":'):
                            since = int(message[7 : message.index(",")])
            except Exception as error:
                dropped[index] += 1
                closed = getattr(error, "rcvd", None)
                reasons[type(error).__name__ + (f" {closed.code}" if closed is not None else "")] = 1
                await asyncio.sleep(0.2)

    connected: list[int] = []
    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while len(set(connected)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for task in tasks:
        task.cancel()
    with contextlib.suppress(BrokenPipeError):
        print(json.dumps({"received": sum(received), "dropped": sum(dropped), "why": sorted(reasons)}), flush=True)


async def silent(port: int, count: int) -> list[socket.socket]:
    """Followers that finish the handshake and never read again."""
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(
            (
                f"GET /?token={TOKEN}&since=0 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 4096:
            head += sock.recv(1)  # one byte at a time: take nothing past the response head
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise SystemExit(f"handshake refused: {head[:80]!r}")
        socks.append(sock)
    return socks


# ---------------------------------------------------------------------------
# The moderator


class Keys:
    """Each key's ms from due to fsynced, and the part of it spent waiting for the loop."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.lost = 0

    def line(self) -> str:
        total, lag = self.latencies, self.lags
        return (
            f"p50 {percentile(total, 50):6.1f}  p99 {percentile(total, 99):6.1f}  max {max(total):6.1f}"
            f"  (loop lag p99 {percentile(lag, 99):5.1f} max {max(lag):5.1f})"
            + (f" {self.lost} never fsynced" if self.lost else "")
        )


async def press_keys(controller: Controller, keys: int, rng: random.Random) -> Keys:
    """Press `keys` keys 50-100 ms apart on this loop; each one's ms from due to fsynced.

    The journal's writer thread makes the record durable and then publishes
    it on the session's bus: the stamp is taken by a subscriber called there.
    """
    loop = asyncio.get_running_loop()
    measured = Keys()
    done = asyncio.Event()
    due_at: dict[int, float] = {}
    synced: dict[int, float] = {}

    def stamp(record: DurableRecord) -> None:
        synced[record.seq] = time.monotonic()

    def press(due: float, left: int) -> None:
        began = time.monotonic()
        try:
            ack = controller.command("pause")
        except CommandError:
            ack = controller.command("resume")
        due_at[ack.event.seq] = due
        measured.lags.append((began - due) * 1000)
        if left <= 1:
            done.set()
            return
        following = time.monotonic() + rng.uniform(0.05, 0.1)
        loop.call_at(loop.time() + (following - time.monotonic()), press, following, left - 1)

    controller.bus.records.subscribe(stamp, deliver=Delivery.WRITER_THREAD)
    try:
        first = time.monotonic() + 0.05
        loop.call_at(loop.time() + 0.05, press, first, keys)
        await done.wait()
        deadline = time.monotonic() + 30
        while len(synced.keys() & due_at.keys()) < len(due_at) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    finally:
        controller.bus.records.unsubscribe(stamp)
    measured.latencies = [(synced[seq] - due) * 1000 for seq, due in due_at.items() if seq in synced]
    measured.lost = len(due_at) - len(measured.latencies)
    return measured


async def spawn(url: str, total: int, processes: int) -> list[asyncio.subprocess.Process]:
    counts = [total // processes + (1 if i < total % processes else 0) for i in range(processes)]
    children = []
    for count in counts:
        if count:
            children.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--child",
                    url,
                    str(count),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
            )
    for process in children:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), CONNECT_TIMEOUT_S + 30)
        if line.strip() != b"ready":
            raise SystemExit(f"a follower process failed: {line!r}")
    return children


async def finish(children: list[asyncio.subprocess.Process]) -> dict[str, int]:
    totals: dict[str, Any] = {"received": 0, "dropped": 0, "why": set()}
    for process in children:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        got = json.loads(line)
        totals["received"] += got["received"]
        totals["dropped"] += got["dropped"]
        totals["why"] |= set(got["why"])
        await process.wait()
    return totals


async def latency_run(journal: Path, followers: int, args: argparse.Namespace, rng: random.Random) -> None:
    controller = Controller.open(journal, SystemClock(), wait=False)  # as the screen opens it
    sock = bind("127.0.0.1", 0)
    server = JournalServer(journal, TOKEN, sock, SystemClock())
    controller.bus.records.subscribe(server.take, deliver=Delivery.loop(server.loop))  # as run.py
    await server.start()
    children: list[asyncio.subprocess.Process] = []
    try:
        if followers:
            children = await spawn(f"ws://127.0.0.1:{server.port}/", followers, args.processes)
        connected = server.followers
        keys = await press_keys(controller, args.keys, rng)
        totals: dict[str, Any] = await finish(children) if children else {"received": 0, "dropped": 0, "why": set()}
    finally:
        controller.bus.records.unsubscribe(server.take)
        await server.close()
        controller.close()
        sock.close()
    records = controller.engine.seq
    behind = totals["received"] < followers * (records + 1)
    verdict = ""
    if followers == 100:
        verdict = "; goal max <= 50 ms: " + ("met" if max(keys.latencies) <= GOAL_MAX_MS else "NOT met")
    print(
        f"  {followers:>5} followers ({connected} connected): keypress-to-fsync ms {keys.line()}{verdict}\n"
        f"        followers got {totals['received']:,} messages of {followers * (records + 1):,}"
        f"{' (still catching up at the last key)' if behind else ''}, {totals['dropped']} reconnects {sorted(totals['why']) or ''}",
        flush=True,
    )


async def memory_run(journal: Path, args: argparse.Namespace, rng: random.Random) -> None:
    controller = Controller.open(journal, SystemClock(), wait=False)  # as the screen opens it
    sock = bind("127.0.0.1", 0)
    server = JournalServer(journal, TOKEN, sock, SystemClock())
    controller.bus.records.subscribe(server.take, deliver=Delivery.loop(server.loop))  # as run.py
    await server.start()
    before = rss_kib()
    socks: list[socket.socket] = []
    try:
        socks = await silent(server.port, 20)
        await press_keys(controller, args.keys, rng)
        await asyncio.sleep(1.0)
        after = rss_kib()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        connected = server.followers
    finally:
        for item in socks:
            item.close()
        controller.bus.records.unsubscribe(server.take)
        await server.close()
        controller.close()
        sock.close()
    size = journal.stat().st_size
    per = WRITE_LIMIT + MAX_QUEUE * MAX_FRAME + QUEUE_RECORDS * 8
    shared = CATCH_UP_SLOTS * CHUNK_BYTES
    print(
        f"  20 non-reading followers ({connected} connected) on a {size / 2**20:.0f} MB journal "
        f"({controller.engine.seq:,} records): RSS {before / 1024:.0f} MB before, {after / 1024:.0f} MB after, "
        f"peak {peak / 1024:.0f} MB (+{(after - before) / 1024:.1f} MB)"
    )
    print(
        f"  bound: per follower write buffer {WRITE_LIMIT // 1024} KiB + incoming {MAX_QUEUE}x{MAX_FRAME // 1024} KiB"
        f" + {QUEUE_RECORDS} queued references = {per // 1024} KiB, plus {CATCH_UP_SLOTS} catch-up chunks of "
        f"{CHUNK_BYTES // 1024} KiB ({shared // 1024} KiB) and the index (16 B a record, "
        f"{16 * controller.engine.seq / 2**20:.1f} MB here); 1,000 followers: at most "
        f"{(per * 1000 + shared) / 2**20:.0f} MB above the index"
    )


async def main_async(args: argparse.Namespace) -> None:
    rng = random.Random(10)
    sizes = args.records or ([3_000] if args.quick else [3_000, 200_000])
    counts = args.followers or ([0, 100] if args.quick else [0, 100, 1000])
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="server-bench-") as folder:
        for records in sizes:
            journal = Path(folder) / f"j{records}.jsonl"
            build_journal(journal, records)
            print(f"(a) a {records:,}-record journal ({journal.stat().st_size / 2**20:.1f} MB), {args.keys} keys:")
            for followers in counts:
                await latency_run(journal, followers, args, rng)
        if args.no_memory:
            return
        big = Path(folder) / "big.jsonl"
        build_journal(big, 30_000 if args.quick else 215_000)
        print("(b) memory:")
        await memory_run(big, args, rng)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=120, help="keys pressed per run (default 120)")
    parser.add_argument("--processes", type=int, default=4, help="processes the followers are spread over")
    parser.add_argument("--quick", action="store_true", help="only the small journal and up to 100 followers")
    parser.add_argument("--records", type=int, action="append", help="journal length(s) instead of the defaults")
    parser.add_argument("--followers", type=int, action="append", help="follower count(s) instead of the defaults")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory run")
    parser.add_argument("--child", nargs=2, metavar=("URL", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(child(args.child[0], int(args.child[1])))
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
