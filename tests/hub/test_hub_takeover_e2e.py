"""Kill a room's controller, take the room over from a co-host's terminal, bring the old one back: it is fenced.

Real processes on a real three-node cluster: `run --hub` in a pseudo-terminal
(killed with SIGKILL), `follow nats://…/ROOM --control TOKEN --silent-after 2`
in another, then the same `run` again. Nothing written by either is lost: the
room's stream is the new controller's journal, and what the old one wrote
after the takeover is in a fenced file that `report` lists.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runofshow.sync.hub.connect import connect
from runofshow.sync.hub.names import stream_name
from runofshow.sync.hub.takeover import TOKENS_BUCKET
from tests.kit.nats import Cluster
from tests.kit.pty import Pty

pytestmark = [pytest.mark.pty, pytest.mark.skipif(sys.platform != "linux", reason="pty details differ elsewhere")]

RUN = [sys.executable, "-m", "runofshow"]


def stream(url: str, room: str) -> list[bytes]:
    """The room's stream as journal lines (each with its newline)."""

    async def read() -> list[bytes]:
        client = await connect(url)
        try:
            js = client.jetstream(timeout=5)
            last = (await js.stream_info(stream_name(room))).state.last_seq
            return [((await js.get_msg(stream_name(room), s)).data or b"") + b"\n" for s in range(1, last + 1)]
        finally:
            await client.close()

    return asyncio.run(read())


def tokens(url: str, room: str) -> bool:
    """Whether the room's token hashes are in the tokens bucket (put by the mirror beside the records)."""

    async def read() -> bool:
        client = await connect(url)
        try:
            bucket = await client.jetstream(timeout=5).key_value(TOKENS_BUCKET)
            return bool((await bucket.get(room)).value)
        except Exception:
            return False
        finally:
            await client.close()

    return asyncio.run(read())


def wait_for(check: object, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.1)


def types(lines: list[bytes]) -> list[str]:
    return [json.loads(line)["type"] for line in lines]


def test_kill_the_controller_take_over_and_the_old_one_comes_back_fenced(
    cluster: Cluster, room: str, seed: Path, tmp_path: Path
) -> None:
    old_state, new_state = tmp_path / "old", tmp_path / "new"
    journal = tmp_path / "hall.jsonl"
    base = dict(os.environ, TERM="xterm-256color", COLUMNS="100", LINES="30")
    old_env = dict(base, XDG_STATE_HOME=str(old_state))
    new_env = dict(base, XDG_STATE_HOME=str(new_state))
    run = [*RUN, "run", str(seed), "--rehearsal", "--log", str(journal), "--hub", cluster.url, "--room", room]

    with Pty(run, old_env, (100, 30)) as old:
        old.read_until("hub ✓")
        old.send(b" ")
        wait_for(lambda: "start" in types(stream(cluster.url, room)), "the start reached the hub")
        old.send(b"n")
        wait_for(lambda: "next" in types(stream(cluster.url, room)), "the next reached the hub")
        wait_for(lambda: tokens(cluster.url, room), "the room's token hashes reached the hub")
        old.process.kill()  # kill -9: no detach, no goodbye
        old.process.wait()
    before = stream(cluster.url, room)
    assert before == journal.read_bytes().splitlines(keepends=True)
    control = (tmp_path / "hall.jsonl.control-token").read_text().strip()

    follow = [*RUN, "follow", f"{cluster.url}/{room}", "--control", control, "--silent-after", "2"]
    with Pty(follow, new_env, (100, 30)) as cohost:
        cohost.read_until("silent for")
        cohost.send(b"o")
        cohost.read_until("Take over room")
        cohost.send(b"y")
        cohost.read_until("You control this session now")
        copies = list((new_state / "runofshow" / "rooms").glob("*.jsonl"))
        assert len(copies) == 1
        new_journal = copies[0]
        wait_for(lambda: "takeover" in types(stream(cluster.url, room)), "the takeover reached the hub")
        cohost.send(b"n")
        wait_for(lambda: types(stream(cluster.url, room)).count("next") == 2, "the new controller's next")

        # The old controller comes back: it resumes its journal, and the hub refuses what it writes.
        with Pty(run, old_env, (100, 30)) as back:
            back.read_until("took this session over")
            back.send(b"n")  # no key changes the session now
            back.send(b"q")
            status, text = back.finish()
        assert status == 1
        assert "was taken over by" in text.replace("\r\n", " ")
        cohost.send(b"q")
        cohost.read_until("Quit runofshow?")
        cohost.send(b"y")
        status, text = cohost.finish()
        assert status == 0
        assert f"To go on as its controller: runofshow run {new_journal}" in "".join(text.split("\r\n"))

    # One writer: the room's history is the new controller's journal, every record of it.
    room_lines = stream(cluster.url, room)
    assert room_lines == new_journal.read_bytes().splitlines(keepends=True)
    assert room_lines[: len(before)] == before
    takeover = json.loads(room_lines[len(before) + 1])
    assert takeover["type"] == "takeover" and takeover["data"]["after"] == len(before) - 1
    # Nothing lost: what the old controller wrote after the takeover is in its fenced file.
    fenced = list((old_state / "runofshow" / "rescue").glob("*.fenced.jsonl"))
    assert len(fenced) == 1
    mine = journal.read_bytes().splitlines(keepends=True)
    assert fenced[0].read_bytes().splitlines(keepends=True)[1:] == mine[len(before) :]
    assert types(mine[len(before) :])[0] == "reopen"

    listed = report(new_journal.parent, journal, old_state)
    assert str(fenced[0]) in listed
    shown = report(new_journal.parent, new_journal, new_state)
    assert "Taken over at" in shown and "(epoch 2)" in shown


def report(cwd: Path, journal: Path, state: Path) -> str:
    """`runofshow report JOURNAL` with the state folder given, its text on one line."""
    env = dict(os.environ, XDG_STATE_HOME=str(state), COLUMNS="400")
    done = subprocess.run(
        [*RUN, "report", str(journal)], capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=True
    )
    return " ".join(done.stdout.split())
