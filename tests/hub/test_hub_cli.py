"""`run --hub` and `follow nats://` as a user types them: wired to the hub, one line for a mistake, no NATS without a hub."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.session.controller import Controller
from runofshow.sync.hub.mirror import HubMirror, mirror_controller
from tests.hub.kit import TIMEOUT_S, collect, journal_lines
from tests.kit.journals import run_cli
from tests.kit.nats import Cluster

# `runofshow run` as far as its screen, in a fresh interpreter: the screen is replaced by one that quits at
# once, and reports whether any NATS code was loaded by then.
PROBE = """
import json, sys
import runofshow.tui.app as app
def run(self, *args, **kwargs):
    print(json.dumps({"nats": sorted(m for m in sys.modules if m == "nats" or m.startswith("nats."))[:3]}))
app.RunofshowApp.run = run
sys.stdin.isatty = sys.stdout.isatty = lambda: True
import runofshow.cli
sys.exit(runofshow.cli.main(sys.argv[1:]))
"""


def _probe(*args: str) -> tuple[dict[str, list[str]], subprocess.CompletedProcess[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[0]), result


@pytest.mark.slow
def test_run_without_a_hub_loads_no_nats_code(seed: Path, tmp_path: Path) -> None:
    report, _ = _probe("run", str(seed), "--rehearsal", "--log", str(tmp_path / "j.jsonl"))
    assert report["nats"] == []


def test_run_with_a_hub_mirrors_the_session_and_says_how_to_come_back(
    cluster: Cluster, room: str, seed: Path, tmp_path: Path
) -> None:
    journal = tmp_path / "j.jsonl"
    report, result = _probe(
        "run", str(seed), "--rehearsal", "--log", str(journal), "--hub", cluster.url, "--room", room
    )
    assert report["nats"]  # the guard sees NATS when there is a hub
    assert f"--hub {cluster.url} --room {room}" in result.stdout
    import asyncio

    from runofshow.sync.hub.reader import room_lines

    lines = journal_lines(journal)  # the header and the detach of quitting
    assert asyncio.run(collect(room_lines(cluster.url, room), len(lines))) == lines


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--hub", "nats://127.0.0.1:4222"], "--hub and --room go together"),
        (["run", "--room", "main"], "--hub and --room go together"),
        (["run", "--hub", "http://x", "--room", "main"], "not a hub address"),
        (["run", "--hub", "nats://x", "--room", "a b"], "room 'a b'"),
        (["run", "--hub", "nats://u:pw@x", "--room", "main"], "credentials do not go in the address"),
        (["run", "--hub", "nats://x", "--room", "m", "--hub-creds", "/nonexistent"], "cannot read the hub credentials"),
        (["run", "--hub-creds", "creds"], "--hub-creds goes with --hub"),
        (["follow", "nats://127.0.0.1:4222"], "give the room after the hub's address"),
        (["follow", "nats://127.0.0.1:4222/r", "--token", "t", "--json"], "a hub's room takes --hub-creds"),
        (["follow", "ws://127.0.0.1:4222", "--hub-creds", "f"], "--hub-creds is for following a room on a hub"),
    ],
)
def test_a_mistake_about_the_hub_is_one_line_and_status_2(args: list[str], words: str, seed: Path) -> None:
    if args[0] == "run":
        args = [args[0], str(seed), *args[1:]]
    result = run_cli(*args)
    assert result.returncode == 2
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "pw" not in result.stderr


def test_follow_a_room_from_the_hub_prints_its_states_to_the_end(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller()
    mirror: HubMirror = mirror_controller(controller, cluster.url, room)
    try:
        controller.command("start")
        clock.advance(30)
        controller.command("next")
        clock.advance(30)
        controller.command("end")
        follow = subprocess.run(
            [sys.executable, "-m", "runofshow", "follow", f"{cluster.url}/{room}", "--json"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    finally:
        mirror.close(1.0)
    assert follow.returncode == 0, follow.stderr
    last = json.loads(follow.stdout.splitlines()[-1])
    assert (last["seq"], last["phase"]) == (controller.engine.seq, "done")


@pytest.mark.slow
def test_run_with_the_hub_unreachable_goes_on_and_says_what_was_not_sent(seed: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port where no one listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    began = time.monotonic()
    _, result = _probe(
        "run",
        str(seed),
        "--rehearsal",
        "--log",
        str(tmp_path / "j.jsonl"),
        "--hub",
        f"nats://127.0.0.1:{port}",
        "--room",
        "main",
    )
    assert "Hub: 2 records not on the hub yet; the next run sends them" in result.stdout  # the header and the detach
    assert time.monotonic() - began < 10


async def test_the_hub_follower_shows_what_the_moderator_shows(
    cluster: Cluster, room: str, open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    from runofshow.domain.link import LinkState, Via
    from runofshow.sync.hub.follower import HubFollower
    from tests.kit.follow import Driven

    waiting = HubFollower(f"{cluster.url}/{room}", clock)
    assert not await waiting.first_contact(timeout=0.5)  # no session in the room yet
    await waiting.close()
    controller = open_controller()
    mirror = mirror_controller(controller, cluster.url, room)
    follower = HubFollower(f"{cluster.url}/{room}", clock)
    try:
        controller.command("start")
        assert await follower.first_contact()
        driven = Driven(follower, follower.changes())
        clock.advance(40)
        controller.command("next")
        await driven.reach(controller.engine.seq, TIMEOUT_S)
        assert follower.view() == controller.view()
        seqs = [event.seq for event in driven.applied]  # the start may come with the header, or after it
        assert seqs == list(range(controller.engine.seq - len(seqs) + 1, controller.engine.seq + 1)) and len(seqs) >= 1
        link = follower.link()
        assert (link.state, link.via, link.holder) == (LinkState.CONTROLLED, Via.HUB, controller.header.owner)
        await driven.until(lambda: follower.last_beat_mono is not None, TIMEOUT_S)  # every 2 s
        await driven.stop()
    finally:
        await follower.close()
        mirror.close(1.0)


@pytest.mark.pty
def test_the_moderators_screen_says_hub_and_a_follower_of_the_room_sees_the_keys(
    cluster: Cluster, room: str, tmp_path: Path
) -> None:
    from tests.kit.pty import Pty

    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path))
    journal = tmp_path / "room.jsonl"
    command = [sys.executable, "-m", "runofshow", "run", "--rehearsal", "--log", str(journal)]
    with Pty([*command, "--hub", cluster.url, "--room", room], env, (120, 30)) as moderator:
        moderator.read_until("hub ✓")
        follower = subprocess.Popen(
            [sys.executable, "-m", "runofshow", "follow", f"{cluster.url}/{room}", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert follower.stdout is not None
            assert '"seq": 0' in follower.stdout.readline()  # the room's header, caught up
            moderator.send(b" ")
            assert '"seq": 1' in follower.stdout.readline()
            moderator.send(b"q")
            moderator.read_until("Quit runofshow?")
            moderator.send(b"y")
            status, output = moderator.finish()
            assert status == 0, output[-2000:]
            assert "Traceback" not in output
            assert f"--hub {cluster.url} --room {room}" in output
            last = ""
            while '"seq": 2' not in last:  # the detach reaches the room before the moderator's program ends
                last = follower.stdout.readline()
                assert last, "the follower never heard the detach"
        finally:
            follower.kill()
            follower.wait()
