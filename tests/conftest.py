"""Shared fixtures: the seed agenda (as a file and loaded), a fake clock, a journal path, agenda files.

The seed runs 18:00–19:30 Asia/Seoul on 2021-10-08, that is 09:00–10:30 UTC;
the fake clock starts at 08:55 UTC, so a live session is five minutes away.

Also the kinds of test (pyproject.toml registers the markers): a test that
asks for one of the fixtures in FIXTURE_KINDS is marked with its kinds, and
every pty, network or browser test is marked slow, so `pytest -m "not slow"`
never starts a terminal, a server or a browser.

Hypothesis runs under the "ci" profile when CI is set (CI runs with CI=true):
derandomized, so a run fails or passes the same way every time and a failure
on CI can be replayed from its printed blob; "dev" otherwise, with fresh
random examples on each run. `HYPOTHESIS_PROFILE` picks one by name. Tests
that give their own `max_examples` keep it; bench/engine_explore.py is the
long random search of the engine's state machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import REHEARSAL
from runofshow.session.controller import Controller
from tests.kit import crash

#: The kinds a fixture brings to every test that uses it, directly or through another fixture,
#: by (the folder whose conftest.py defines it, its name).
FIXTURE_KINDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("tests/web", "served"): ("pty", "network"),  # `run --serve` in a pseudo-terminal
    ("tests/web", "browser"): ("browser",),
    ("tests/sync", "serve"): ("network",),  # a JournalServer on loopback
    ("tests/control", "live"): ("pty", "network"),  # `run --serve --osc` in a pseudo-terminal, one per module
    ("tests/hub", "cluster"): ("network",),  # three nats-server nodes on loopback
}
KINDS = ("pty", "network", "browser")

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "agendas" / "sse-alliances-2021-10-08.toml"

WriteAgenda = Callable[..., Path]
BEFORE_THE_SHOW = "2021-10-08T08:55:00Z"

# Loaded here, before any test module builds its own settings on top of the profile.
settings.register_profile("ci", max_examples=100, derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if "CI" in os.environ else "dev"))


@pytest.fixture
def seed() -> Path:
    """The seed agenda in the checkout, as the CLI would be given it."""
    return SEED


@pytest.fixture
def write_agenda(tmp_path: Path) -> WriteAgenda:
    """Write text (UTF-8) or raw bytes to a file in tmp_path and return its path."""

    def write(content: str | bytes, name: str = "agenda.toml") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture(scope="session")
def agenda() -> Agenda:
    """The seed agenda, loaded the way the CLI loads its default."""
    return load_agenda(bundled_agenda())


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock at 08:55 UTC on the day of the seed session (17:55 in Seoul)."""
    return FakeClock(BEFORE_THE_SHOW)


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    """Where a test's journal goes (not created yet)."""
    return tmp_path / "session.jsonl"


@pytest.fixture
def open_controller(journal: Path, clock: FakeClock, agenda: Agenda) -> Iterator[Callable[..., Controller]]:
    """Open (or resume) controllers with the fake clock: `open_(mode, path=journal)`.

    `mode` is "rehearsal" unless given (None: the journal's own, on resume).
    Any left open at the end are dropped as kill -9 would drop them.
    """
    opened: list[Controller] = []

    def open_(mode: str | None = REHEARSAL, *, path: Path = journal) -> Controller:
        controller = Controller.open(path, clock, agenda=agenda, mode=mode)
        opened.append(controller)
        return controller

    yield open_
    for controller in opened:
        if controller.lock.fd is not None:
            crash(controller)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with the kinds its fixtures bring, then every test of a kind as slow."""
    for item in items:
        # Each test function's fixture closure, its fixtures' fixtures included (pytest keeps it on the item).
        fixtures = getattr(item, "_fixtureinfo", None)
        closure = fixtures.name2fixturedefs if fixtures is not None else {}
        for name, definitions in closure.items():
            # The last definition is the one the test gets: the closest conftest.py or module.
            for kind in FIXTURE_KINDS.get((definitions[-1].baseid, name), ()):
                item.add_marker(kind)
        if any(item.get_closest_marker(kind) for kind in KINDS) and not item.get_closest_marker("slow"):
            item.add_marker("slow")
