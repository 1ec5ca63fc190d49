"""How true and how cheap the live screen is: `runofshow run` in a pseudo-terminal, counting.

    .venv/bin/python bench/tui_bench.py [--seconds 60] [--size 100x30] [--no-baseline]

The live screen makes two promises. The big m:ss follows the clock, not the
ticks: it changes within 50 ms of the true second boundary, which is the
journal's `mono` (CLOCK_BOOTTIME) of the last start/next plus whole seconds.
And it is cheap: at most 0.5 % of one core while counting. Neither shows in
Textual's test harness, which has no real terminal and no real clock, so this
script runs the real program on a pseudo-terminal, as a moderator would:

1. Start `runofshow run --rehearsal --log TMP` in a pty (TERM=xterm-256color,
   the given size, the pty as its controlling terminal, XDG_STATE_HOME in a
   temporary folder). One thread reads every pty all the time, so that no
   program ever waits on its output, and stamps each read with
   CLOCK_BOOTTIME, the clock of the journal.
2. When the first screen is drawn (output, then 0.5 s of quiet), press space
   (start) and a second later `n`, so that the 5-minute second segment of the
   bundled agenda counts down. The `next` record's `mono` is the anchor: the
   display should change at anchor + 1 s, + 2 s, ...
3. Count for N seconds, from anchor + 0.5 s (mid-second, away from any
   boundary). Afterwards every byte written is replayed through a small
   terminal model; the big Digits number is read back off the modelled screen
   after each read of the pty, and the instant the screen first shows each new
   m:ss is compared with its boundary. That is "the shown m:ss changes",
   measured on what a terminal shows rather than on when the app meant to
   draw. The pty read adds well under a millisecond.
4. CPU is utime + stime of the process and its descendants, from /proc, at the
   two ends of the window; the main thread (Textual's event loop) is also
   shown alone. Voluntary context switches count how often it wakes.
5. For scale, over the same window: a minimal Textual app that updates a
   Digits widget once a second with set_interval (the baseline the issue
   names), and termdown when it is installed. They run at the same time as
   runofshow, not one after another: the machine is shared and noisy, and a
   ratio over the same seconds cancels most drift in load, while three
   programs that each want about 1 % of a core do not compete for two cores.
   `--no-baseline` runs runofshow alone, to check that the company does not
   change its figures.
6. Quit with q then y (q asks first while the show runs) and report the exit
   code; a program still running 5 s later is killed.

The output is also grouped into bursts, to show the redraws that are not at
a second boundary and which screen rows each kind writes: such wake-ups cost
CPU without changing the countdown. A burst starts after >= 50 ms of silence:
Textual writes a frame within a few ms, so this keeps a frame whole, while a
150 ms gap would merge a redraw made in the last 150 ms of a second into the
next second's, and hide it.
"""

from __future__ import annotations

import argparse
import codecs
import fcntl
import json
import math
import os
import platform
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.segment import Segment
from rich.style import Style
from textual import __version__ as textual_version
from textual.renderables.digits import Digits

from runofshow.domain.agenda.parse import parse_agenda

#: A burst of output starts after at least this much silence (see the module docstring).
BURST_GAP_S = 0.050
#: The issue's goals.
GOAL_ERROR_MS = 50.0
GOAL_CPU_PCT = 0.5
#: How long a program may take to draw its first screen.
STARTUP_TIMEOUT_S = 30.0
#: How long the first screen must stay quiet to count as drawn.
QUIET_S = 0.5
#: What the confirmation after q says (the bench waits for it before pressing y).
QUIT_QUESTION = b"Quit runofshow?"

BASELINE_APP = '''\
"""The issue's yardstick: a minimal Textual app that shows the time in a Digits widget, at 1 Hz."""
import time

from textual.app import App, ComposeResult
from textual.widgets import Digits


class Clock(App[None]):
    CSS = "Screen { align: center middle; } Digits { width: auto; }"

    def compose(self) -> ComposeResult:
        yield Digits(time.strftime("%H:%M:%S"))

    def on_mount(self) -> None:
        self.set_interval(1, self.tick)

    def tick(self) -> None:
        self.query_one(Digits).update(time.strftime("%H:%M:%S"))


Clock().run()
'''


def now() -> float:
    """The journal's clock: CLOCK_BOOTTIME, in seconds."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def sleep_until(instant: float) -> None:
    """Sleep until CLOCK_BOOTTIME reads `instant`."""
    while (left := instant - now()) > 0:
        time.sleep(min(left, 0.5))


class BenchError(Exception):
    """The measurement could not be made; says why, and on which terminal."""

    def __init__(self, message: str, terminal: Terminal | None = None) -> None:
        super().__init__(message)
        self.terminal = terminal


# -- programs on pseudo-terminals ---------------------------------------------------


def _take_terminal() -> None:
    """In the child, after setsid: make the pty its controlling terminal, as a shell would."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A program on its own pseudo-terminal; every read of its output is kept with its time."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], size: tuple[int, int]) -> None:
        self.name = name
        self.size = size
        master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = now()
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            preexec_fn=_take_terminal,
        )
        os.close(slave)
        os.set_blocking(master, False)
        self.master = master
        #: (CLOCK_BOOTTIME when read, bytes), in order; only the Pump appends.
        self.chunks: list[tuple[float, bytes]] = []

    @property
    def pid(self) -> int:
        """The program's process id."""
        return self.proc.pid

    def send(self, keys: bytes) -> None:
        """Type `keys` into the terminal."""
        try:
            os.write(self.master, keys)
        except OSError:
            pass  # it has exited; its exit code tells

    def output_since(self, index: int) -> bytes:
        """Everything written from chunk `index` on."""
        return b"".join(data for _, data in self.chunks[index:])

    def wait_until_drawn(self) -> float:
        """Wait for the first screen: some output, then QUIET_S of silence. Return when it was drawn."""
        while now() < self.started + STARTUP_TIMEOUT_S:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode} before drawing a screen", self)
            if self.chunks and now() - self.chunks[-1][0] >= QUIET_S:
                return self.chunks[-1][0]
            time.sleep(0.05)
        raise BenchError(f"{self.name} did not draw a quiet screen within {STARTUP_TIMEOUT_S:.0f} s", self)

    def stop(self, keys: Sequence[bytes], patience: float = 5.0) -> tuple[int | None, str]:
        """Type each of `keys`, a pause apart; kill the program if it has not exited `patience` s later."""
        for index, key in enumerate(keys):
            if self.proc.poll() is not None:
                break
            if index:
                time.sleep(0.3)
            self.send(key)
        try:
            return self.proc.wait(timeout=patience), "exited"
        except subprocess.TimeoutExpired:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                return self.proc.wait(timeout=2.0), f"did not exit within {patience:.0f} s; ended by {sig.name}"
            except subprocess.TimeoutExpired:
                continue
        return self.proc.poll(), "could not be stopped"


class Pump(threading.Thread):
    """Reads every terminal as soon as it has output, so that no program ever waits on a full pty."""

    def __init__(self, terminals: Sequence[Terminal]) -> None:
        super().__init__(name="pty-pump", daemon=True)
        self.terminals = {terminal.master: terminal for terminal in terminals}
        self._halt = threading.Event()

    def run(self) -> None:
        """Poll until told to stop or every terminal has closed."""
        poller = select.poll()
        for fd in self.terminals:
            poller.register(fd, select.POLLIN)
        open_fds = set(self.terminals)
        while open_fds and not self._halt.is_set():
            for fd, _ in poller.poll(200):
                stamp = now()
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:  # EIO: the program has closed its side
                    data = b""
                if data:
                    self.terminals[fd].chunks.append((stamp, data))
                else:
                    poller.unregister(fd)
                    open_fds.discard(fd)

    def stop(self) -> None:
        """Stop reading (once the programs have exited)."""
        self._halt.set()
        self.join(timeout=2.0)


# -- /proc ---------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _stat(path: str) -> list[str]:
    """The fields of a /proc stat file from the state on (the command name may hold spaces)."""
    text = _read(path)
    return text[text.rindex(")") + 2 :].split() if text else []


def process_tree(pid: int) -> list[int]:
    """`pid` and every live descendant."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(f"/proc/{entry}/stat")):
            children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


@dataclass(frozen=True)
class Usage:
    """A process tree's CPU time and voluntary context switches at one instant."""

    at: float
    cpu_s: float
    #: The main thread alone, where Textual's event loop runs (its driver threads are the rest).
    main_thread_s: float
    switches: int


def usage(pid: int) -> Usage:
    """CPU time (utime + stime, and that of reaped children) and voluntary switches of `pid`'s tree."""
    ticks = 0
    switches = 0
    for member in process_tree(pid):
        fields = _stat(f"/proc/{member}/stat")
        ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        try:
            tasks = os.listdir(f"/proc/{member}/task")
        except OSError:
            tasks = []
        for task in tasks:
            found = re.search(r"^voluntary_ctxt_switches:\s+(\d+)", _read(f"/proc/{member}/task/{task}/status"), re.M)
            switches += int(found.group(1)) if found else 0
    main = sum(int(value) for value in _stat(f"/proc/{pid}/task/{pid}/stat")[11:13])
    per_second = os.sysconf("SC_CLK_TCK")
    return Usage(at=now(), cpu_s=ticks / per_second, main_thread_s=main / per_second, switches=switches)


# -- reading the screen back ----------------------------------------------------------


class Screen:
    """Just enough of a terminal to know what is shown: cursor moves, erases and text.

    Textual positions every line it writes with CUP, so this is exact for it;
    the other programs' screens are measured, not read.
    """

    def __init__(self, size: tuple[int, int]) -> None:
        self.cols, self.rows = size
        self.cells = [[" "] * self.cols for _ in range(self.rows)]
        self.row = 0
        self.col = 0
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        self._state = "text"
        self._params = ""

    def feed(self, data: bytes) -> None:
        """Apply bytes written by the program."""
        for char in self._decode(data):
            state = self._state
            if state == "text":
                if char == "\x1b":
                    self._state = "esc"
                elif char >= " " and char != "\x7f":
                    self._put(char)
                elif char == "\r":
                    self.col = 0
                elif char == "\n":
                    self.row = min(self.row + 1, self.rows - 1)
                elif char == "\b":
                    self.col = max(0, self.col - 1)
            elif state == "esc":
                if char == "[":
                    self._state, self._params = "csi", ""
                elif char in "]P_^X":
                    self._state = "string"
                elif char in "()*+#%":
                    self._state = "skip1"
                else:
                    self._state = "text"
            elif state == "csi":
                if "\x40" <= char <= "\x7e":
                    self._csi(self._params, char)
                    self._state = "text"
                else:
                    self._params += char
            elif state == "string":  # OSC, DCS, APC...: up to BEL or ST
                if char == "\x07":
                    self._state = "text"
                elif char == "\x1b":
                    self._state = "string_esc"
            elif state == "string_esc":
                self._state = "text" if char == "\\" else "string"
            else:  # skip1: the charset of ESC ( B and the like
                self._state = "text"

    def _put(self, char: str) -> None:
        if unicodedata.combining(char):
            return
        width = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if self.col < self.cols:
            self.cells[self.row][self.col] = char
            if width == 2 and self.col + 1 < self.cols:
                self.cells[self.row][self.col + 1] = ""
        self.col += width

    def _csi(self, params: str, final: str) -> None:
        if params and params[0] in "?<>=":
            return  # private modes and queries
        numbers = [int(part) if part.isdigit() else 0 for part in params.split(";")] if params else []

        def arg(index: int, default: int) -> int:
            return numbers[index] if len(numbers) > index and numbers[index] else default

        if final in "Hf":
            self.row = min(self.rows, arg(0, 1)) - 1
            self.col = min(self.cols, arg(1, 1)) - 1
        elif final == "G":
            self.col = min(self.cols, arg(0, 1)) - 1
        elif final == "d":
            self.row = min(self.rows, arg(0, 1)) - 1
        elif final == "A":
            self.row = max(0, self.row - arg(0, 1))
        elif final == "B":
            self.row = min(self.rows - 1, self.row + arg(0, 1))
        elif final == "C":
            self.col = min(self.cols - 1, self.col + arg(0, 1))
        elif final == "D":
            self.col = max(0, self.col - arg(0, 1))
        elif final == "K":
            start, end = {0: (self.col, self.cols), 1: (0, self.col + 1)}.get(arg(0, 0), (0, self.cols))
            line = self.cells[self.row]
            for index in range(max(0, start), min(self.cols, end)):
                line[index] = " "
        elif final == "J":
            mode = arg(0, 0)
            if mode == 0:
                self._csi("0", "K")
                rows = range(self.row + 1, self.rows)
            else:
                rows = range(self.rows) if mode in (2, 3) else range(0)
            for row in rows:
                self.cells[row] = [" "] * self.cols

    def text(self) -> str:
        """The screen as plain text, to show what went wrong."""
        return "\n".join("".join(row).rstrip() for row in self.cells).rstrip("\n")


def _glyphs() -> dict[tuple[str, ...], str]:
    """Textual's 3x3 Digits glyphs (plain and bold), each mapped to the character it draws."""
    table: dict[tuple[str, ...], str] = {}
    for bold in (False, True):
        for char in "0123456789:+":
            segments = Digits(char).render(Style(bold=bold))
            text = "".join(segment.text for segment in segments if isinstance(segment, Segment))
            table[tuple(text.split("\n")[:3])] = char
    return table


GLYPHS = _glyphs()
#: m:ss, +m:ss, h:mm:ss or HH:MM:SS.
FACE = re.compile(r"\+?\d{1,2}(?::\d\d){1,2}")


class DigitsReader:
    """Reads the big Digits number off a Screen."""

    def __init__(self) -> None:
        self._where: tuple[int, int] | None = None

    def read(self, screen: Screen) -> str | None:
        """The number shown, or None when none can be read (a dialog over it, say)."""
        if self._where is not None and (found := self._run(screen, *self._where)):
            return found
        for row in range(screen.rows - 2):
            top, middle = screen.cells[row], screen.cells[row + 1]
            for col in range(screen.cols - 2):
                if (top[col] != " " or middle[col] != " ") and (found := self._run(screen, row, col)):
                    self._where = (row, col)
                    return found
        return None

    @staticmethod
    def _run(screen: Screen, row: int, col: int) -> str | None:
        lines = screen.cells[row : row + 3]
        text = ""
        while col + 3 <= screen.cols:
            char = GLYPHS.get(tuple("".join(line[col : col + 3]) for line in lines))
            if char is None:
                break
            text += char
            col += 3
        return text if FACE.fullmatch(text) else None


def shown_changes(terminal: Terminal) -> tuple[list[tuple[float, str]], Screen]:
    """Replay a terminal's output: each instant the big number changed, with its new text."""
    screen = Screen(terminal.size)
    reader = DigitsReader()
    changes: list[tuple[float, str]] = []
    shown: str | None = None
    for stamp, data in terminal.chunks:
        screen.feed(data)
        value = reader.read(screen)
        if value is not None and value != shown:
            changes.append((stamp, value))
            shown = value
    return changes, screen


# -- analysis ------------------------------------------------------------------------


def countdown_face(remaining: int) -> str:
    """What runofshow shows with `remaining` whole seconds left (negative: over)."""
    hours, rest = divmod(abs(remaining), 3600)
    minutes, secs = divmod(rest, 60)
    face = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return face if remaining > 0 else "+" + face


@dataclass
class Timing:
    """How the shown countdown followed the clock over the window."""

    errors: list[float]
    missed: list[int]
    unexpected: list[tuple[float, str]]


def countdown_timing(
    changes: Sequence[tuple[float, str]], anchor: float, allotted: int, seconds: int, end: float
) -> Timing:
    """Match each change of the shown number in the window with the boundary at which it is due."""
    due = {countdown_face(allotted - k): k for k in range(1, seconds + 1)}
    errors: list[float] = []
    seen: set[int] = set()
    unexpected: list[tuple[float, str]] = []
    for stamp, value in changes:
        if not anchor + 0.5 <= stamp < end:
            continue
        k = due.get(value)
        if k is None or k in seen:
            unexpected.append((stamp - anchor, value))
            continue
        seen.add(k)
        errors.append(stamp - (anchor + k))
    return Timing(errors, [k for k in range(1, seconds + 1) if k not in seen], unexpected)


def wall_clock_lags(
    changes: Sequence[tuple[float, str]], start: float, end: float, wall_minus_boot: float
) -> list[float]:
    """For a clock showing local HH:MM:SS: how long after each wall second began it appeared."""
    lags: list[float] = []
    for stamp, value in changes:
        if not start <= stamp < end:
            continue
        wall = stamp + wall_minus_boot
        for back in range(-1, 4):
            second = math.floor(wall) - back
            if time.strftime("%H:%M:%S", time.localtime(second)) == value:
                lags.append(wall - second)
                break
    return lags


def wall_minutes(start: float, end: float, wall_minus_boot: float) -> list[float]:
    """The CLOCK_BOOTTIME instants in [start, end) at which the wall clock turns a minute."""
    first = math.ceil((start + wall_minus_boot) / 60) * 60
    return [minute - wall_minus_boot for minute in range(first, math.ceil(end + wall_minus_boot), 60)]


@dataclass
class Burst:
    """Output with no silence of BURST_GAP_S inside it."""

    start: float
    end: float
    size: int = 0
    rows: set[int] = field(default_factory=set)


#: A cursor move followed by something written: that row is redrawn (rows count from 1).
CUP = re.compile(rb"\x1b\[(\d+);\d+H(?!\x1b\[\d+;\d+H|$)")


def bursts(terminal: Terminal, start: float, end: float) -> list[Burst]:
    """The bursts that begin within [start, end), with the screen rows each one writes."""
    found: list[Burst] = []
    last = -math.inf
    for stamp, data in terminal.chunks:
        if stamp - last >= BURST_GAP_S:
            found.append(Burst(stamp, stamp))
        last = stamp
        burst = found[-1]
        burst.end = stamp
        burst.size += len(data)
        burst.rows.update(int(row) for row in CUP.findall(data))
    return [burst for burst in found if start <= burst.start < end]


def quantiles(values: Sequence[float], *, signed: bool = True) -> str:
    """p50, p95, min and max, in ms, of values given in seconds."""
    if not values:
        return "no values"
    ms = sorted(value * 1000 for value in values)
    p95 = ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)]
    form = "+6.1f" if signed else "6.1f"
    named = (("p50", statistics.median(ms)), ("p95", p95), ("min", ms[0]), ("max", ms[-1]))
    return "   ".join(f"{name} {value:{form}}" for name, value in named)


def rows_label(rows: set[int]) -> str:
    """Screen rows as ranges: {3, 4, 5, 7} -> '3-5,7'."""
    runs: list[list[int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][-1] + 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return ",".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs) or "none"


def describe_rows(found: Sequence[Burst]) -> str:
    """The commonest sets of rows written, each with how many bursts wrote it."""
    counts = Counter(rows_label(burst.rows) for burst in found)
    return "; ".join(f"rows {label} x{count}" for label, count in counts.most_common(4))


# -- the run -------------------------------------------------------------------------


def read_journal(path: Path) -> list[dict[str, object]]:
    """Every complete record of the journal so far."""
    try:
        lines = path.read_bytes().split(b"\n")[:-1]
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines]


def wait_for_record(path: Path, kind: str, terminal: Terminal, timeout: float = 5.0) -> dict[str, object]:
    """The first journal record of type `kind`, once it is written."""
    deadline = now() + timeout
    while now() < deadline and terminal.proc.poll() is None:
        for record in read_journal(path):
            if record.get("type") == kind:
                return record
        time.sleep(0.02)
    raise BenchError(f"no '{kind}' record in {path.name} within {timeout:.0f} s of the key press", terminal)


def child_env(state: Path) -> dict[str, str]:
    """A moderator's terminal, without anything that would change how Textual runs."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEXTUAL")}
    for key in ("COLUMNS", "LINES", "COLORTERM", "NO_COLOR"):
        env.pop(key, None)
    env["TERM"] = "xterm-256color"
    env["XDG_STATE_HOME"] = str(state)
    return env


def program(name: str) -> list[str] | None:
    """The console script `name` of this environment, else one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    return [found] if found else None


@dataclass
class Measurement:
    """What one run saw."""

    terminals: list[Terminal]
    drawn: dict[str, float]
    anchor: float
    allotted: int
    window: tuple[float, float]
    wall_minus_boot: float
    before: dict[str, Usage]
    after: dict[str, Usage]
    died: dict[str, int]
    load: tuple[float, float]
    asked: bool = False
    outcome: dict[str, tuple[int | None, str]] = field(default_factory=dict)


def measure(seconds: int, size: tuple[int, int], yardsticks: bool, folder: Path) -> Measurement:
    """Start the programs, drive runofshow, sample them over the window, and stop them all."""
    journal = folder / "bench.jsonl"
    env = child_env(folder / "state")
    runofshow = program("runofshow") or [sys.executable, "-m", "runofshow"]
    plan = [("runofshow", [*runofshow, "run", "--rehearsal", "--log", str(journal)])]
    if yardsticks:
        (folder / "digits_clock.py").write_text(BASELINE_APP)
        plan.append(("baseline", [sys.executable, str(folder / "digits_clock.py")]))
        if termdown := program("termdown"):
            plan.append(("termdown", [*termdown, "--no-bell", "3h"]))
    load = os.getloadavg()[0]
    # All are started before the reading thread: preexec_fn and threads mix badly.
    terminals = [Terminal(name, argv, env, size) for name, argv in plan]
    pump = Pump(terminals)
    pump.start()
    app = terminals[0]
    outcome: dict[str, tuple[int | None, str]] = {}
    try:
        drawn = {terminal.name: terminal.wait_until_drawn() - terminal.started for terminal in terminals}
        app.send(b" ")
        wait_for_record(journal, "start", app)
        time.sleep(1.0)
        app.send(b"n")
        record = wait_for_record(journal, "next", app)
        anchor = float(record["mono"])  # type: ignore[arg-type]
        agenda = parse_agenda(str(read_journal(journal)[0]["agenda"]))
        allotted = agenda.segments[int(record["data"]["to"]) - 1].duration_s  # type: ignore[index]
        wall_minus_boot = time.time() - now()

        start, end = anchor + 0.5, anchor + 0.5 + seconds
        sleep_until(start)
        before = {terminal.name: usage(terminal.pid) for terminal in terminals}
        sleep_until(end)
        after = {terminal.name: usage(terminal.pid) for terminal in terminals}
        died: dict[str, int] = {}
        for terminal in terminals:
            if (code := terminal.proc.poll()) is not None:
                died[terminal.name] = code
        result = Measurement(
            terminals,
            drawn,
            anchor,
            allotted,
            (start, end),
            wall_minus_boot,
            before,
            after,
            died,
            (load, os.getloadavg()[0]),
        )

        mark = len(app.chunks)
        app.send(b"q")
        deadline = now() + 3.0
        while QUIT_QUESTION not in app.output_since(mark) and now() < deadline and app.proc.poll() is None:
            time.sleep(0.05)
        result.asked = QUIT_QUESTION in app.output_since(mark)
        outcome["runofshow"] = app.stop([b"y"])
    finally:
        for terminal in terminals:
            if terminal.name not in outcome:
                keys = {"baseline": [b"\x11"], "termdown": [b"q"]}.get(terminal.name, [b"q", b"y"])
                outcome[terminal.name] = terminal.stop(keys)
        pump.stop()
        for terminal in terminals:
            os.close(terminal.master)
    result.outcome = outcome
    return result


def report(run: Measurement, seconds: int, size: tuple[int, int]) -> None:
    """Print what the run saw."""
    app = run.terminals[0]
    names = [terminal.name for terminal in run.terminals]
    start, end = run.window
    print(
        f"runofshow TUI bench: {seconds} s counting down a {countdown_face(run.allotted)} segment "
        f"in a {size[0]}x{size[1]} pty (TERM=xterm-256color)"
    )
    company = "runofshow ran alone"
    if len(names) > 1:
        company = ", ".join(names[:-1]) + f" and {names[-1]} ran at the same time"
    print(
        f"  {platform.python_implementation()} {platform.python_version()}, textual {textual_version}, "
        f"{os.cpu_count()} CPUs, load average {run.load[0]:.2f} -> {run.load[1]:.2f}; {company}"
    )
    print("  first screen drawn after " + ", ".join(f"{name} {spent:.2f} s" for name, spent in run.drawn.items()))
    for name, code in run.died.items():
        print(f"  !! {name} exited during the window, with {code}")

    changes, screen = shown_changes(app)
    timing = countdown_timing(changes, run.anchor, run.allotted, seconds, end)
    print()
    print("Display vs. clock: when the screen first shows each new m:ss, against its second boundary")
    print(
        f"  boundaries {seconds}: changed at {len(timing.errors)}, missed {len(timing.missed)}, "
        f"unexpected changes {len(timing.unexpected)}"
    )
    if timing.errors:
        verdict = "met" if max(timing.errors) * 1000 <= GOAL_ERROR_MS else "NOT met"
        print(f"  error, ms (+ = late):  {quantiles(timing.errors)}")
        print(f"  goal, every change within {GOAL_ERROR_MS:.0f} ms: {verdict}")
    else:
        print("  !! the countdown could not be read off the screen, which ended as:")
        print("     " + screen.text().replace("\n", "\n     "))
    if timing.missed:
        print(f"  !! no change at these boundaries (s after the anchor): {timing.missed[:20]}")
    for offset, value in timing.unexpected[:10]:
        print(f"  !! showed {value} at anchor + {offset:.3f} s")

    found = bursts(app, start, end)
    at_boundary = [b for b in found if any(b.start - 0.001 <= stamp <= b.end for stamp, _ in changes)]
    minutes = wall_minutes(start, end, run.wall_minus_boot)
    at_minute = [b for b in found if b not in at_boundary and any(0 <= b.start - m < 0.1 for m in minutes)]
    others = [b for b in found if b not in at_boundary and b not in at_minute]
    print()
    print(f"Output: {len(found)} bursts, {sum(b.size for b in found) / seconds:.0f} bytes/s (screen rows count from 1)")
    print(f"  {len(at_boundary)} change the countdown: {describe_rows(at_boundary) or '-'}")
    print(
        f"  {len(at_minute)} alone at a wall-clock minute ({len(minutes)} turned in the window)"
        + (f": {describe_rows(at_minute)}" if at_minute else "")
    )
    if others:
        phases = [(b.start - run.anchor) % 1.0 for b in others]
        print(f"  {len(others)} elsewhere, which nothing on screen called for: {describe_rows(others)}")
        print(f"     ms after the second boundary: {quantiles(phases, signed=False)}")

    print()
    print(f"CPU over the {seconds} s window, % of one core (main thread = Textual's event loop)")
    cpu: dict[str, float] = {}
    labels = {"runofshow": "runofshow", "baseline": "baseline (Textual Digits, 1 Hz)", "termdown": "termdown"}
    for name in names:
        first, last = run.before[name], run.after[name]
        span = last.at - first.at
        cpu[name] = 100 * (last.cpu_s - first.cpu_s) / span
        main = 100 * (last.main_thread_s - first.main_thread_s) / span
        thread = f"main thread {main:5.2f} %" if name != "termdown" else " " * 19
        wakeups = (last.switches - first.switches) / span
        print(f"  {labels[name]:<32} {cpu[name]:5.2f} %   {thread}   {wakeups:5.1f} wake-ups/s")
    print(f"  goal, runofshow at most {GOAL_CPU_PCT} %: {'met' if cpu['runofshow'] <= GOAL_CPU_PCT else 'NOT met'}")
    if "baseline" in cpu:
        ratio = cpu["runofshow"] / cpu["baseline"] if cpu["baseline"] > 0 else math.inf
        print(f"  ratio runofshow / baseline: {ratio:.2f}")
        baseline = run.terminals[names.index("baseline")]
        lags = wall_clock_lags(shown_changes(baseline)[0], start, end, run.wall_minus_boot)
        if lags:
            print(f"  the baseline counts ticks; each wall second shows late by, ms: {quantiles(lags, signed=False)}")
        if "termdown" not in cpu:
            print("  termdown: not installed, not measured")

    print()
    exit_code, how = run.outcome["runofshow"]
    print(
        f"Quit: q {'asked to confirm' if run.asked else 'did NOT ask to confirm'}; after y runofshow {how}"
        + (f", exit code {exit_code}" if exit_code is not None else "")
    )
    for name in names[1:]:
        if run.outcome[name][1] != "exited":
            print(f"  {name} {run.outcome[name][1]}")


def parse_size(text: str) -> tuple[int, int]:
    """'100x30' -> (100, 30)."""
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match or int(match.group(1)) < 40 or int(match.group(2)) < 12:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, at least 40x12, e.g. 100x30")
    return int(match.group(1)), int(match.group(2))


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and report; 1 when the measurement could not be made."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to count (default 60)")
    parser.add_argument("--size", type=parse_size, default=(100, 30), help="terminal size, WxH (default 100x30)")
    parser.add_argument("--no-baseline", action="store_true", help="run runofshow alone, without the yardsticks")
    args = parser.parse_args(argv)
    if not 5 <= args.seconds <= 3600:
        parser.error("--seconds must be between 5 and 3600")
    with tempfile.TemporaryDirectory(prefix="runofshow-bench-") as folder:
        try:
            run = measure(args.seconds, args.size, not args.no_baseline, Path(folder))
        except BenchError as error:
            print(f"tui_bench: {error}", file=sys.stderr)
            if error.terminal is not None:
                screen = Screen(error.terminal.size)
                screen.feed(error.terminal.output_since(0))
                print(f"--- {error.terminal.name}'s screen ---\n{screen.text()}", file=sys.stderr)
            return 1
    report(run, args.seconds, args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
