"""Fixtures for the hub: one real three-node NATS JetStream cluster per test module, and a room on it.

Starting the cluster and electing the leader of a first stream takes about
six seconds, so each module shares one cluster (`cluster`), and each test
takes a room of its own (`room`), which is a stream of its own.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest

from tests.kit.nats import Cluster, nats_server

_rooms = itertools.count(1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three JetStream nodes on loopback, shared by a module's tests; every node is up when a test starts."""
    if nats_server() is None:
        pytest.skip("nats-server is not installed")
    hub = Cluster(tmp_path_factory.mktemp("hub"))
    hub.start_all()
    asyncio.run(wait_for_jetstream(hub.url))
    yield hub
    hub.stop_all()


@pytest.fixture
def room(request: pytest.FixtureRequest) -> str:
    """A room name no other test of the run uses."""
    return f"t{next(_rooms)}-{request.node.name[:30].replace('[', '-').replace(']', '')}"


async def wait_for_jetstream(url: str, timeout: float = 30.0) -> None:
    """Wait until the cluster takes a replicated stream (the meta leader is elected); then remove it."""
    from nats.js.api import StreamConfig

    from runofshow.sync.hub.connect import connect

    client = await connect(url)
    js = client.jetstream(timeout=2)
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    await js.add_stream(StreamConfig(name="WARMUP", subjects=["warmup"], num_replicas=3))
                    await js.delete_stream("WARMUP")
                    return
                except Exception:
                    await asyncio.sleep(0.2)
    finally:
        await client.close()
