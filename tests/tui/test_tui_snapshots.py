"""Snapshots of the live screen at the moments a moderator cares about.

The state is built through the controller with a fake clock, so every figure
on screen is fixed; the machine's own zone is pinned to UTC. Review
snapshot_report.html before accepting a change with --snapshot-update.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runofshow.clock import FakeClock
from runofshow.session.controller import Controller
from runofshow.tui.app import RunofshowApp
from tests.kit.screens import to_young_kim

AppFactory = Callable[..., tuple[RunofshowApp, Controller]]
SnapCompare = Callable[..., bool]


def test_before_the_start(make_app: AppFactory, snap_compare: SnapCompare) -> None:
    app, _ = make_app("live")
    assert snap_compare(app, terminal_size=(100, 30))


def test_a_talk_on_time(make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 180)
    assert snap_compare(app, terminal_size=(100, 30))


def test_wrap_up(make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 490)
    assert snap_compare(app, terminal_size=(100, 30))


def test_overtime(make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 600)
    controller.command("next")
    clock.advance(690)  # Eric, 1:30 over
    assert snap_compare(app, terminal_size=(100, 30))


def test_the_end(make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 600)
    for seconds in (690, 600, 600, 1440, 600):
        controller.command("next")
        clock.advance(seconds)
    controller.command("next")
    clock.advance(240)
    controller.command("end")
    assert snap_compare(app, terminal_size=(100, 30))


@pytest.mark.slow
def test_wrap_up_at_80_by_24(make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 490)
    assert snap_compare(app, terminal_size=(80, 24))


def test_wide_200_by_50(make_app: AppFactory, clock: FakeClock, snap_compare: SnapCompare) -> None:
    app, controller = make_app("live")
    to_young_kim(controller, clock, 180)
    assert snap_compare(app, terminal_size=(200, 50))
