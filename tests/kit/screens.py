"""Helpers shared by the screen tests (a plain module: conftest names clash across test folders)."""

from __future__ import annotations

from runofshow.core.clock import FakeClock
from runofshow.core.session import Controller


def to_young_kim(controller: Controller, clock: FakeClock, into_talk: float) -> None:
    """Start at 18:00 KST, run the first three slots on time, then `into_talk` s of speaker 1."""
    clock.set_wall("2021-10-08T09:00:00Z")
    controller.command("start")
    for seconds in (60, 300, 300):
        clock.advance(seconds)
        controller.command("next")
    clock.advance(into_talk)
