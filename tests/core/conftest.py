"""Fixtures for the core: the seed agenda, a fake clock five minutes before the show, journals in tmp_path.

The seed runs 18:00–19:30 Asia/Seoul on 2021-10-08, that is 09:00–10:30 UTC;
the fake clock starts at 08:55 UTC, so a live session is five minutes away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from showkit import Show, crash

from runofshow.core.agenda import Agenda, bundled_agenda, load_agenda
from runofshow.core.clock import FakeClock
from runofshow.core.engine import LIVE, REHEARSAL
from runofshow.core.session import Controller

BEFORE_THE_SHOW = "2021-10-08T08:55:00Z"


@pytest.fixture(scope="session")
def agenda() -> Agenda:
    """The seed agenda, loaded the way the CLI loads its default."""
    return load_agenda(bundled_agenda())


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 08:55 UTC on the day of the seed session (17:55 in Seoul)."""
    return FakeClock(BEFORE_THE_SHOW)


@pytest.fixture
def live(agenda: Agenda, clock: FakeClock) -> Show:
    """A live show on the seed: its plan is the agenda's real clock times."""
    return Show(agenda, LIVE, clock)


@pytest.fixture
def rehearsal(agenda: Agenda, clock: FakeClock) -> Show:
    """A rehearsal of the seed: its plan starts whenever it is started."""
    return Show(agenda, REHEARSAL, clock)


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    """Where a test's journal goes (not created yet)."""
    return tmp_path / "session.jsonl"


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
