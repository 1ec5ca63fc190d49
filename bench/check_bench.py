"""How long `runofshow check` takes to refuse a hostile agenda, or to read a very long one, and its memory.

    .venv/bin/python bench/check_bench.py [--runs 5]

Each agenda is checked by the real command in a fresh process, interpreter
start-up included; the seed agenda is the baseline for that start-up. For
each it prints the exit status, the best and worst wall time of the runs, and
the peak resident memory (VmHWM).

Before the nesting limit, 20,000 dotted keys took 8 s and 2.4 GB to be
refused; the goal is that every hostile agenda is refused about as fast, and
in about as much memory, as the seed is read. tests/test_bad_input.py checks
what each ends in (one line, exit 2, no traceback), not how long it takes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from runofshow.agenda_file import bundled_agenda
from runofshow.domain.agenda.model import MAX_SEGMENTS

SESSION = """[session]
title = "T"
date = "2021-10-08"
timezone = "UTC"

[[segments]]
start = "09:00"
end = "09:01"
title = "S1"
"""

PROBE = (
    "import re, sys\n"
    "from runofshow.cli import main\n"
    "try:\n"
    "    status = main(sys.argv[1:])\n"
    "except SystemExit as exit:\n"
    "    status = exit.code\n"
    "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1), file=sys.stderr)\n"
    "raise SystemExit(status)\n"
)


def segments(count: int) -> str:
    """An agenda of `count` one-minute segments."""
    return SESSION + "".join(f'\n[[segments]]\nduration = "1m"\ntitle = "S{n}"\n' for n in range(2, count + 1))


CASES: list[tuple[str, Callable[[], str | None]]] = [
    ("the seed agenda (baseline)", lambda: None),
    ("20,000 dotted keys", lambda: "a" + ".a" * 20_000 + " = 1\n"),
    ("1,000 nested brackets", lambda: SESSION + "x = " + "[" * 1000 + "]" * 1000 + "\n"),
    (f"{MAX_SEGMENTS} segments (the most allowed)", lambda: segments(MAX_SEGMENTS)),
    (f"{MAX_SEGMENTS + 1} segments", lambda: segments(MAX_SEGMENTS + 1)),
]


def check(path: Path) -> tuple[int, float, float]:
    """Exit status, wall seconds and peak RSS (MB) of `runofshow check PATH` in a fresh process."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "check", str(path)], capture_output=True, text=True, timeout=120
    )
    elapsed = time.perf_counter() - started
    return result.returncode, elapsed, int(result.stderr.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each check (the machine may be busy)")
    args = parser.parse_args()
    print(f"`runofshow check` in a fresh process: best and worst of {args.runs} runs, and the highest peak RSS")
    print(f"{'agenda':<34} {'exit':>4} {'seconds':>11} {'peak RSS MB':>11}")
    with tempfile.TemporaryDirectory() as folder:
        for name, text in CASES:
            content = text()
            if content is None:
                path = bundled_agenda()
            else:
                path = Path(folder) / "agenda.toml"
                path.write_text(content)
            runs = [check(path) for _ in range(args.runs)]
            times = sorted(seconds for _, seconds, _ in runs)
            print(
                f"{name:<34} {runs[0][0]:>4} {times[0]:>5.2f}–{times[-1]:<5.2f} {max(rss for *_, rss in runs):>11.1f}"
            )


if __name__ == "__main__":
    main()
