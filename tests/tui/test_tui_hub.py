"""The hub's copy of the journal on the moderator's status line: worded once, redrawn when the mirror says so."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.text import Text
from textual.widgets import Static

from runofshow.clock import FakeClock
from runofshow.domain.link import HubHealth, HubState
from runofshow.session.controller import Controller
from runofshow.tui.app import RunofshowApp
from runofshow.words.hub import describe_hub

AppFactory = Callable[..., tuple[RunofshowApp, Controller]]

# 2021-10-08 09:31 UTC: 18:31 in Seoul.
TAKEN_US = 1633685460000000


@pytest.mark.parametrize(
    ("health", "words"),
    [
        (None, ""),
        (HubHealth(HubState.OK, "main"), "hub ✓"),
        (HubHealth(HubState.BEHIND, "main", 12), "hub: 12 behind"),
        (HubHealth(HubState.UNREACHABLE, "main"), "hub unreachable"),
        (HubHealth(HubState.UNREACHABLE, "main", 3), "hub unreachable (3 to send)"),
        (
            HubHealth(HubState.FENCED, "main", 0, "hub:kim", TAKEN_US),
            "hub: hub:kim took over the room at 18:31; this screen's records are kept here, not sent",
        ),
        (
            HubHealth(HubState.IN_USE, "main", 0, "ana@hall", TAKEN_US),
            "hub: room main holds ana@hall's session (last record at 18:31); not mirrored, choose another --room",
        ),
    ],
)
def test_the_hub_is_worded_once(health: HubHealth | None, words: str) -> None:
    assert describe_hub(health, "Asia/Seoul") == words


class FakeHub:
    """A mirror whose health the test sets; it tells its watchers as the real one does, from its own thread."""

    def __init__(self) -> None:
        self.now = HubHealth(HubState.UNREACHABLE, "main", 1)
        self.watchers: list[Callable[[], None]] = []

    def health(self) -> HubHealth:
        return self.now

    def watch(self, changed: Callable[[], None]) -> None:
        self.watchers.append(changed)

    def set(self, health: HubHealth) -> None:
        self.now = health
        for changed in self.watchers:
            changed()


def _status(app: RunofshowApp) -> Text:
    content = app.screen.query_one("#status", Static).content
    assert isinstance(content, Text)
    return content


@pytest.mark.slow
async def test_the_status_line_shows_the_hub_and_redraws_when_it_changes(
    make_app: AppFactory, clock: FakeClock
) -> None:
    hub = FakeHub()
    app, _ = make_app("live", hub=hub)
    async with app.run_test(size=(120, 30)) as pilot:
        assert "hub unreachable" in _status(app).plain
        assert "bold red" in str([span.style for span in _status(app).spans])
        # A real clock has moved on whenever the mirror speaks (the screen draws a view that changed).
        clock.advance(0.5)
        hub.set(HubHealth(HubState.OK, "main"))
        await pilot.pause(0.05)
        assert "hub ✓" in _status(app).plain and "hub unreachable" not in _status(app).plain
        clock.advance(0.5)
        hub.set(HubHealth(HubState.BEHIND, "main", 12))
        await pilot.pause(0.05)
        assert "hub: 12 behind" in _status(app).plain


@pytest.mark.slow
async def test_without_a_hub_the_status_line_says_nothing_of_one(make_app: AppFactory) -> None:
    app, _ = make_app("live")
    async with app.run_test(size=(120, 30)):
        assert "hub" not in _status(app).plain
