"""Fixtures for the core: shows driven without a journal, and controllers on one (see also tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runofshow.core.agenda import Agenda
from runofshow.core.clock import FakeClock
from runofshow.core.events import LIVE, REHEARSAL
from runofshow.core.session import Controller
from showkit import Show, crash


@pytest.fixture
def live(agenda: Agenda, clock: FakeClock) -> Show:
    """A live show on the seed: its plan is the agenda's real clock times."""
    return Show(agenda, LIVE, clock)


@pytest.fixture
def rehearsal(agenda: Agenda, clock: FakeClock) -> Show:
    """A rehearsal of the seed: its plan starts whenever it is started."""
    return Show(agenda, REHEARSAL, clock)


@pytest.fixture
def open_controller(journal: Path, clock: FakeClock, agenda: Agenda) -> Iterator[Callable[..., Controller]]:
    """Open (or resume) controllers on `journal` with the fake clock; any left open are crashed at the end."""
    opened: list[Controller] = []

    def open_(mode: str | None = REHEARSAL) -> Controller:
        controller = Controller.open(journal, clock, agenda=agenda, mode=mode)
        opened.append(controller)
        return controller

    yield open_
    for controller in opened:
        if controller.lock.fd is not None:
            crash(controller)
