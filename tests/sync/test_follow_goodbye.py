"""When the moderator quits a served session, network followers hear it, rather than see the line drop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.link import LinkState, control_state
from runofshow.session.controller import Controller
from runofshow.sync.remote import RemoteFollower
from runofshow.sync.server import JournalServer, close_served
from runofshow.tui.app import RunofshowApp
from tests.kit.follow import Driven
from tests.kit.screens import link_words


async def test_quitting_sends_the_detach_to_network_followers(
    open_controller: Callable[..., Controller],
    serve: Callable[..., Awaitable[JournalServer]],
    remote: Callable[..., RemoteFollower],
    drive: Callable[..., Driven],
    clock: FakeClock,
) -> None:
    controller = open_controller("live")
    server = await serve(controller)
    follower = remote(server)
    await follower.first_contact()
    driven = drive(follower)
    controller.command("start")
    await driven.reach(controller.engine.seq)
    app = RunofshowApp(
        controller,
        controller,
        journal_label="session.jsonl",
        local_zone="UTC",
        shutdown=partial(close_served, controller, server),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        clock.advance(5)
        await pilot.press("q", "y")
    await driven.until(lambda: follower.ready and follower.engine.seq == 2)
    assert controller.lock.fd is None  # closed in the app's own loop, before it ended
    lines = controller.path.read_text().splitlines()
    assert '"type":"detach"' in lines[-1]
    healthy, text = link_words(follower)
    assert not healthy and "has quit; the session goes on" in text


@pytest.mark.parametrize(
    ("ended", "last_type", "held", "state"),
    [
        (True, "end", True, LinkState.ENDED),
        (True, "detach", None, LinkState.ENDED),  # an ended session detached: it ended
        (False, "next", True, LinkState.CONTROLLED),
        (False, "detach", True, LinkState.CONTROLLED),  # resumed: the lock is taken, its reopen is on its way
        (False, "detach", False, LinkState.DETACHED),
        (False, "next", False, LinkState.STOPPED),  # a crash: no one holds the lock and nothing said why
        (False, None, False, LinkState.STOPPED),
        (False, "detach", None, LinkState.DETACHED),  # over the network only the last record can tell
        (False, "next", None, LinkState.CONTROLLED),
    ],
)
def test_who_drives_the_session_is_one_rule_for_the_report_and_every_follower(
    ended: bool, last_type: str | None, held: bool | None, state: LinkState
) -> None:
    assert control_state(ended=ended, last_type=last_type, held=held) is state
