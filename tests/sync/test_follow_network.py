"""Following over a WebSocket: JournalServer and RemoteFollower in the test's event loop, on the fake clock."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from runofshow.clock import FakeClock
from runofshow.domain.derive import derive
from runofshow.domain.instants import format_instant
from runofshow.errors import UserError
from runofshow.session.controller import Controller
from runofshow.session.replay import Replayer
from runofshow.sync.follower import FileFollower
from runofshow.sync.remote import RemoteFollower
from runofshow.sync.server import HEARTBEAT_S, JournalServer, tls_context
from tests.kit.follow import SCRIPT, TIMEOUT_S, TOKEN, Driven, assert_same_state, free_port, make_certificate, play

OpenController = Callable[..., Controller]
Serve = Callable[..., Awaitable[JournalServer]]
Drive = Callable[..., Driven]
Remote = Callable[..., RemoteFollower]


async def connected(remote: RemoteFollower, drive: Drive) -> Driven:
    """First contact, then driven the way the follow screen drives it."""
    await remote.first_contact(timeout=TIMEOUT_S)
    return drive(remote)


async def test_file_and_network_followers_equal_the_controller_after_every_command(
    open_controller: OpenController, clock: FakeClock, journal: Path, serve: Serve, remote: Remote, drive: Drive
) -> None:
    controller = open_controller("live")
    server = await serve(controller)
    followers = [await connected(remote(server), drive) for _ in range(3)]
    followers.append(drive(FileFollower(journal, clock)))
    for step in SCRIPT:
        play(controller, clock, step)
        for driven in followers:
            await driven.reach(controller.engine.seq)
            assert_same_state(driven.follower, controller, clock.read())
    assert server.followers == 3
    for driven in followers:
        assert [event.seq for event in driven.applied] == list(range(1, controller.engine.seq + 1))
        assert driven.follower.problem is None


async def test_a_server_restart_is_reconnected_with_no_gap(
    open_controller: OpenController, clock: FakeClock, serve: Serve, remote: Remote, drive: Drive
) -> None:
    controller = open_controller("live")
    server = await serve(controller)
    port = server.port
    driven = await connected(remote(server), drive)
    follower = driven.follower
    assert isinstance(follower, RemoteFollower)
    for step in SCRIPT[:4]:
        play(controller, clock, step)
    await driven.reach(controller.engine.seq)
    controller.bus.records.unsubscribe(server.take)
    started = time.monotonic()
    await server.close()
    assert time.monotonic() - started < HEARTBEAT_S / 2  # closing does not wait for a heartbeat
    await driven.until(lambda: not follower.connected)
    assert follower.problem is not None and "reconnecting" in follower.problem
    for step in SCRIPT[4:8]:  # the show goes on while the server is away
        play(controller, clock, step)
    again = await serve(controller, port=port)
    play(controller, clock, SCRIPT[8])
    await driven.reach(controller.engine.seq)
    assert follower.connected and follower.problem is None
    assert_same_state(follower, controller, clock.read())
    assert [event.seq for event in driven.applied] == list(range(1, controller.engine.seq + 1))  # none lost, none twice
    play(controller, clock, SCRIPT[9])
    await driven.reach(controller.engine.seq)
    assert_same_state(follower, controller, clock.read())
    assert again.followers == 1


async def test_survives_the_moderator_quitting_and_resuming_over_the_network(
    open_controller: OpenController, clock: FakeClock, serve: Serve, remote: Remote, drive: Drive
) -> None:
    controller = open_controller("live")
    server = await serve(controller)
    port = server.port
    driven = await connected(remote(server), drive)
    follower = driven.follower
    for step in SCRIPT[:5]:
        play(controller, clock, step)
    await driven.reach(controller.engine.seq)
    await server.close()  # `runofshow run --serve` quits: the app's loop ends, then the controller closes
    controller.close()
    clock.advance(120)
    resumed = open_controller("live")
    await serve(resumed, port=port)  # and comes back on the same port, with the same token
    await driven.reach(resumed.engine.seq)
    assert_same_state(follower, resumed, clock.read())
    assert [event.type for event in driven.applied][-2:] == ["detach", "reopen"]
    for step in SCRIPT[5:8]:
        play(resumed, clock, step)
        await driven.reach(resumed.engine.seq)
        assert_same_state(follower, resumed, clock.read())


async def test_a_new_session_behind_the_same_address_is_followed_from_its_start(
    open_controller: OpenController, clock: FakeClock, serve: Serve, remote: Remote, drive: Drive, tmp_path: Path
) -> None:
    """The moderator starts another session on the same port: the follower must not keep the old one's seq."""
    first = open_controller("live")
    server = await serve(first)
    port = server.port
    driven = await connected(remote(server), drive)
    follower = driven.follower
    for step in SCRIPT[:10]:
        play(first, clock, step)
    await driven.reach(first.engine.seq)
    await server.close()
    first.close()
    second = open_controller("live", path=tmp_path / "second.jsonl")
    for step in SCRIPT[:3]:  # fewer records than the follower had
        play(second, clock, step)
    await serve(second, port=port)
    await driven.until(lambda: follower.ready and follower.header.session_id == second.header.session_id)
    await driven.reach(second.engine.seq)
    assert_same_state(follower, second, clock.read())
    play(second, clock, SCRIPT[3])
    await driven.reach(second.engine.seq)
    assert_same_state(follower, second, clock.read())
    assert follower.problem is None


async def test_a_record_out_of_order_is_fetched_again_not_shown(
    open_controller: OpenController, clock: FakeClock, serve: Serve, remote: Remote, drive: Drive
) -> None:
    """A gap in what arrives (it should never happen) makes the follower catch up; the screen keeps its state."""
    controller = open_controller("live")
    server = await serve(controller)
    follower = remote(server)
    await follower.first_contact(timeout=TIMEOUT_S)
    for step in SCRIPT[:3]:
        play(controller, clock, step)
    driven = drive(follower)
    await driven.reach(controller.engine.seq)
    bogus = {
        "seq": controller.engine.seq + 5,
        "type": "pause",
        "wall": format_instant(clock.wall_us),
        "mono": clock.mono,
        "boot": clock.boot,
        "data": {"segment": 2},
    }
    follower._take(json.dumps(bogus))  # as if records had been lost on the way
    assert follower.poll() == []
    assert follower.ready and follower.engine.seq == controller.engine.seq  # still showing the session
    play(controller, clock, SCRIPT[3])
    await driven.reach(controller.engine.seq)
    assert_same_state(follower, controller, clock.read())
    assert [event.seq for event in driven.applied] == list(range(1, controller.engine.seq + 1))


@pytest.mark.parametrize(
    ("query", "headers", "status"),
    [
        ("", {}, 401),
        ("?token=wrong", {}, 401),
        ("?token=" + TOKEN[:-1], {}, 401),
        ("", {"Authorization": "Bearer wrong"}, 401),
        ("", {"Authorization": f"Basic {TOKEN}"}, 401),
        (f"?token={TOKEN}", {"Origin": "http://127.0.0.1"}, 403),
        ("", {"Authorization": f"Bearer {TOKEN}", "Origin": "https://evil.example"}, 403),
    ],
)
async def test_refused_without_the_token_or_from_a_browser(
    open_controller: OpenController, serve: Serve, query: str, headers: dict[str, str], status: int
) -> None:
    server = await serve(open_controller("live"))
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"ws://127.0.0.1:{server.port}/{query}", additional_headers=headers, proxy=None):
            pass
    assert refused.value.response.status_code == status
    assert server.followers == 0


async def test_the_token_in_a_bearer_header_is_accepted(open_controller: OpenController, serve: Serve) -> None:
    controller = open_controller("live")
    server = await serve(controller)
    async with connect(
        f"ws://127.0.0.1:{server.port}/", additional_headers={"Authorization": f"Bearer {TOKEN}"}, proxy=None
    ) as ws:
        header = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
    assert header["type"] == "header" and header["session"] == controller.header.session_id


@pytest.mark.parametrize(("token", "origin", "says"), [("wrong", False, "HTTP 401"), (TOKEN, True, "HTTP 403")])
async def test_a_refused_follower_is_told_why(
    open_controller: OpenController,
    serve: Serve,
    remote: Remote,
    token: str,
    origin: bool,
    says: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = await serve(open_controller("live"))
    follower = remote(server, token=token)
    if origin:  # a follower never sends one; make this one look like a browser
        real_connect = connect

        def with_origin(*args: object, **kwargs: object) -> object:
            return real_connect(*args, origin="http://localhost", **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr("runofshow.sync.remote.connect", with_origin)
    with pytest.raises(UserError, match=says):
        await follower.first_contact(timeout=TIMEOUT_S)
    assert not follower.ready


@pytest.mark.network
async def test_an_unreachable_server_is_a_user_error() -> None:
    follower = RemoteFollower(f"ws://127.0.0.1:{free_port()}", TOKEN, FakeClock())
    with pytest.raises(UserError, match="cannot reach .*connection refused"):
        await follower.first_contact(timeout=TIMEOUT_S)


async def test_a_follower_that_sends_data_changes_nothing(
    open_controller: OpenController, clock: FakeClock, journal: Path, serve: Serve, remote: Remote, drive: Drive
) -> None:
    controller = open_controller("live")
    for step in SCRIPT[:3]:
        play(controller, clock, step)
    server = await serve(controller)
    bystander = await connected(remote(server), drive)
    before = journal.read_bytes()
    state = derive(controller.engine, clock.read())
    async with connect(f"ws://127.0.0.1:{server.port}/?token={TOKEN}", proxy=None) as rogue:
        got = [json.loads(await asyncio.wait_for(rogue.recv(), TIMEOUT_S)) for _ in range(controller.engine.seq + 1)]
        assert [record.get("seq") for record in got] == [None, *range(1, controller.engine.seq + 1)]
        seq = controller.engine.seq
        attempts: list[str | bytes] = [
            json.dumps(
                {
                    "seq": seq + 1,
                    "type": "end",
                    "wall": format_instant(clock.wall_us),
                    "mono": clock.mono,
                    "boot": clock.boot,
                    "data": {"segment": 2},
                }
            ),
            json.dumps({"command": "next"}),
            "next",
            b"\x00\xff binary",
            "x" * 60_000,
        ]
        for message in attempts:
            await rogue.send(message)
        await rogue.ping()  # answered only after the server has read everything sent before it
        play(controller, clock, SCRIPT[3])  # the rogue is still served, read-only
        record = json.loads(await asyncio.wait_for(rogue.recv(), TIMEOUT_S))
        while record.get("type") == "heartbeat":
            record = json.loads(await asyncio.wait_for(rogue.recv(), TIMEOUT_S))
        assert record["seq"] == seq + 1 and record["type"] == SCRIPT[3][1]
    assert journal.read_bytes()[: len(before)] == before
    assert controller.engine.seq == seq + 1 and state.seq == seq
    truth = Replayer("truth")
    truth.feed(journal.read_bytes())
    assert truth.engine is not None and truth.engine.seq == controller.engine.seq
    await bystander.reach(controller.engine.seq)
    assert_same_state(bystander.follower, controller, clock.read())


async def test_a_follower_that_sends_too_much_is_dropped_alone(
    open_controller: OpenController, clock: FakeClock, serve: Serve, remote: Remote, drive: Drive
) -> None:
    controller = open_controller("live")
    server = await serve(controller)
    bystander = await connected(remote(server), drive)
    async with connect(f"ws://127.0.0.1:{server.port}/?token={TOKEN}", proxy=None) as rogue:
        await rogue.send("x" * 200_000)
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(rogue.recv(), TIMEOUT_S)
    play(controller, clock, SCRIPT[0])
    await bystander.reach(1)
    assert_same_state(bystander.follower, controller, clock.read())


async def test_heartbeats_correct_the_clock_of_another_machine(
    open_controller: OpenController, clock: FakeClock, serve: Serve, drive: Drive
) -> None:
    controller = open_controller("live")
    server = await serve(controller)
    elsewhere = FakeClock("2021-10-08T08:54:30Z", mono=50.0, boot="laptop-2")  # 30 s slow, another boot
    follower = RemoteFollower(f"ws://127.0.0.1:{server.port}", TOKEN, elsewhere)
    here = RemoteFollower(f"ws://127.0.0.1:{server.port}", TOKEN, clock)
    driven = [await connected(follower, drive), await connected(here, drive)]
    play(controller, clock, (0, "start", {}))  # no time passes: the skew stays what the heartbeat said
    for item in driven:  # a heartbeat follows the catch-up at once, before this record
        await item.reach(1)
    assert follower._skews and here._skews
    assert follower.corrected.offset_us == 30_000_000
    assert follower.view().now_us == clock.wall_us
    assert here.corrected.offset_us == 0  # same machine: its own clocks are the truth


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One self-signed certificate for the TLS tests."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


async def test_tls_with_a_self_signed_certificate(
    open_controller: OpenController,
    clock: FakeClock,
    serve: Serve,
    remote: Remote,
    drive: Drive,
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    controller = open_controller("live")
    context = tls_context(str(cert), str(key))
    assert context is not None
    server = await serve(controller, ssl_context=context)
    assert server.scheme == "wss" and server.follow_command().startswith("runofshow follow wss://127.0.0.1:")
    driven = await connected(remote(server, cafile=str(cert)), drive)
    play(controller, clock, SCRIPT[0])
    await driven.reach(1)
    assert_same_state(driven.follower, controller, clock.read())
    untrusting = remote(server)  # without --cafile the certificate is not trusted
    with pytest.raises(UserError, match="cannot reach .*certificate verify failed"):
        await untrusting.first_contact(timeout=TIMEOUT_S)
    plain = RemoteFollower(f"ws://127.0.0.1:{server.port}", TOKEN, clock)  # ws:// to a wss:// server
    with pytest.raises(UserError):
        await plain.first_contact(timeout=TIMEOUT_S)


def test_a_bad_certificate_or_key_is_a_user_error(tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, _ = certificate
    with pytest.raises(UserError, match="cannot load it"):
        tls_context(str(cert), str(tmp_path / "missing-key.pem"))
    with pytest.raises(UserError, match="needs its certificate"):
        tls_context(None, str(cert))
    assert tls_context(None, None) is None
    assert isinstance(tls_context(*map(str, certificate)), ssl.SSLContext)
