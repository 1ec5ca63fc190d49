"""Fixtures for the browser views: a real `runofshow run --serve` in a pseudo-terminal, and headless Chromium.

Chromium is Debian's `chromium` with `chromium-driver`, driven by Selenium. In
CI (CI=true) a missing browser is a failure, never a skip; on a developer's
machine the browser tests skip and say how to install it (`.ci/run` installs it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.kit.web import Served, launch_chromium, serve_session


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """Start `runofshow run --serve` on an agenda in a pty; quit it (or kill it) after the test."""
    sessions: list[Served] = []

    def start(agenda: str | None = None, **kwargs: object) -> Served:
        session = serve_session(tmp_path, agenda, **kwargs)  # type: ignore[arg-type]
        sessions.append(session)
        return session

    yield start
    for session in sessions:
        session.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Callable[..., object]]:
    """Open headless Chromium windows of a given size; each has its own fresh profile."""
    drivers: list[object] = []

    def open_(width: int = 1280, height: int = 720, **kwargs: bool) -> object:
        driver = launch_chromium(tmp_path / f"profile-{len(drivers)}", width, height, **kwargs)
        drivers.append(driver)
        return driver

    yield open_
    for driver in drivers:
        driver.quit()  # type: ignore[attr-defined]
