"""What the journal costs: one acknowledged event, and replaying a long journal.

    .venv/bin/python bench/journal_bench.py [--acks 2000] [--events 100000]

Prints its figures; it is not a test. The acknowledged-event cost is a real
Controller on a real file in a temporary folder with the system clock (so one
write and one fsync per event, on whatever disk holds the temp folder). The
replay runs in a fresh interpreter, so its peak memory is not mixed up with
the building of the journal.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import FakeClock, SystemClock
from runofshow.domain.events import REHEARSAL, Event
from runofshow.journal.codec import encode, new_header
from runofshow.session.controller import Controller
from runofshow.session.replay import replay


def acknowledged_costs(folder: Path, count: int) -> list[float]:
    """Milliseconds per `command()` call, each returning only once its record is fsynced."""
    controller = Controller.open(
        folder / "acks.jsonl", SystemClock(), agenda=load_agenda(bundled_agenda()), mode=REHEARSAL
    )
    try:
        controller.command("start")
        costs = []
        for i in range(count):
            began = time.perf_counter_ns()
            ack = controller.command("pause" if i % 2 == 0 else "resume")
            costs.append((time.perf_counter_ns() - began) / 1e6)
            if not ack.durable:
                raise SystemExit(f"the journal failed: {controller.journal_error}")
    finally:
        controller.close()
    return costs


def build_journal(path: Path, events: int) -> None:
    """A journal of a start and then pause/resume pairs, one a second, written with the journal's own encoder."""
    clock = FakeClock("2021-10-08T08:55:00Z")
    lines = [encode(new_header(load_agenda(bundled_agenda()), REHEARSAL, clock.read()).to_json())]
    for seq in range(1, events + 1):
        clock.advance(1)
        reading = clock.read()
        kind = "start" if seq == 1 else ("pause" if seq % 2 == 0 else "resume")
        data = {"anchor": "2021-10-08T08:55:01.000000Z"} if seq == 1 else {"segment": 1}
        event = Event.from_data(seq, kind, reading.wall_us, round(reading.mono, 6), reading.boot, data)
        lines.append(encode(event.to_json()))
    path.write_bytes(b"".join(lines))


def measure_replay(path: Path) -> dict[str, float]:
    """Replay `path`: best of three timings, then ru_maxrss, then a traced run for the allocation peak."""
    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timings = []
    for _ in range(3):
        began = time.perf_counter()
        replayed = replay(path)
        timings.append(time.perf_counter() - began)
        del replayed
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    replayed = replay(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seq": replayed.engine.seq,
        "best_s": min(timings),
        "worst_s": max(timings),
        "peak_mib": peak / 2**20,
        "maxrss_mib": maxrss_kib / 1024,
        "maxrss_before_mib": baseline_kib / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acks", type=int, default=2000, help="acknowledged events to time (default 2000)")
    parser.add_argument("--events", type=int, default=100_000, help="events in the replayed journal (default 100000)")
    parser.add_argument("--replay", metavar="JOURNAL", help=argparse.SUPPRESS)  # the child's half
    args = parser.parse_args()
    if args.replay:
        print(json.dumps(measure_replay(Path(args.replay))))
        return

    with tempfile.TemporaryDirectory(prefix="runofshow-bench-") as temp:
        folder = Path(temp)
        costs = acknowledged_costs(folder, args.acks)
        cuts = statistics.quantiles(costs, n=100)
        print(f"acknowledged event ({args.acks} pause/resume, write + fsync each, in {folder.parent}):")
        print(f"  p50 {cuts[49]:.3f} ms   p99 {cuts[98]:.3f} ms   max {max(costs):.3f} ms")

        path = folder / "long.jsonl"
        began = time.perf_counter()
        build_journal(path, args.events)
        built = time.perf_counter() - began
        size_mib = path.stat().st_size / 2**20
        child = subprocess.run(
            [sys.executable, __file__, "--replay", str(path)], capture_output=True, text=True, check=True
        )
        figures = json.loads(child.stdout)
        if figures["seq"] != args.events:
            raise SystemExit(f"replayed {figures['seq']} events of {args.events}")
        print(f"replay of {args.events:,} events ({size_mib:.1f} MiB, built in {built:.2f} s):")
        verdict = "under" if figures["best_s"] < 1 else "OVER"
        print(f"  time  best {figures['best_s']:.3f} s, worst {figures['worst_s']:.3f} s of 3 ({verdict} the 1 s goal)")
        print(
            f"  memory  tracemalloc peak {figures['peak_mib']:.1f} MiB; "
            f"ru_maxrss {figures['maxrss_mib']:.1f} MiB (after imports, before replay: {figures['maxrss_before_mib']:.1f} MiB)"
        )


if __name__ == "__main__":
    main()
