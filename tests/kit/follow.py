"""Helpers for the follow tests: a follower driven in a task, and the check that two states are one.

A plain module rather than conftest, so test modules can import it by name.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from runofshow.domain.derive import derive
from runofshow.domain.events import Event
from runofshow.domain.fold import State
from runofshow.domain.instants import Reading
from runofshow.session.controller import Controller
from runofshow.sync.follower import Follower
from runofshow.sync.server import bind
from runofshow.sync.watch import FileWatch

#: Generous: a loaded CI machine may be slow, and a pass never waits this long.
TIMEOUT_S = 10.0


#: The token every test server uses.
TOKEN = "test-token"


class Driven:
    """A follower whose changes() runs in a task that polls after each yield, as the screens do.

    `applied` keeps every event the follower applied, in order, so a test can
    check that none was missed or applied twice.
    """

    def __init__(self, follower: Follower, changes: AsyncIterator[None], watch: FileWatch | None = None) -> None:
        self.follower = follower
        self.watch = watch
        self.applied: list[Event] = []
        self.wakeups = 0
        self._changed = asyncio.Event()
        self._changes = changes
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for _ in self._changes:
            self.applied += self.follower.poll()
            self.wakeups += 1
            self._changed.set()

    async def until(self, predicate: object, timeout: float = TIMEOUT_S) -> None:
        """Wait until `predicate()` holds after some poll; fail after `timeout` seconds."""

        async def wait() -> None:
            while not predicate():  # type: ignore[operator]
                if self.task.done():
                    self.task.result()  # surface the driver's exception, if any
                    raise AssertionError("the follower's changes() ended")
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    async def reach(self, seq: int, timeout: float = TIMEOUT_S) -> None:
        """Wait until the follower has applied record `seq` (0: until it has the header)."""
        follower = self.follower
        await self.until(lambda: follower.ready and follower.engine.seq >= seq, timeout)

    async def stop(self) -> None:
        """Cancel the driver and stop watching."""
        self.task.cancel()
        with contextlib.suppress(BaseException):
            await self.task
        with contextlib.suppress(BaseException):
            await self._changes.aclose()  # type: ignore[attr-defined]
        if self.watch is not None:
            self.watch.close()


def assert_same_state(follower: Follower | State, controller: Controller, reading: Reading) -> None:
    """The follower shows what the controller shows, at the same reading, down to the engine's fields."""
    engine = follower if isinstance(follower, State) else follower.engine
    assert engine.seq == controller.engine.seq
    ours, theirs = derive(engine, reading), derive(controller.engine, reading)
    assert ours.as_status() == theirs.as_status()
    assert ours == theirs
    assert engine.snapshot() == controller.engine.snapshot()
    assert engine.agenda.source == controller.agenda.source


#: A session that uses every kind of record: (seconds to let pass, command, its arguments).
#: "poll" records whatever warnings came due; a controller records them before any command too.
SCRIPT: tuple[tuple[float, str, dict[str, object]], ...] = (
    (300, "start", {}),
    (20, "next", {}),
    (40, "pause", {}),
    (15, "resume", {}),
    (250, "poll", {}),
    (30, "next", {}),
    (20, "extend", {"seconds": 90}),
    (400, "poll", {}),
    (5, "next", {}),
    (60, "previous", {}),
    (10, "goto", {"to": 6}),
    (30, "skip", {}),
    (100, "extend", {"seconds": -30}),
    (700, "poll", {}),
    (1, "goto", {"to": 10}),
    (20, "end", {}),
)


def play(controller: Controller, clock: object, step: tuple[float, str, dict[str, object]]) -> list[Event]:
    """Carry out one step of SCRIPT; return the events it recorded (warnings included)."""
    seconds, name, args = step
    clock.advance(seconds)  # type: ignore[attr-defined]
    if name == "poll":
        return controller.poll()
    ack = controller.command(name, **args)
    return [*ack.noticed, ack.event]


def free_port() -> int:
    """A loopback port that nothing listens on (bound, then let go)."""
    sock = bind("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, or skip without openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key
