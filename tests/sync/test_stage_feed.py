"""`follow --stage` with the speakers' token: the same timing, from a header that carries only the stage's facts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.derive import derive
from runofshow.errors import UserError
from runofshow.session.controller import Controller
from runofshow.sync.remote import RemoteFollower
from runofshow.sync.server import JournalServer
from runofshow.sync.web import WebViews
from tests.kit.follow import SCRIPT, TIMEOUT_S, TOKEN, Driven, play

STAGE = "stage-token"


async def served(
    open_controller: Callable[..., Controller], serve: Callable[..., Awaitable[JournalServer]], clock: FakeClock
) -> tuple[Controller, JournalServer]:
    controller = open_controller()
    web = WebViews(controller.path, TOKEN, STAGE, clock)
    return controller, await serve(controller, web=web)


async def test_the_stage_token_follows_the_stage_feed_with_the_same_timing(
    open_controller: Callable[..., Controller],
    serve: Callable[..., Awaitable[JournalServer]],
    drive: Callable[..., Driven],
    clock: FakeClock,
) -> None:
    controller, server = await served(open_controller, serve, clock)
    follower = RemoteFollower(f"ws://127.0.0.1:{server.port}", STAGE, clock, stage=True)
    await follower.first_contact(timeout=TIMEOUT_S)
    driven = drive(follower)
    for step in SCRIPT:
        play(controller, clock, step)
        await driven.reach(controller.engine.seq)
        ours, theirs = derive(follower.engine, clock.read()), derive(controller.engine, clock.read())
        for key in ("segment", "phase", "alert", "remaining_s", "elapsed_s", "allotted_s", "offset_s", "seq"):
            assert ours.as_status()[key] == theirs.as_status()[key], key
    header = follower.replayer.header
    assert header is not None and header.user == "" and header.host == "" and header.agenda_path == ""
    assert all(segment.notes is None and segment.organization is None for segment in follower.agenda.segments)
    assert "Check that all four speakers" not in header.agenda_text  # the seed's first note
    assert follower.agenda.session.host is None


async def test_the_stage_token_is_refused_the_full_journal(
    open_controller: Callable[..., Controller], serve: Callable[..., Awaitable[JournalServer]], clock: FakeClock
) -> None:
    _, server = await served(open_controller, serve, clock)
    with pytest.raises(UserError, match="HTTP 401"):
        await RemoteFollower(f"ws://127.0.0.1:{server.port}", STAGE, clock).first_contact(timeout=TIMEOUT_S)
    with pytest.raises(UserError, match="HTTP 401"):
        await RemoteFollower(f"ws://127.0.0.1:{server.port}", "wrong", clock, stage=True).first_contact(
            timeout=TIMEOUT_S
        )
    cohost = RemoteFollower(f"ws://127.0.0.1:{server.port}", TOKEN, clock, stage=True)  # the co-host may watch it too
    await cohost.first_contact(timeout=TIMEOUT_S)
    assert cohost.ready and cohost.replayer.header is not None and cohost.replayer.header.user == ""
