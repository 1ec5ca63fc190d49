"""Keypress-to-fsync latency with the journal's writer thread, and what a keypress costs the screen.

    .venv/bin/python bench/journal_latency_bench.py [--keys 2000] [--every-ms 10] [--dir FOLDER]

Prints its figures; it is not a test. A real Controller, opened as `run` opens
it (commands do not wait for the disk), on a real file in FOLDER (default: a
temporary folder) with the system clock. Each command is one "keypress";
its latency is from the call to the moment its record's fsync returned, as
the writer reports it. The screen's cost is how long the `command()` call
itself took, which is what the event loop waits for.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.events import REHEARSAL
from runofshow.session.bus import Delivery, DurableRecord
from runofshow.session.controller import Controller


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<28} p50 {statistics.median(values):7.2f} ms   p99 {percentile(values, 0.99):7.2f} ms   "
        f"max {max(values):7.2f} ms"
    )


def run(folder: Path, keys: int, every_s: float) -> tuple[list[float], list[float]]:
    """(keypress-to-fsync, command() call) in milliseconds, one per key."""
    controller = Controller.open(
        folder / "latency.jsonl", SystemClock(), agenda=load_agenda(bundled_agenda()), mode=REHEARSAL, wait=False
    )
    pressed: dict[int, float] = {}
    synced: dict[int, float] = {}
    done = threading.Event()

    def on_disk(record: DurableRecord) -> None:  # on the writer's thread, right after the fsync
        synced[record.seq] = time.perf_counter()
        if len(synced) >= keys + 1:
            done.set()

    controller.bus.records.subscribe(on_disk, deliver=Delivery.WRITER_THREAD)
    calls: list[float] = []
    try:
        controller.command("start")
        for i in range(keys):
            began = time.perf_counter()
            ack = controller.command("pause" if i % 2 == 0 else "resume")
            calls.append((time.perf_counter() - began) * 1e3)
            pressed[ack.seq] = began
            time.sleep(every_s)
        if not done.wait(60):
            raise SystemExit(f"the journal did not keep up: {controller.journal_error}")
    finally:
        controller.close()
    return [(synced[seq] - at) * 1e3 for seq, at in pressed.items()], calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=2000, help="keypresses (commands) to time")
    parser.add_argument("--every-ms", type=float, default=10.0, help="pause between keypresses (0: as fast as it goes)")
    parser.add_argument("--dir", type=Path, help="folder for the journal (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:  # a fresh journal each run
        latencies, calls = run(Path(folder), args.keys, args.every_ms / 1e3)
        where = str(args.dir or tempfile.gettempdir())
    print(f"{args.keys} keypresses, one every {args.every_ms:g} ms, journal in {where}")
    print(line("keypress to fsync", latencies))
    print(line("command() on the screen", calls))
    goal = max(latencies) <= 50.0
    print(f"goal keypress-to-fsync max <= 50 ms: {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    main()
