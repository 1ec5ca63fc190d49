"""Every bad input ends in one line on stderr and exit status 2, through the real command line.

Each case here used to end in a traceback, a hang or gigabytes of memory.
`run` needs a terminal, so its cases run in a pseudo-terminal.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.agenda.model import MAX_SEGMENTS
from runofshow.domain.events import REHEARSAL
from runofshow.session.controller import Controller
from tests.kit.pty import Pty

SESSION = """[session]
title = "T"
date = "{date}"
timezone = "{zone}"

[[segments]]
start = "09:00"
end = "09:10"
title = "A"
"""

ROOT = os.geteuid() == 0


def cli(*args: str, timeout: float = 20, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "runofshow", *args], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def one_line(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("runofshow: "), result.stderr
    for phrase in phrases:
        assert phrase in result.stderr


def write(tmp_path: Path, text: str, name: str = "agenda.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- agendas ---------------------------------------------------------------------


def test_a_thousand_nested_brackets(tmp_path: Path) -> None:
    path = write(tmp_path, SESSION.format(date="2021-10-08", zone="UTC") + "x = " + "[" * 1000 + "]" * 1000 + "\n")
    one_line(cli("check", str(path)), "nested more than")


def test_twenty_thousand_dotted_keys_are_refused_at_once(tmp_path: Path) -> None:
    """It took 8 s and 2.4 GB before the nesting limit; bench/check_bench.py prints how long it takes now."""
    path = write(tmp_path, "a" + ".a" * 20_000 + " = 1\n")
    one_line(cli("check", str(path)), "nested more than")


def test_nesting_an_agenda_needs_is_still_fine(tmp_path: Path) -> None:
    text = SESSION.format(date="2021-10-08", zone="UTC").replace(
        'title = "A"', 'title = "A"\nwarnings = { wrap_up = "2m", final = "1m" }'
    )
    assert cli("check", str(write(tmp_path, text))).returncode == 0


def test_year_one_west_of_utc(tmp_path: Path) -> None:
    one_line(cli("check", str(write(tmp_path, SESSION.format(date="0001-01-01", zone="America/New_York")))), "year")


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "posix/Asia/Seoul", "right/UTC"])
def test_only_iana_zone_names(tmp_path: Path, name: str) -> None:
    one_line(cli("check", str(write(tmp_path, SESSION.format(date="2021-10-08", zone=name)))), "unknown time zone")


@pytest.mark.parametrize("name", ["Asia/Seoul", "US/Eastern", "UTC", "Etc/GMT+5"])
def test_zones_and_links_of_the_database_are_taken(tmp_path: Path, name: str) -> None:
    assert cli("check", str(write(tmp_path, SESSION.format(date="2021-10-08", zone=name)))).returncode == 0


def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "agenda.toml"
    os.mkfifo(fifo)
    one_line(cli("check", str(fifo), timeout=10), "not a regular file")


def test_dev_zero_is_refused(tmp_path: Path) -> None:
    one_line(cli("check", "/dev/zero", timeout=10), "not a regular file")


def segments(count: int) -> str:
    head = SESSION.format(date="2021-10-08", zone="UTC").replace('end = "09:10"', 'end = "09:01"')
    return head + "".join(f'\n[[segments]]\nduration = "1m"\ntitle = "S{n}"\n' for n in range(2, count + 1))


@pytest.mark.slow
def test_more_segments_than_the_limit(tmp_path: Path) -> None:
    one_line(cli("check", str(write(tmp_path, segments(MAX_SEGMENTS + 1)))), f"at most {MAX_SEGMENTS}")
    assert cli("check", str(write(tmp_path, segments(MAX_SEGMENTS), "ok.toml"))).returncode == 0


# -- journals (`run --log`) --------------------------------------------------------


def run_in_pty(tmp_path: Path, *args: str, **popen: object) -> tuple[int, str]:
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path / "state"), HOME=str(tmp_path))
    command = [sys.executable, "-m", "runofshow", "run", *args]
    with Pty(command, env, (120, 30), **popen) as terminal:
        return terminal.finish(timeout=30)


def one_line_on_the_terminal(status: int, text: str, *phrases: str) -> None:
    assert status == 2, text[-2000:]
    assert "Traceback" not in text
    lines = [line for line in text.replace("\r", "").splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("runofshow: "), lines
    for phrase in phrases:
        assert phrase in lines[0]


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` unwritable even to root (immutable, on Linux as root; its mode otherwise)."""
    if ROOT:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=False)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


@pytest.mark.pty
def test_log_on_a_read_only_journal(tmp_path: Path) -> None:
    journal = tmp_path / "show.jsonl"
    controller = Controller.open(journal, SystemClock(), agenda=load_agenda(bundled_agenda()), mode=REHEARSAL)
    controller.close()
    with read_only(journal):
        status, text = run_in_pty(tmp_path, "--rehearsal", "--log", str(journal))
    one_line_on_the_terminal(status, text, "show.jsonl: cannot open the journal")


@pytest.mark.pty
def test_log_in_a_folder_that_cannot_be_written(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    with read_only(folder):
        status, text = run_in_pty(tmp_path, "--rehearsal", "--log", str(folder / "x.jsonl"))
    one_line_on_the_terminal(status, text, "x.jsonl: cannot create the journal")


@pytest.mark.pty
def test_log_under_a_file_that_is_not_a_folder(tmp_path: Path) -> None:
    status, text = run_in_pty(tmp_path, "--rehearsal", "--log", "/dev/full/x.jsonl")
    one_line_on_the_terminal(status, text, "/dev/full/x.jsonl: cannot open the journal: Not a directory")


@contextlib.contextmanager
def tiny_disk(folder: Path, size: str = "64k") -> Iterator[Path]:
    """A small tmpfs mounted at `folder` (root only), unmounted afterwards."""
    if not ROOT or sys.platform != "linux":
        pytest.skip("mounting a tmpfs needs root on Linux")
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Fill the disk to the last byte."""
    for name, block in (("filler", 4096), ("filler2", 1)):
        with contextlib.suppress(OSError), open(folder / name, "wb") as file:
            while True:
                file.write(b"\0" * block)
                file.flush()


@pytest.mark.pty
def test_a_new_journal_on_a_full_disk(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk") as disk:
        fill(disk)
        status, text = run_in_pty(tmp_path, "--rehearsal", "--log", str(disk / "x.jsonl"))
    one_line_on_the_terminal(status, text, "No space left on device")


@pytest.mark.pty
def test_the_torn_tail_repair_on_a_full_disk_leaves_no_empty_copy(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk", "256k") as disk:
        journal = disk / "x.jsonl"
        controller = Controller.open(journal, SystemClock(), agenda=load_agenda(bundled_agenda()), mode=REHEARSAL)
        controller.command("start")
        controller.close()
        with open(journal, "ab") as file:
            file.write(b'{"seq":3,"type":"pau')  # a record cut short by a crash
        fill(disk)
        status, text = run_in_pty(tmp_path, "--rehearsal", "--log", str(journal))
        left = sorted(path.name for path in disk.iterdir())
    one_line_on_the_terminal(status, text, "No space left on device")
    assert not [name for name in left if ".torn" in name], left


# -- the calendar export's own files ---------------------------------------------------------


@pytest.mark.parametrize("which", ["--previous", "ledger"])
def test_a_calendar_file_that_is_a_fifo_is_refused_not_waited_on(tmp_path: Path, seed: Path, which: str) -> None:
    agenda = tmp_path / "agenda.toml"
    agenda.write_bytes(seed.read_bytes())
    fifo = tmp_path / ("sent.ics" if which == "--previous" else "agenda.calendar.json")
    os.mkfifo(fifo)
    previous = ["--previous", str(fifo)] if which == "--previous" else []
    out = tmp_path / "out.ics"
    one_line(cli("export", str(agenda), "--format", "ics", *previous, "-o", str(out), timeout=10), "not a regular file")
    assert not out.exists()
