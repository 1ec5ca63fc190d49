"""The real program in a real pseudo-terminal: what a newcomer gets from bare `runofshow`."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit.pty import Pty

pytestmark = pytest.mark.pty


@pytest.mark.skipif(sys.platform != "linux", reason="pty details differ elsewhere")
def test_bare_runofshow_rehearses_the_seed_and_resumes(tmp_path: Path) -> None:
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path), COLUMNS="100", LINES="30")
    command = [sys.executable, "-m", "runofshow"]
    with Pty(command, env, (100, 30)) as first:
        first.read_until("REHEARSAL")
        first.read_until("Internet connection check")
        first.send(b" ")
        first.read_until("left")  # the countdown runs: the start is in the journal
        first.send(b"q")
        first.read_until("Quit runofshow?")
        first.send(b"y")
        status, output = first.finish()
    assert status == 0
    # The way back is the program as it was started (here `python -m runofshow`), not a bare name off the PATH.
    again = output.replace("\r\n", "\n").split("The session is not ended; come back to it with: ")[1].split("\n")[0]
    assert shlex.split(again)[-2:] == ["-m", "runofshow"]
    journals = list((tmp_path / "runofshow").glob("sse-alliances-2021-10-08_*_rehearsal.jsonl"))
    assert len(journals) == 1
    assert f"Journal: {journals[0]}" in output.replace("\r\n", "\n").replace("\n", "")

    with Pty(shlex.split(again), env, (100, 30)) as second:  # typed as printed
        second.read_until("Resumed")
        second.send(b"q")
        second.read_until("Quit runofshow?")
        second.send(b"y")
        assert second.finish()[0] == 0
    assert len(list((tmp_path / "runofshow").glob("*.jsonl"))) == 1  # resumed, not a new journal


@pytest.mark.network
@pytest.mark.skipif(sys.platform != "linux", reason="pty details differ elsewhere")
def test_quitting_a_served_session_with_a_follower_is_clean(tmp_path: Path) -> None:
    """A co-host connected over the network must not turn the moderator's quit into a crash."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    journal = tmp_path / "served.jsonl"
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path))
    command = [
        sys.executable,
        "-m",
        "runofshow",
        "run",
        "--rehearsal",
        "--log",
        str(journal),
        "--serve",
        f"127.0.0.1:{port}",
    ]
    with Pty(command, env, (100, 30)) as moderator:
        served(moderator, tmp_path, port)


def served(moderator: Pty, tmp_path: Path, port: int) -> None:
    """Follow the served session over the network, quit the moderator, and check the follower heard."""
    moderator.read_until("Co-host: runofshow follow")
    token = (tmp_path / "served.jsonl.token").read_text().strip()
    follower = subprocess.Popen(
        [sys.executable, "-m", "runofshow", "follow", f"ws://127.0.0.1:{port}", "--token", token, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        assert '"seq": 0' in follower.stdout.readline()  # connected and caught up
        moderator.send(b" ")
        assert '"seq": 1' in follower.stdout.readline()
        moderator.send(b"q")
        moderator.read_until("Quit runofshow?")
        moderator.send(b"y")
        status, output = moderator.finish()
        assert status == 0, output[-2000:]
        assert "Traceback" not in output and "Event loop is closed" not in output
        assert "come back to it with" in output
        last = ""
        while '"seq": 2' not in last:  # the detach reaches the follower before the line drops
            last = follower.stdout.readline()
            assert last, "the follower never heard the detach"
    finally:
        follower.kill()
        follower.wait()
