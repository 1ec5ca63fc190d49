"""Fixtures for the screens: the real App on a real journal, driven by a fake clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.core.agenda import Agenda, bundled_agenda, load_agenda
from runofshow.core.clock import FakeClock
from runofshow.core.session import Controller
from runofshow.tui.app import RunofshowApp

AppFactory = Callable[..., tuple[RunofshowApp, Controller]]


@pytest.fixture
def seed() -> Agenda:
    """The workshop agenda: 18:00–19:30 KST on 2021-10-08 (09:00–10:30 UTC)."""
    return load_agenda(bundled_agenda())


@pytest.fixture
def clock() -> FakeClock:
    """Five minutes before the workshop starts, KST 17:55."""
    return FakeClock("2021-10-08T08:55:00Z")


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    """Where the session under test writes."""
    return tmp_path / "session.jsonl"


@pytest.fixture
def make_app(seed: Agenda, clock: FakeClock, journal: Path) -> AppFactory:
    """Build the app the way `runofshow run` does, but on the fake clock and a fixed local zone."""
    opened: list[Controller] = []

    def build(mode: str = "live", **kwargs: object) -> tuple[RunofshowApp, Controller]:
        controller = Controller.open(journal, clock, agenda=seed, mode=mode)
        opened.append(controller)
        app = RunofshowApp(controller, journal_label="session.jsonl", local_zone="UTC", **kwargs)  # type: ignore[arg-type]
        return app, controller

    yield build
    for controller in opened:
        if controller.lock.fd is not None:
            controller.close()
