"""A journal is outside input: every command that reads one refuses what no journal is, in one line and exit 2.

Real processes, through the real command line: a FIFO must not hang them,
`/dev/zero` must not fill the memory, and a file far larger than any
journal is refused before it is read. A timeout guards each against a hang.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runofshow.journal.codec import MAX_JOURNAL_BYTES
from tests.kit.journals import drive_detached

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
