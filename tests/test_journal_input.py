"""A journal is outside input: every command that reads one refuses what no journal is, in one line and exit 2.

Real processes, through the real command line: a FIFO must not hang them,
`/dev/zero` must not fill the memory, and a file far larger than any
journal is refused before it is read. A timeout guards each against a hang.
Records whose checksums are valid but whose clocks no session can have read
are refused by every reader naming file:line, and by `run` before it writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import FakeClock, SystemClock
from runofshow.domain.events import REHEARSAL
from runofshow.domain.instants import format_instant, parse_instant, to_pendulum
from runofshow.journal.codec import MAX_JOURNAL_BYTES
from runofshow.session.controller import Controller
from tests.kit.journals import drive_detached, reseal
from tests.kit.pty import Pty

pytestmark = pytest.mark.slow  # each starts the program, about half a second apiece

#: Every command that reads a journal a user names, as scripts run them.
READERS = {
    "status": ["status"],
    "status --json": ["status", "--json"],
    "report": ["report"],
    "report --format json": ["report", "--format", "json"],
    "follow --json": ["follow", "--json"],
}


def cli(*args: str | Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runofshow", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def one_line(result: subprocess.CompletedProcess[str], phrase: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr and result.stdout == "", result.stdout[-500:]
    (line,) = result.stderr.splitlines()
    assert line.startswith("runofshow: ") and phrase in line, line
    return line


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, reader: str) -> None:
    fifo = tmp_path / "show.jsonl"
    os.mkfifo(fifo)
    one_line(cli(*READERS[reader], fifo, timeout=20), f"{fifo}: is not a regular file")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_dev_zero_is_refused_not_read_for_ever(reader: str) -> None:
    one_line(cli(*READERS[reader], "/dev/zero", timeout=20), "/dev/zero: is not a regular file")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_file_larger_than_any_journal_is_refused_before_it_is_read(tmp_path: Path, reader: str) -> None:
    """Records, then a torn last line of 200 MB (as sparse zeros): it took `status` 18.8 s to say "incomplete"."""
    journal = drive_detached(tmp_path / "show.jsonl")
    size = 200_000_000
    with open(journal, "r+b") as file:
        file.truncate(size)
    assert size > MAX_JOURNAL_BYTES
    one_line(cli(*READERS[reader], journal, timeout=20), f"{journal}: file is {size:,} bytes; a journal may be at most")


def test_a_spreadsheet_that_is_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "programme.csv"
    os.mkfifo(fifo)
    one_line(cli("import", fifo, timeout=20), f"{fifo}: is not a regular file")


# -- records that cannot be true ----------------------------------------------------------------

DAY_US = 86_400_000_000


def _shift_wall(record: dict[str, Any], by_us: int, **also: object) -> dict[str, Any]:
    record.update(wall=format_instant(parse_instant(record["wall"]) + by_us), **also)
    return record


#: Records sealed with valid checksums that no session can have written: (what to change, the line it
#: is found on counted from the end (1 is the last), and what the one line says about it).
CANNOT_BE_TRUE: dict[str, tuple[Callable[[list[dict[str, Any]]], object], int, str]] = {
    "mono 1e9 lower than the record before": (
        lambda r: r[-2].update(mono=r[-3]["mono"] - 1e9),
        2,
        "bad record: mono -",
    ),
    "mono 100 s lower on the same boot": (
        lambda r: r[-2].update(mono=r[-3]["mono"] - 100),
        2,
        "s before the record before it, on the same boot",
    ),
    "mono 1e9 higher on the same boot": (
        lambda r: r[-1].update(mono=r[-1]["mono"] + 1e9),
        1,
        "bad record: mono puts it 11574.1 days after",
    ),
    "mono 1e300": (lambda r: r[-1].update(mono=1e300), 1, "bad record: mono 1e+300 is not a number of seconds"),
    "wall in 9999 on another boot": (
        lambda r: r[-1].update(wall="9999-12-31T23:59:59.999999Z", boot="another"),
        1,
        "bad record: wall 9999-12-31T23:59:59.999999Z is not between the years 2000 and 2099",
    ),
    "wall 30 days on, on another boot": (
        lambda r: _shift_wall(r[-1], 30 * DAY_US, boot="another"),
        1,
        "days after the session began",
    ),
    "wall 2 days before the header": (
        lambda r: _shift_wall(r[-1], -2 * DAY_US),
        1,
        "is more than a day before the session began",
    ),
    "an anchor in 9999": (
        lambda r: r[1]["data"].update(anchor="9999-12-31T23:59:59Z"),
        0,
        "bad record: start: anchor must be an instant (ISO 8601 text) from the year 2000 to 2099",
    ),
}


@pytest.fixture
def recent(tmp_path: Path) -> Path:
    """A rehearsal started 400 s ago by this machine's clocks, on segment 2, left: one `run` would resume."""
    real = SystemClock().read()
    clock = FakeClock(to_pendulum(real.wall_us - 400_000_000), mono=real.mono - 400, boot=real.boot or "boot")
    controller = Controller.open(tmp_path / "show.jsonl", clock, agenda=load_agenda(bundled_agenda()), mode=REHEARSAL)
    controller.command("start")
    clock.advance(60)
    controller.command("next")
    clock.advance(100)
    controller.close()
    return controller.path


def cannot_be_true(journal: Path, case: str) -> str:
    """Make `journal` hold the case's record; return the one line every reader must say."""
    change, from_end, phrase = CANNOT_BE_TRUE[case]
    count = len(journal.read_bytes().splitlines())
    reseal(journal, change)
    line = 2 if from_end == 0 else count - from_end + 1
    return f"runofshow: {journal}:{line}: " + ("" if phrase.startswith("bad record") else "bad record: ")


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("case", list(CANNOT_BE_TRUE))
def test_a_sealed_record_that_cannot_be_true_is_refused_naming_its_line(recent: Path, case: str, reader: str) -> None:
    where = cannot_be_true(recent, case)
    line = one_line(cli(*READERS[reader], recent), CANNOT_BE_TRUE[case][2])
    assert line.startswith(where), line


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_header_whose_format_is_text_is_not_a_valid_format(recent: Path, reader: str) -> None:
    reseal(recent, lambda records: records[0].update(format="1"))
    line = one_line(cli(*READERS[reader], recent), "")
    assert line == f"runofshow: {recent}: not a runofshow journal (format '1' is not a valid journal format)"


@pytest.mark.pty
@pytest.mark.parametrize("case", [*CANNOT_BE_TRUE, "format '1'"])
def test_run_refuses_such_a_journal_before_it_writes_anything(recent: Path, tmp_path: Path, case: str) -> None:
    if case == "format '1'":
        reseal(recent, lambda records: records[0].update(format="1"))
        where, phrase = f"runofshow: {recent}: not a runofshow journal", "is not a valid journal format"
    else:
        where, phrase = cannot_be_true(recent, case), CANNOT_BE_TRUE[case][2]
    before, files = recent.read_bytes(), sorted(tmp_path.iterdir())
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path / "state"))
    with Pty([sys.executable, "-m", "runofshow", "run", "--rehearsal", "--log", str(recent)], env) as screen:
        status, output = screen.finish(timeout=30)
    lines = [line for line in output.splitlines() if line.strip()]
    assert status == 2 and len(lines) == 1 and "Traceback" not in output, output[-2000:]
    assert lines[0].startswith(where) and phrase in lines[0], lines[0]
    assert recent.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == files  # no copy of a torn tail, no rescue, nothing beside it
