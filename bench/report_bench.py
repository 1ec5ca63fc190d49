"""How long `runofshow report` takes on a 100,000-event journal, and how much memory it needs.

The journal is a long rehearsal of the seed agenda in which the moderator
pauses, resumes, extends and moves on every few seconds (with the warnings
that this sets off), written record by record as the controller would, but
without an fsync each, so that building it takes seconds, not minutes.

It prints, for each format: the wall time of the whole command in a fresh
process (interpreter start-up included) and its peak resident memory
(VmHWM, what ru_maxrss reports for a process of its own), then the peak of
Python allocations (tracemalloc) of replay + render in this process. The
target is at most 2 s and 200 MB.

    .venv/bin/python bench/report_bench.py [--events N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import FakeClock
from runofshow.domain.commands import CommandError
from runofshow.domain.decide import due_warnings, event_for
from runofshow.domain.events import REHEARSAL, Event, Payload
from runofshow.domain.fold import State
from runofshow.journal.codec import encode, new_header

STEP_S = 3.0
MOVES = ("pause", "resume", "extend", "next")


def build(path: Path, events: int) -> None:
    """Write a valid journal of exactly `events` events after its header."""
    agenda = load_agenda(bundled_agenda())
    clock = FakeClock("2021-10-07T05:00:00Z")
    header = new_header(agenda, REHEARSAL, clock.read())
    engine = State(agenda, REHEARSAL, header.origin)
    with open(path, "wb") as out:
        out.write(encode(header.to_json()))

        def record(payload: Payload) -> None:
            reading = clock.read()
            event = Event(engine.seq + 1, reading.wall_us, round(reading.mono, 6), reading.boot, payload)
            engine.apply(event)
            out.write(encode(event.to_json()))

        record(event_for(engine, "start", clock.read()))
        step = 0
        while engine.seq < events - 1:
            clock.advance(STEP_S)
            for warning in due_warnings(engine, clock.read()):
                if engine.seq < events - 1:
                    record(warning)
            if engine.seq >= events - 1:
                break
            move = MOVES[step % len(MOVES)]
            step += 1
            try:
                payload = event_for(engine, move, clock.read(), seconds=30)
            except CommandError:  # `next` from the last segment: start the agenda over
                payload = event_for(engine, "goto", clock.read(), to=1)
            record(payload)
        if engine.paused_since is not None:
            raise SystemExit("the script must not end paused")  # `end` works paused too, but keep it plain
        record(event_for(engine, "end", clock.read()))


def in_process(path: Path, fmt: str) -> tuple[float, float, int]:
    """Seconds and tracemalloc peak (MB) of replay + render here, and the report's length."""
    from runofshow.report import render
    from runofshow.report.model import load

    tracemalloc.start()
    started = time.perf_counter()
    text = render([load(path)], fmt)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, len(text)


def as_command(path: Path, fmt: str) -> tuple[float, float]:
    """Wall seconds of `runofshow report` in a fresh process (start-up included), and its peak RSS in MB."""
    # VmHWM, not ru_maxrss: a forked child's ru_maxrss starts from this (large) process's.
    probe = (
        "import re, sys\n"
        "from runofshow.cli import main\n"
        "status = main(sys.argv[1:])\n"
        "status_text = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s+(\\d+)', status_text).group(1), file=sys.stderr)\n"
        "raise SystemExit(status)\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", probe, "report", str(path), "--format", fmt, "-o", os.path.join(folder, "out")],
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - started
    return elapsed, int(result.stderr.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (the machine may be busy)")
    parser.add_argument("--keep", type=Path, help="leave the journal in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.jsonl"
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    build(path, args.events)
    lines = path.read_bytes().count(b"\n")
    print(
        f"journal: {path} ({lines - 1:,} events, {path.stat().st_size / 2**20:.1f} MB), built in {time.perf_counter() - started:.1f} s"
    )
    print(
        f"command: best and worst of {args.runs} runs; in process: replay + render under tracemalloc (which slows it)"
    )
    print(f"{'format':<9} {'command s':>11} {'peak RSS MB':>11} {'traced s':>9} {'tracemalloc MB':>14}")
    for fmt in ("table", "json", "csv", "markdown", "html", "svg"):
        runs = [as_command(path, fmt) for _ in range(args.runs)]
        times = sorted(seconds for seconds, _ in runs)
        rss = max(rss for _, rss in runs)
        here, peak, _ = in_process(path, fmt)
        print(f"{fmt:<9} {times[0]:>5.2f}–{times[-1]:<5.2f} {rss:>11.1f} {here:>9.2f} {peak:>14.1f}")
    if args.keep is None:
        path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
