"""Fixtures for following: a controller on a journal in tmp_path, followers of it, and servers for it.

Everything runs on one fake clock, so a follower and the controller can be
compared at the very same reading. Network followers and servers run in the
test's own event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from runofshow.clock import FakeClock
from runofshow.session.bus import Delivery
from runofshow.session.controller import Controller
from runofshow.sync import watch as watch_module
from runofshow.sync.follower import FileFollower
from runofshow.sync.remote import RemoteFollower
from runofshow.sync.server import JournalServer, bind
from runofshow.sync.watch import FileWatch
from tests.kit.follow import TOKEN, Driven


@pytest.fixture
async def serve(clock: FakeClock) -> AsyncIterator[Callable[..., Awaitable[JournalServer]]]:
    """Start a JournalServer for a controller (port 0 unless given); every one is closed at the end."""
    servers: list[JournalServer] = []

    async def start(controller: Controller, *, port: int = 0, **kwargs: object) -> JournalServer:
        server = JournalServer(controller.path, TOKEN, bind("127.0.0.1", port), clock, **kwargs)  # type: ignore[arg-type]
        controller.bus.records.subscribe(server.take, deliver=Delivery.loop(server.loop))
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def drive(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Callable[..., Driven]]:
    """Run followers the way the screens do: iterate their changes() in a task and poll after each.

    The file watch's 2-second safety look is turned off, so a change the
    watch fails to hear of makes the test time out instead of just slower.
    """
    monkeypatch.setattr(watch_module, "SAFETY_INTERVAL_S", 3600.0)
    driven: list[Driven] = []

    def start(follower: FileFollower | RemoteFollower) -> Driven:
        if isinstance(follower, FileFollower):
            watch = FileWatch(follower.path)
            item = Driven(follower, watch.changes(), watch)
        else:
            item = Driven(follower, follower.changes())
        driven.append(item)
        return item

    yield start
    for item in driven:
        await item.stop()


@pytest.fixture
def remote(clock: FakeClock) -> Callable[..., RemoteFollower]:
    """A network follower of a server, on the shared fake clock."""

    def make(server: JournalServer, *, token: str = TOKEN, **kwargs: object) -> RemoteFollower:
        return RemoteFollower(f"{server.scheme}://127.0.0.1:{server.port}", token, clock, **kwargs)  # type: ignore[arg-type]

    return make
