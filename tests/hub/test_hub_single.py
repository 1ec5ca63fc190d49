"""A hub of one server that asks for a password: the room's stream has one replica, credentials come from a file."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.link import HubState
from runofshow.session.controller import Controller
from runofshow.sync.hub.connect import HubCredentials, connect
from runofshow.sync.hub.mirror import mirror_controller
from runofshow.sync.hub.reader import room_lines
from tests.hub.kit import TIMEOUT_S, collect, journal_lines
from tests.kit.journals import run_cli
from tests.kit.nats import single_server

pytestmark = [pytest.mark.network, pytest.mark.slow]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One nats-server with JetStream, user `room` and password `s3cret`; its URL."""
    with single_server(
        tmp_path_factory.mktemp("single"), authorization='users: [ { user: room, password: "s3cret" } ]'
    ) as url:
        asyncio.run(_jetstream_ready(url))
        yield url


async def _jetstream_ready(url: str) -> None:
    """Wait until JetStream answers for the password's account: nats-server 2.9 can crash on a stream
    request that comes in the moment it says it is ready, before the account's JetStream is set up."""
    import nats

    client = await nats.connect(url, user="room", password="s3cret")
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                try:
                    await client.jetstream(timeout=1).account_info()
                    return
                except Exception:
                    await asyncio.sleep(0.1)
    finally:
        await client.close()


async def test_a_room_on_one_server_with_a_password_from_a_file(
    hub: str, tmp_path: Path, open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    creds_file = tmp_path / "hub.toml"
    creds_file.write_text('user = "room"\npassword = "s3cret"\n')
    creds = HubCredentials.from_file(creds_file)
    controller = open_controller()
    mirror = mirror_controller(controller, hub, "single", creds)
    try:
        controller.command("start")
        clock.advance(10)
        controller.command("message", text="hello")
        lines = journal_lines(controller.path)
        try:
            got = await collect(room_lines(hub, "single", creds=creds), len(lines))
        except TimeoutError:
            raise AssertionError(f"the room did not arrive; the mirror: {mirror.health()}") from None
        assert got == lines
        # A reader may have the last record before the mirror has its acknowledgement: wait for that.
        deadline = time.monotonic() + TIMEOUT_S
        while mirror.health().state is not HubState.OK and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert mirror.health().state is HubState.OK, mirror.health()
        client = await connect(hub, creds)
        info = await client.jetstream().stream_info("RUNOFSHOW_single")
        assert info.config.num_replicas == 1
        await client.close()
    finally:
        mirror.close(1.0)


async def test_a_wrong_password_never_gets_in_and_says_so(hub: str) -> None:
    why: list[str] = []
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1.5):
            await connect(hub, HubCredentials(user="room", password="wrong"), failed=why.append)
    assert "the hub refused the credentials" in why


def test_follow_with_a_wrong_password_is_one_line(hub: str, tmp_path: Path) -> None:
    creds = tmp_path / "hub.toml"
    creds.write_text('user = "room"\npassword = "wrong"\n')
    result = run_cli("follow", f"{hub}/single", "--json", "--hub-creds", str(creds))
    assert result.returncode == 2
    assert result.stderr.strip() == f"runofshow: cannot reach the hub at {hub}: the hub refused the credentials"
