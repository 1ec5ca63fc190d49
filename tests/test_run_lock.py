"""One journal, one writer: a second `run` in a real pseudo-terminal, by another name, at any time, is refused.

The first `run` is the moderator's screen; the second is the same command
given the journal by a symlink or a hard link, made within a second of the
session starting, and again after the first session had to go on in another
file (its journal deleted, moved away or replaced under it), while the file
it left is still reachable by the other name.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.kit.pty import Pty as Terminal

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal and /proc/locks are Linux's")

COMMAND = [sys.executable, "-m", "runofshow", "run", "--rehearsal", "--log"]


def env_for(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path / "state"), COLUMNS="100", LINES="30")


def second_run(name: str, tmp_path: Path) -> tuple[int | None, str]:
    """`run --rehearsal --log NAME` in the folder, on a terminal: its status and what it printed.

    A screen that opens is a second controller: the status is then None, and it is left at once.
    """
    with Terminal([*COMMAND, name], env_for(tmp_path), cwd=tmp_path) as screen:
        deadline = time.monotonic() + 30
        while screen.process.poll() is None and "REHEARSAL" not in screen.text():
            assert time.monotonic() < deadline, screen.text()[-2000:]
            screen.read_for(0.1)
        if screen.process.poll() is None:
            return None, screen.text()
        return screen.finish()


def refused(name: str, tmp_path: Path, holder_pid: int) -> None:
    status, output = second_run(name, tmp_path)
    lines = [line for line in output.splitlines() if line.strip()]
    assert status == 2, output[-2000:]
    assert len(lines) == 1 and "Traceback" not in output, output[-2000:]
    assert lines[0].startswith(f"runofshow: {name}: already in use by another runofshow (PID {holder_pid} "), lines


def types(journal: Path) -> list[str]:
    return [json.loads(line)["type"] for line in journal.read_bytes().splitlines()]


def written(journal: Path, expected: list[str], timeout: float = 20.0) -> bytes:
    """The journal's bytes once its records are `expected` (the screen's writes are on a thread of their own)."""
    deadline = time.monotonic() + timeout
    while types(journal) != expected:
        assert time.monotonic() < deadline, types(journal)
        time.sleep(0.05)
    return journal.read_bytes()


@pytest.mark.pty
def test_a_symlink_and_a_hard_link_made_as_the_session_starts_are_both_refused(tmp_path: Path) -> None:
    journal = tmp_path / "a.jsonl"
    with Terminal([*COMMAND, "a.jsonl"], env_for(tmp_path), cwd=tmp_path) as first:
        first.read_until("REHEARSAL")
        first.send(b" ")
        (tmp_path / "sym.jsonl").symlink_to("a.jsonl")  # within a second of the start, as a user would
        os.link(journal, tmp_path / "hard.jsonl")
        before = written(journal, ["header", "start"])
        refused("sym.jsonl", tmp_path, first.process.pid)
        refused("hard.jsonl", tmp_path, first.process.pid)
        refused("a.jsonl", tmp_path, first.process.pid)
        assert journal.read_bytes() == before
        assert not (tmp_path / "hard.jsonl.lock").exists()  # only a controller that took the lock notes itself
        first.send(b"q")
        first.read_until("Quit runofshow?")
        first.send(b"y")
        status, output = first.finish()
    assert status == 0, output[-2000:]
    assert types(journal) == ["header", "start", "detach"]


@pytest.mark.pty
@pytest.mark.parametrize("how", ["deleted", "moved away", "replaced"])
def test_the_file_a_session_left_is_refused_by_any_other_name_until_the_session_ends(tmp_path: Path, how: str) -> None:
    journal = tmp_path / "a.jsonl"
    with Terminal([*COMMAND, "a.jsonl"], env_for(tmp_path), cwd=tmp_path) as first:
        first.read_until("REHEARSAL")
        first.send(b" ")
        written(journal, ["header", "start"])
        os.link(journal, tmp_path / "hard.jsonl")
        if how == "deleted":
            journal.unlink()
        elif how == "moved away":
            journal.rename(tmp_path / "b.jsonl")
        else:
            (tmp_path / "other").write_text("someone else's file\n")
            (tmp_path / "other").replace(journal)
        first.read_until("goes on", timeout=20)  # the session was written again from memory, and goes on there
        left = (tmp_path / "hard.jsonl").read_bytes()
        refused("hard.jsonl", tmp_path, first.process.pid)
        if how == "moved away":
            refused("b.jsonl", tmp_path, first.process.pid)
        assert (tmp_path / "hard.jsonl").read_bytes() == left  # no `reopen` from a second controller
        first.send(b"q")
        first.read_until("Quit runofshow?")
        first.send(b"y")
        status, output = first.finish()
    assert status == 0, output[-2000:]
    assert types(tmp_path / "hard.jsonl") == ["header", "start"]
    # Once the session has ended, the file it left may be taken up again, as any journal may.
    with Terminal([*COMMAND, "hard.jsonl"], env_for(tmp_path), cwd=tmp_path) as again:
        again.read_until("REHEARSAL")
        again.send(b"q")
        again.read_until("Quit runofshow?")
        again.send(b"y")
        status, output = again.finish()
    assert status == 0, output[-2000:]
