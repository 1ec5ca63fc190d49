"""Fixtures for the screens: the real App on a real journal, driven by a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.session.controller import Controller
from runofshow.tui.app import RunofshowApp

AppFactory = Callable[..., tuple[RunofshowApp, Controller]]


@pytest.fixture
def make_app(agenda: Agenda, clock: FakeClock, journal: Path) -> Iterator[AppFactory]:
    """Build the app the way `runofshow run` does, but on the fake clock and a fixed local zone."""
    opened: list[Controller] = []

    def build(mode: str = "live", **kwargs: object) -> tuple[RunofshowApp, Controller]:
        controller = Controller.open(journal, clock, agenda=agenda, mode=mode)
        opened.append(controller)
        app = RunofshowApp(controller, controller, journal_label="session.jsonl", local_zone="UTC", **kwargs)  # type: ignore[arg-type]
        return app, controller

    yield build
    for controller in opened:
        if controller.lock.fd is not None:
            controller.close()
