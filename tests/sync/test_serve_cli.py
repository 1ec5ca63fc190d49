"""`runofshow serve JOURNAL --listen HOST:PORT`: the server on its own, for a session another process controls."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect
from websockets.typing import Origin

from runofshow.clock import FakeClock
from runofshow.journal.lock import holder
from runofshow.secrets import Token, token
from runofshow.session.controller import Controller
from runofshow.sync.links import served_links
from tests.kit.follow import TIMEOUT_S
from tests.kit.web import free_port

pytestmark = pytest.mark.network


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runofshow", *args], capture_output=True, text=True, timeout=60, check=False
    )


def one_line(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("runofshow: "), result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


@pytest.mark.slow
def test_bad_input_is_one_line_and_status_2(
    tmp_path: Path, open_controller: Callable[..., Controller], journal: Path
) -> None:
    open_controller().close()
    one_line(cli("serve", str(tmp_path / "missing.jsonl"), "--listen", "0"), "missing.jsonl: no such journal")
    one_line(cli("serve", str(tmp_path), "--listen", "0"), "is a directory")
    (tmp_path / "notes.txt").write_text("hello\n")
    one_line(cli("serve", str(tmp_path / "notes.txt"), "--listen", "0"), "not a runofshow journal")
    one_line(cli("serve", str(journal), "--listen", "127.0.0.1:http"), "not an address to serve on")
    one_line(cli("serve", str(journal), "--listen", "70000"), "the port must be 0 to 65535")
    one_line(cli("serve", str(journal)), "--listen")
    one_line(cli("serve", str(journal), "--listen", "0", "--max-connections", "0"), "at least 1")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        one_line(cli("serve", str(journal), "--listen", f"127.0.0.1:{port}"), "cannot listen on", "in use")


@pytest.fixture
def served_alone(journal: Path) -> Iterator[Callable[[], tuple[subprocess.Popen[str], int]]]:
    started: list[subprocess.Popen[str]] = []

    def start() -> tuple[subprocess.Popen[str], int]:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "runofshow", "serve", str(journal), "--listen", f"127.0.0.1:{port}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().startswith(f"runofshow follow ws://127.0.0.1:{port} --token ")
        return process, port

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def records(ws: object, until: int) -> list[int]:
    """The seqs of the records a raw follower gets, up to `until` (heartbeats skipped)."""
    seqs: list[int] = []
    while not seqs or seqs[-1] < until:
        message = json.loads(ws.recv(timeout=TIMEOUT_S))  # type: ignore[attr-defined]
        if message.get("type") not in ("header", "heartbeat"):
            seqs.append(message["seq"])
    return seqs


@pytest.mark.slow
def test_serves_a_journal_another_process_writes_live_to_followers_and_pages(
    open_controller: Callable[..., Controller],
    clock: FakeClock,
    journal: Path,
    served_alone: Callable[[], tuple[subprocess.Popen[str], int]],
) -> None:
    controller = open_controller()
    controller.command("start")
    process, port = served_alone()
    cohost, stage = token(journal, Token.SESSION), token(journal, Token.STAGE)
    assert served_links(journal) is not None  # `status` prints the links while it serves
    base = f"http://127.0.0.1:{port}"
    with (
        connect(f"ws://127.0.0.1:{port}/?token={cohost}", open_timeout=TIMEOUT_S) as follower,
        connect(f"ws://127.0.0.1:{port}/view?token={stage}", origin=Origin(base), open_timeout=TIMEOUT_S) as page,
    ):
        assert records(follower, 1) == [1]  # what was on disk when it started
        clock.advance(5)
        controller.command("pause")  # written by this process: the server hears of it from the file
        clock.advance(5)
        controller.command("resume")
        assert records(follower, 3) == [2, 3]
        while (view := json.loads(page.recv(timeout=TIMEOUT_S)))["view"]["seq"] < 3:
            pass
        assert view["role"] == "stage" and view["view"]["paused"] is False
    process.send_signal(signal.SIGTERM)
    assert process.wait(TIMEOUT_S) == 0
    assert served_links(journal) is None  # the note went with it
    assert holder(journal) is not None and f"PID {os.getpid()} " in str(holder(journal))  # never the server's
