"""Helpers shared by the screen tests (a plain module: conftest names clash across test folders)."""

from __future__ import annotations

from runofshow.clock import FakeClock
from runofshow.session.controller import Controller
from runofshow.sync.follower import Follower
from runofshow.tui.words import describe_link


def to_young_kim(controller: Controller, clock: FakeClock, into_talk: float) -> None:
    """Start at 18:00 KST, run the first three slots on time, then `into_talk` s of speaker 1."""
    clock.set_wall("2021-10-08T09:00:00Z")
    controller.command("start")
    for seconds in (60, 300, 300):
        clock.advance(seconds)
        controller.command("next")
    clock.advance(into_talk)


def link_words(follower: Follower) -> tuple[bool, str]:
    """What a co-host's status line says of the follower's link now: (healthy, text)."""
    link = follower.link()
    return link.healthy, describe_link(link, follower.view().now_us, follower.agenda.session.timezone)
