"""The seed workshop, live, at ten times the speed, as a moderator would run it, checked at each step.

    .venv/bin/python bench/seed_at_speed.py [--speed 10] [--keep DIR]

libfaketime (Debian `faketime`) runs the real `runofshow run` on the seed
agenda on 2021-10-08, from 17:58:30 KST, at `--speed` times real time (the wall
clock, CLOCK_MONOTONIC and CLOCK_BOOTTIME together), in a tmux window of
100×30. Keys are sent with `tmux send-keys` at chosen instants of the faked
clock, and the screen is read back with `tmux capture-pane`. The faked clock
is read from the journal: every record carries the instant it was written.

The script follows a moderator through the trickiest path the live figures
have to survive: every slot on time until Bernard (6), who is skipped two
minutes in; Martin (7) runs his full ten minutes; then `g 6` goes back to
Bernard, who has eight minutes left. From there `n` must reach the discussion
(8), not Martin again, so at that moment the show is on time and must say so:
no "behind", a projected end of 19:30, and Next is the discussion. Then a
pause, during which the figures must keep moving with the clock.

At each step it prints the status line and Next, and the check it made. It
exits 1 if a check fails. It is a script, not a test: it takes about three
minutes of real time at 10×, and tmux timing is only good to a few faked
seconds, which the checks allow for.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pendulum

REPO = Path(__file__).resolve().parent.parent
AGENDA = REPO / "agendas" / "sse-alliances-2021-10-08.toml"
START = "2021-10-08 08:58:30"  # UTC: 17:58:30 in Seoul, time for the program to start
SESSION = "seed"
TOLERANCE_S = 6  # tmux and the faked clock agree to within a few faked seconds at 10×


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen() -> list[str]:
    return tmux("capture-pane", "-p", "-t", SESSION).splitlines()


def status_line(lines: list[str]) -> str:
    return next((line.strip() for line in lines if "│" in line and ("KST" in line or "UTC" in line)), "")


def next_line(lines: list[str]) -> str:
    return next((line.strip() for line in lines if "Next:" in line), "")


class Journal:
    """The journal the program writes: the faked clock's own account of when each key landed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, object]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]

    def last(self) -> dict[str, object]:
        return self.records()[-1]


class Run:
    """The program under the faked clock; `now()` is the faked instant, from the start of the process."""

    def __init__(self, speed: float, folder: Path) -> None:
        self.speed = speed
        self.journal = Journal(folder / "seed.jsonl")
        binary = shutil.which("runofshow", path=str(Path(sys.executable).parent)) or "runofshow"
        command = (
            f"TZ=UTC XDG_STATE_HOME={folder} faketime -f '@{START} x{speed:g}' "
            f"{binary} run {AGENDA} --log {self.journal.path}; sleep 600"
        )
        tmux("kill-session", "-t", SESSION) if SESSION in self._sessions() else None
        self.began = time.monotonic()
        tmux("new-session", "-d", "-s", SESSION, "-x", "100", "-y", "30", command)
        self.origin = pendulum.parse(START.replace(" ", "T") + "Z")

    @staticmethod
    def _sessions() -> str:
        result = subprocess.run(["tmux", "list-sessions", "-F", "#S"], capture_output=True, text=True)
        return result.stdout

    def now(self) -> pendulum.DateTime:
        return self.origin.add(seconds=(time.monotonic() - self.began) * self.speed)

    def wait_until(self, kst: str) -> None:
        """Sleep until the faked clock shows `kst` (HH:MM:SS on the session's day)."""
        target = pendulum.parse(f"2021-10-08T{kst}", tz="Asia/Seoul")
        delay = (target - self.now()).total_seconds() / self.speed
        if delay > 0:
            time.sleep(delay)

    def press(self, *keys: str, records: bool = True) -> None:
        """Send `keys`; wait for the record they make (unless `records` is false), then for a redraw."""
        before = len(self.journal.records())
        for key in keys:
            tmux("send-keys", "-t", SESSION, key)
            time.sleep(0.05)
        deadline = time.monotonic() + 5
        while records and len(self.journal.records()) <= before and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)

    def close(self) -> None:
        tmux("send-keys", "-t", SESSION, "q")
        time.sleep(0.3)
        tmux("send-keys", "-t", SESSION, "y")
        time.sleep(1)
        tmux("kill-session", "-t", SESSION)


def offset_of(status: str) -> float | None:
    """Seconds behind (positive) or ahead (negative) on the status line; 0 for on time; None if absent."""
    if "on time" in status:
        return 0.0
    found = re.search(r"(\d+):(\d\d) (behind|ahead)", status)
    if not found:
        return None
    seconds = int(found[1]) * 60 + int(found[2])
    return seconds if found[3] == "behind" else -seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--keep", type=Path, help="keep the journal in this folder")
    options = parser.parse_args()
    if not shutil.which("faketime") or not shutil.which("tmux"):
        print("needs faketime and tmux (Debian packages faketime, tmux)", file=sys.stderr)
        return 2
    folder = options.keep or Path(tempfile.mkdtemp(prefix="seed-at-speed-"))
    folder.mkdir(parents=True, exist_ok=True)
    run = Run(options.speed, folder)
    failures: list[str] = []

    def check(step: str, ok: bool, detail: str) -> None:
        lines = screen()
        print(f"{'ok  ' if ok else 'FAIL'} {step}: {detail}")
        print(f"       {status_line(lines)}")
        print(f"       {next_line(lines)}")
        if not ok:
            failures.append(step)
            print("\n".join("       | " + line for line in lines))

    try:
        deadline = time.monotonic() + 30
        while not any("starts in" in line for line in screen()) and time.monotonic() < deadline:
            time.sleep(0.1)  # the first frame: the program is reading keys
        run.wait_until("18:00:00")
        run.press("Space")
        for at in ("18:01:00", "18:06:00", "18:11:00", "18:21:00", "18:31:00"):
            run.wait_until(at)
            run.press("n")
        offset = offset_of(status_line(screen()))
        check("on time to Bernard", offset is not None and abs(offset) <= TOLERANCE_S, f"offset {offset}")

        run.wait_until("18:33:00")
        run.press("s")  # Bernard skipped two minutes in; Martin starts
        run.wait_until("18:43:00")
        run.press("g", records=False)
        run.press("6", "Enter")  # back to Bernard, eight minutes left
        lines = screen()
        offset = offset_of(status_line(lines))
        check(
            "back to Bernard after Martin ran",
            offset is not None and abs(offset) <= TOLERANCE_S and "19:30" in status_line(lines),
            f"offset {offset} (truth: on time, ends 19:30)",
        )
        check(
            "Next after going back",
            "Questions and discussions" in next_line(lines),
            "Next must be the discussion (8), which n reaches; Martin has finished",
        )

        run.wait_until("18:45:00")
        run.press("Space")  # pause
        first = offset_of(status_line(screen()))
        time.sleep(20 / options.speed)
        second = offset_of(status_line(screen()))
        moved = first is not None and second is not None and 14 <= second - first <= 26
        check("figures move while paused", moved, f"offset {first} then {second}, 20 s later")
        run.press("Space")  # resume

        run.wait_until("18:52:00")
        run.press("n")  # Bernard used 2 + 8 minutes; on to the discussion
        lines = screen()
        offset = offset_of(status_line(lines))
        record = run.journal.last()
        moved_to = record.get("data", {}).get("to") if isinstance(record.get("data"), dict) else None
        check("n reaches the discussion", moved_to == 8, f"the journal's last move went to {moved_to}")
        check(
            "a minute behind",
            offset is not None and abs(offset - 60) <= TOLERANCE_S,
            f"offset {offset} (truth: the discussion planned at 18:51 starts at 18:52)",
        )
    finally:
        run.close()
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "every check passed")
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.pop("FAKETIME", None)
    sys.exit(main())
