"""`runofshow follow` as a user runs it: a real subprocess against a journal file or a server in this loop."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from runofshow.clock import SystemClock
from runofshow.commands.status import run_status
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import REHEARSAL
from runofshow.session.bus import Delivery
from runofshow.session.controller import Controller
from runofshow.sync.server import JournalServer, bind, tls_context
from tests.kit.follow import TIMEOUT_S, TOKEN, free_port, make_certificate

#: The keys the issue names; every key of `status --json` is checked too.
NAMED_KEYS = {"segment", "title", "phase", "remaining_s", "offset_s", "projected_end", "mode", "paused"}


#: `python -m runofshow`, with the file watch's 2-second safety look turned off: a change that
#: shows up must have been heard of, not found by chance (the countdown's own ticks aside).
ENTRY = (
    "import sys; import runofshow.sync.watch as watch; watch.SAFETY_INTERVAL_S = 3600.0; "
    "from runofshow.cli import main; raise SystemExit(main(sys.argv[1:]))"
)


async def follow(*args: str) -> asyncio.subprocess.Process:
    """Start `runofshow follow ARGS` in a subprocess with its output piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        ENTRY,
        "follow",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


class Lines:
    """The JSON lines a `follow --json` process prints, read with a timeout each."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen: list[dict[str, Any]] = []

    async def next(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), TIMEOUT_S)
        if not raw:
            assert self.process.stderr is not None
            raise AssertionError(f"follow exited: {(await self.process.stderr.read()).decode()}")
        state = json.loads(raw)
        assert isinstance(state, dict)
        self.seen.append(state)
        return state

    async def until(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Read lines until one satisfies `predicate`; the countdown may print some in between."""
        while not predicate(state := await self.next()):
            pass
        return state


async def watching(pid: int) -> None:
    """Wait until the process has an inotify watch open: it is waiting for the journal, not starting up."""

    def has_inotify() -> bool:
        folder = Path(f"/proc/{pid}/fd")
        for fd in folder.iterdir():
            try:
                if os.readlink(fd) == "anon_inode:inotify":
                    return True
            except OSError:
                continue
        return False

    async def wait() -> None:
        while not has_inotify():
            await asyncio.sleep(0.01)  # /proc cannot be waited on; this polls the thing itself

    await asyncio.wait_for(wait(), TIMEOUT_S)


async def finish(process: asyncio.subprocess.Process) -> tuple[int, str]:
    """Wait for the process to exit by itself; return its status and stderr."""
    assert process.stderr is not None
    err = await asyncio.wait_for(process.stderr.read(), TIMEOUT_S)
    code = await asyncio.wait_for(process.wait(), TIMEOUT_S)
    return code, err.decode()


@pytest.fixture
async def kill_leftovers() -> Any:
    """Any follow process a failed test leaves running is killed (and reaped)."""
    started: list[asyncio.subprocess.Process] = []
    yield started.append
    for process in started:
        if process.returncode is None:
            process.kill()
        await process.wait()


def _at_seq(seq: int, state: dict[str, Any]) -> bool:
    """Whether a follower's status line is the one for record `seq`."""
    return bool(state["seq"] == seq)


def assert_one_clear_line(err: str, *fragments: str) -> None:
    assert err.count("\n") == 1 and err.startswith("runofshow: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


async def test_follow_json_waits_for_the_journal_then_prints_a_line_per_change(
    tmp_path: Path, agenda: Agenda, capsys: pytest.CaptureFixture[str], kill_leftovers: Any
) -> None:
    journal = tmp_path / "session.jsonl"
    process = await follow(str(journal), "--json")
    kill_leftovers(process)
    lines = Lines(process)
    await watching(process.pid)  # started, and waiting for a journal that does not exist yet
    controller = Controller.open(journal, SystemClock(), agenda=agenda, mode=REHEARSAL)
    try:
        first = await lines.next()
        run_status(str(journal), True)
        status_keys = set(json.loads(capsys.readouterr().out)) - {"journal", "controller"}
        assert NAMED_KEYS <= status_keys <= set(first)
        assert first["seq"] == 0 and first["phase"] == controller.view().phase and not first["started"]
        assert first["session"] == agenda.session.title and first["problem"] is None

        steps: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
            ("start", lambda s: s["started"] and s["segment"] == 1 and not s["paused"]),
            ("pause", lambda s: s["paused"]),
            ("resume", lambda s: not s["paused"]),
            ("next", lambda s: s["segment"] == 2 and s["title"] == agenda.segments[1].title),
        ]
        for command, check in steps:
            seq = controller.command(command).event.seq
            state = await lines.until(partial(_at_seq, seq))
            assert check(state), (command, state)
            truth = controller.view().as_status()
            for key in ("segment", "title", "speaker", "phase", "mode", "paused", "started", "planned_end"):
                assert state[key] == truth[key], key
        seq = controller.command("end").event.seq
        last = await lines.until(lambda s: s["seq"] == seq)
        assert last["ended"]
    finally:
        controller.close()
    code, err = await finish(process)  # an ended session: nothing more will change
    # The wait for the journal is said once, on stderr; stdout carries only the states.
    assert code == 0 and err.count("Waiting for") == 1 and len(err.splitlines()) == 1
    assert process.stdout is not None and await process.stdout.read() == b""
    keys = [(s["seq"], s["phase"], round(s["remaining_s"]), round(s["offset_s"])) for s in lines.seen]
    assert all(a != b for a, b in zip(keys, keys[1:])), "a line that says nothing new"


@pytest.mark.network
async def test_follow_json_over_the_network_survives_a_server_restart(
    tmp_path: Path, agenda: Agenda, kill_leftovers: Any
) -> None:
    clock = SystemClock()
    journal = tmp_path / "session.jsonl"
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    server = JournalServer(journal, TOKEN, bind("127.0.0.1", 0), clock)
    port = server.port
    controller.bus.records.subscribe(server.take, deliver=Delivery.loop(server.loop))
    await server.start()
    try:
        process = await follow(f"ws://127.0.0.1:{port}?token={TOKEN}", "--json")
        kill_leftovers(process)
        lines = Lines(process)
        assert (await lines.next())["seq"] == 0
        controller.command("start")
        await lines.until(lambda s: s["seq"] == 1 and s["started"])
        await server.close()
        lost = await lines.until(lambda s: s["problem"] is not None)
        assert "reconnecting" in lost["problem"] and lost["seq"] == 1  # still shows the session
        controller.command("pause")  # while the server is away
        controller.bus.records.unsubscribe(server.take)
        server = JournalServer(journal, TOKEN, bind("127.0.0.1", port), clock)
        controller.bus.records.subscribe(server.take, deliver=Delivery.loop(server.loop))
        await server.start()
        back = await lines.until(lambda s: s["problem"] is None and s["seq"] == 2)  # caught up, nothing lost
        assert back["paused"]
        seq = controller.command("end").event.seq
        assert (await lines.until(lambda s: s["seq"] == seq))["ended"]
        code, err = await finish(process)
        assert code == 0 and err == ""
    finally:
        await server.close()
        controller.close()


@pytest.mark.parametrize(
    ("target", "extra", "says"),
    [
        ("ws://127.0.0.1:{port}", ["--token", "wrong"], "HTTP 401"),
        ("ws://127.0.0.1:{port}/?token=wrong", [], "HTTP 401"),
        ("ws://127.0.0.1:{port}", [], "a token is needed"),
        ("ws://127.0.0.1:{free}", ["--token", TOKEN], "cannot reach ws://127.0.0.1:{free}/: connection refused"),
        ("http://127.0.0.1:{port}", ["--token", TOKEN], "not a follow address"),
        ("{journal}", ["--token", TOKEN], "--token is for following over the network"),
        ("{folder}", [], "not a runofshow journal"),
    ],
)
@pytest.mark.network
async def test_follow_refused_or_unreachable_is_one_clear_line_and_exit_2(
    tmp_path: Path, agenda: Agenda, target: str, extra: list[str], says: str, kill_leftovers: Any
) -> None:
    clock = SystemClock()
    journal = tmp_path / "session.jsonl"
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    (tmp_path / "notes.jsonl").write_text("not a journal\n")
    server = JournalServer(journal, TOKEN, bind("127.0.0.1", 0), clock)
    await server.start()
    free = free_port()
    where = {"port": server.port, "free": free, "journal": journal, "folder": tmp_path / "notes.jsonl"}
    try:
        process = await follow(target.format(**where), *extra, "--json")
        kill_leftovers(process)
        code, err = await finish(process)
    finally:
        await server.close()
        controller.close()
    assert code == 2
    assert_one_clear_line(err, says.format(**where))
    assert process.stdout is not None and await process.stdout.read() == b""


@pytest.mark.network
async def test_follow_over_tls_with_a_self_signed_certificate(
    tmp_path: Path, agenda: Agenda, kill_leftovers: Any
) -> None:
    cert, key = make_certificate(tmp_path)
    clock = SystemClock()
    journal = tmp_path / "session.jsonl"
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    server = JournalServer(journal, TOKEN, bind("127.0.0.1", 0), clock, ssl_context=tls_context(str(cert), str(key)))
    controller.bus.records.subscribe(server.take, deliver=Delivery.loop(server.loop))
    await server.start()
    url = f"wss://127.0.0.1:{server.port}"
    try:
        untrusting = await follow(url, "--token", TOKEN, "--json")
        kill_leftovers(untrusting)
        trusting = await follow(url, "--token", TOKEN, "--cafile", str(cert), "--json")
        kill_leftovers(trusting)
        code, err = await finish(untrusting)
        assert code == 2
        assert_one_clear_line(err, "certificate verify failed")
        lines = Lines(trusting)
        assert (await lines.next())["seq"] == 0
        seq = controller.command("start").event.seq
        await lines.until(lambda s: s["seq"] == seq)
        controller.command("end")
        code, err = await finish(trusting)
        assert code == 0 and err == ""
    finally:
        await server.close()
        controller.close()
