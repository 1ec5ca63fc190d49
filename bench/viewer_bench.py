"""1,000 browser viewers on the stage stream: from a record's fsync to each viewer's receipt, and the keys meanwhile.

    .venv/bin/python bench/viewer_bench.py [--viewers 1000] [--keys 60] [--processes 4]

This process is the moderator: its main thread runs an asyncio loop, as the
screen does, and presses a key (pause or resume) every 150-250 ms; the
journal's writer thread fsyncs each record and hands it to the server, whose
own thread serves the pages' view stream (`/view?token=STAGE`, with the
page's own Origin, as a browser sends it). The viewers are WebSocket clients
spread over --processes other processes; each notes when it first receives a
snapshot of each new seq. All stamps are CLOCK_MONOTONIC, which every process
on the machine shares.

Figures: p50/p99/max from the writer thread's fsync of a record to a viewer's
receipt of the first snapshot that has it (goal: p99 <= 100 ms), and
keypress-to-fsync meanwhile (the bound of bench/server_bench.py: max <= 50 ms).
Only loopback addresses are used; every loop is bounded by a count or a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from websockets.asyncio.client import connect

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.commands import CommandError
from runofshow.domain.events import REHEARSAL
from runofshow.secrets import Token, token
from runofshow.session.bus import Delivery, DurableRecord
from runofshow.session.controller import Controller
from runofshow.sync.server import JournalServer, bind, page_base
from runofshow.sync.web import WebViews

GOAL_P99_MS = 100.0
GOAL_KEY_MAX_MS = 50.0
CONNECT_TIMEOUT_S = 120.0


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


async def child(url: str, origin: str, count: int) -> None:
    """`count` viewers; at the end, one JSON line: for each seq, every viewer's first receipt."""
    first: dict[int, list[float]] = {}
    connected: set[int] = set()

    async def one(index: int) -> None:
        seen = -1
        for _ in range(100):  # reconnects, bounded
            with contextlib.suppress(Exception):
                async with connect(url, origin=origin, proxy=None, max_size=2**20) as ws:  # type: ignore[arg-type]
                    connected.add(index)
                    async for message in ws:
                        at = time.monotonic()
                        data = json.loads(message)
                        seq = data.get("view", {}).get("seq") if data.get("type") == "view" else None
                        if isinstance(seq, int) and seq > seen:
                            seen = seq
                            first.setdefault(seq, []).append(at)
            await asyncio.sleep(0.5)

    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while len(connected) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    print(json.dumps({"connected": len(connected)}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for task in tasks:
        task.cancel()
    with contextlib.suppress(BrokenPipeError):
        print(json.dumps({str(seq): times for seq, times in first.items()}), flush=True)


async def main_async(args: argparse.Namespace) -> None:
    rng = random.Random(12)
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="viewer-bench-") as folder:
        journal = Path(folder) / "show.jsonl"
        clock = SystemClock()
        controller = Controller.open(journal, clock, agenda=load_agenda(bundled_agenda()), mode=REHEARSAL, wait=False)
        sock = bind("127.0.0.1", 0)
        token_, stage = token(journal, Token.SESSION), token(journal, Token.STAGE)
        base = page_base(sock, False)
        web = WebViews(journal, token_, stage, clock, base=base)
        server = JournalServer(journal, token_, sock, clock, web=web)
        synced: dict[int, float] = {}

        def stamp(record: DurableRecord) -> None:
            synced[record.seq] = time.monotonic()

        # As run.py: the stamp on the writer's thread, the server in its own loop.
        controller.bus.records.subscribe(stamp, deliver=Delivery.WRITER_THREAD)
        controller.bus.records.subscribe(server.take, deliver=Delivery.loop(server.loop))
        await server.start()
        counts = [args.viewers // args.processes + (i < args.viewers % args.processes) for i in range(args.processes)]
        children = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--child",
                f"ws://127.0.0.1:{server.port}/view?token={stage}",
                base,
                str(count),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=2**26,  # the last line holds every receipt
            )
            for count in counts
            if count
        ]
        connected = 0
        for process in children:
            assert process.stdout is not None
            connected += json.loads(await asyncio.wait_for(process.stdout.readline(), CONNECT_TIMEOUT_S + 10))[
                "connected"
            ]
        print(f"{connected} viewers connected ({web.viewers} on the server)", flush=True)
        controller.command("start")
        lags: list[float] = []
        due_at: dict[int, float] = {}
        for _ in range(args.keys):
            due = time.monotonic() + rng.uniform(0.15, 0.25)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            lags.append((time.monotonic() - due) * 1000)
            try:
                ack = controller.command("pause")
            except CommandError:
                ack = controller.command("resume")
            due_at[ack.event.seq] = due
        await asyncio.sleep(2.0)
        received: dict[int, list[float]] = {}
        for process in children:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.close()
            for seq, times in json.loads(await asyncio.wait_for(process.stdout.readline(), 60)).items():
                received.setdefault(int(seq), []).extend(times)
            await process.wait()
        controller.bus.records.unsubscribe(server.take)
        await server.close()
        controller.close()
        sock.close()
    delays = [(at - synced[seq]) * 1000 for seq, times in received.items() if seq in due_at for at in times]
    expected = connected * len(due_at)
    keys = [(synced[seq] - due) * 1000 for seq, due in due_at.items() if seq in synced]
    print(
        f"fsync-to-receipt over {len(delays):,} receipts (of {expected:,} expected): "
        f"p50 {percentile(delays, 50):.1f} ms  p99 {percentile(delays, 99):.1f} ms  max {max(delays):.1f} ms; "
        f"goal p99 <= {GOAL_P99_MS:.0f} ms: {'met' if percentile(delays, 99) <= GOAL_P99_MS else 'NOT met'}"
    )
    print(
        f"keypress-to-fsync meanwhile ({len(keys)} keys): p50 {percentile(keys, 50):.1f} ms  "
        f"p99 {percentile(keys, 99):.1f} ms  max {max(keys):.1f} ms (loop lag max {max(lags):.1f} ms); "
        f"goal max <= {GOAL_KEY_MAX_MS:.0f} ms: {'met' if max(keys) <= GOAL_KEY_MAX_MS else 'NOT met'}"
    )
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=60)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--child", nargs=3, metavar=("URL", "ORIGIN", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(child(args.child[0], args.child[1], int(args.child[2])))
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
