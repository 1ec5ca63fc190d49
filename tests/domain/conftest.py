"""Fixtures for the domain: shows driven without a journal (controllers on one are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import LIVE, REHEARSAL
from tests.kit.show import Show


@pytest.fixture
def live(agenda: Agenda, clock: FakeClock) -> Show:
    """A live show on the seed: its plan is the agenda's real clock times."""
    return Show(agenda, LIVE, clock)


@pytest.fixture
def rehearsal(agenda: Agenda, clock: FakeClock) -> Show:
    """A rehearsal of the seed: its plan starts whenever it is started."""
    return Show(agenda, REHEARSAL, clock)
