"""`run --serve` serves from a child process: killed, it is started again and followers catch up; it never outlives
its controller, nor holds the journal's lock. Real processes throughout: the moderator in a pseudo-terminal, the
server it starts, and `follow --json` followers.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runofshow.journal.lock import holder
from tests.kit.procs import alive, gone, holds_file, one_child
from tests.kit.pty import Pty
from tests.kit.web import free_port

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc"),
    pytest.mark.pty,
    pytest.mark.network,
]

#: Far more than a start takes on a loaded machine; a pass never waits this long.
TIMEOUT_S = 20.0


class JsonFollower:
    """`runofshow follow ws://… --json`: its state lines, read with a deadline."""

    def __init__(self, port: int, token: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "runofshow", "follow", f"ws://127.0.0.1:{port}", "--token", token, "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._buffer = b""

    def until_seq(self, seq: int, timeout: float = TIMEOUT_S) -> dict[str, object]:
        """Read state lines until one is at `seq` or later; return it."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                state = json.loads(line)
                if state["seq"] >= seq:
                    return dict(state)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise AssertionError(f"the follower never reached seq {seq}")
            data = os.read(fd, 65536)
            if not data:
                raise AssertionError(f"the follower ended: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            self._buffer += data

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def moderator(folder: Path, port: int) -> Pty:
    journal = folder / "served.jsonl"
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(folder), COLUMNS="120", LINES="40")
    command = [sys.executable, "-m", "runofshow", "run", "--rehearsal", "--log", str(journal)]
    return Pty([*command, "--serve", f"127.0.0.1:{port}"], env, (120, 40))


@pytest.fixture
def follower() -> Iterator[list[JsonFollower]]:
    started: list[JsonFollower] = []
    yield started
    for one in started:
        one.stop()


def test_a_killed_server_is_started_again_the_moderator_is_told_and_followers_catch_up(
    tmp_path: Path, follower: list[JsonFollower]
) -> None:
    port = free_port()
    with moderator(tmp_path, port) as screen:
        screen.read_until("Co-host link")
        server = one_child(screen.process.pid)
        assert not holds_file(server, tmp_path / "served.jsonl.lock")
        token = (tmp_path / "served.jsonl.token").read_text().strip()
        co_host = JsonFollower(port, token)
        follower.append(co_host)
        co_host.until_seq(0)
        screen.send(b" ")
        assert co_host.until_seq(1)["started"] is True

        os.kill(server, signal.SIGKILL)
        screen.read_until("killed by SIGKILL")  # SERVER DOWN (killed by SIGKILL): starting it again…
        again = one_child(screen.process.pid, other_than=server)
        screen.read_until("server restarted")  # …and once it serves: restarted (last stopped HH:MM: killed by SIGKILL)
        assert "SERVER DOWN (killed by SIGKILL)" in screen.text() or "restarted" in screen.text()
        screen.send(b"n")  # the show went on: the follower reconnects and catches up from its seq
        screen.send(b"n")
        state = co_host.until_seq(3)
        assert state["segment"] == 3
        late = JsonFollower(port, token)  # and a newcomer gets the whole journal from the new server
        follower.append(late)
        assert late.until_seq(3)["segment"] == 3

        screen.send(b"q")
        screen.read_until("Quit runofshow?")
        screen.send(b"y")
        status, output = screen.finish()
    assert status == 0, output[-2000:]
    assert "Traceback" not in output
    assert co_host.until_seq(4)["seq"] == 4  # the detach was sent before the server stopped
    assert gone(again, 5.0)  # quitting stops the server


def test_the_server_never_outlives_its_controller_and_never_holds_the_lock(tmp_path: Path) -> None:
    port = free_port()
    journal = tmp_path / "served.jsonl"
    with moderator(tmp_path, port) as screen:
        screen.read_until("Co-host link")
        server = one_child(screen.process.pid)
        screen.send(b" ")
        deadline = time.monotonic() + TIMEOUT_S
        while holder(journal) is None or journal.read_bytes().count(b"\n") < 2:
            assert time.monotonic() < deadline, "the start never reached the journal"
            time.sleep(0.05)
        assert alive(server)
        screen.process.kill()  # kill -9: no goodbye, no pipe closed on purpose
        screen.process.wait()
        assert holder(journal) is None  # the lock went with the controller: the server never had it
        began = time.monotonic()
        assert gone(server, 5.0), "the server outlived its controller"
        assert time.monotonic() - began < 5.0
    # The port is free again, for the moderator to come back on.
    with moderator(tmp_path, port) as back:
        back.read_until("Co-host link")
        assert one_child(back.process.pid) != server
