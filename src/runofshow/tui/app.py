"""The live apps: the moderator's (`run`), the co-host's (`follow`) and the stage view.

One authoritative tick lives on the App, whichever screen is on top. It is
not a fixed interval: each redraw is scheduled for the instant the big number
next changes, computed from the clock, so the display is true to within the
event loop's latency and the app sleeps in between.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pendulum
from pendulum.tz.local_timezone import get_local_timezone
from textual.app import App, SystemCommand
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker

from runofshow.domain.agenda.values import zone
from runofshow.domain.derive import View
from runofshow.domain.events import Event, Warning, WarningLevel
from runofshow.tui.cohost import CohostControlScreen
from runofshow.tui.models import until_flash_changes
from runofshow.tui.moderator import ModeratorScreen
from runofshow.tui.room import RoomFollowScreen
from runofshow.tui.screens import FollowScreen, LiveScreen, SessionScreen, StageScreen
from runofshow.tui.source import (
    Controls,
    Handover,
    MirroredTo,
    RemoteCommands,
    RemoteControls,
    ServedBy,
    SessionSource,
    Takeover,
)
from runofshow.words.display import seconds_to_next_change
from runofshow.words.text import literal

#: Wake this long after a computed boundary, so the clock reads past it.
BOUNDARY_MARGIN_S = 0.003
#: A warning recorded longer ago than this is history, not news: no bell, no toast.
FRESH_WARNING_US = 10_000_000
WARNING_TITLES: dict[WarningLevel, str] = {
    WarningLevel.WRAP_UP: "Wrap up",
    WarningLevel.FINAL: "Final minute",
    WarningLevel.TIME_UP: "Time's up",
}


def until_whole(seconds: float) -> float:
    """How long until a figure that grows by a second a second next shows a new whole number (half-up)."""
    fraction = (seconds + 0.5) % 1.0
    return 1.0 - fraction if fraction < 1.0 - 1e-6 else 1.0


class SessionApp(App[None]):
    """What every live app shares: the clock-driven tick, warnings, and a total tick handler."""

    CSS_PATH = "runofshow.tcss"
    TITLE = "runofshow"

    def __init__(
        self,
        source: SessionSource,
        *,
        changes: Callable[[], AsyncIterator[None]] | None = None,
        services: Sequence[Callable[[], Awaitable[None]]] = (),
        shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        #: Run as the app closes, in its event loop (e.g. to tell network followers goodbye).
        self.shutdown = shutdown
        #: For a follower: an async iterator that yields when new records may have arrived.
        self.changes = changes
        #: Coroutines to start with the app (e.g. the WebSocket server).
        self.services = services
        self.muted = False
        self.bells = 0
        self.tick_error: str | None = None
        self._wake: asyncio.TimerHandle | None = None
        self._journal_notice: str | None = None
        self._following: Worker[None] | None = None
        #: The screen the tick draws on, held so that it is drawn even under a dialog.
        self.live = self.make_screen()

    def make_screen(self) -> LiveScreen:
        """The screen this app shows."""
        raise NotImplementedError

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notice goes to the live screen's cue line, as the warnings do; a toast only where it has none."""
        if not self.live.notice(message, title, severity, timeout):
            super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def get_default_screen(self) -> Screen[Any]:
        """The live screen is the app's first and lasting one."""
        return self.live

    def on_mount(self) -> None:
        """Draw at once, then wake only when something on screen will change."""
        for service in self.services:
            self.run_worker(service(), exit_on_error=False)
        watch = getattr(self.source, "watch", None)
        if watch is not None:  # the journal's writer says when a record is on disk, fails or stalls
            loop = asyncio.get_running_loop()

            def changed() -> None:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(self.journal_changed)

            watch(changed)
        if self.changes is not None:
            self._following = self.run_worker(self._follow(self.changes()), exclusive=True, exit_on_error=False)
        self.refresh_now()

    async def _follow(self, changes: AsyncIterator[None]) -> None:
        async for _ in changes:
            self.refresh_now()

    def journal_changed(self) -> None:
        """The writer says the journal's health changed: redraw only if the link the screen shows did.

        A record fsynced a moment after its key press changes nothing on
        screen: the command's own redraw showed it already. A record pending
        for long enough to show, a failure, a stall or a notice does change
        the link, and gets the full redraw.
        """
        try:
            if self.source.link() == self.live.link:
                return
        except Exception:  # refresh_now says what went wrong
            pass
        self.refresh_now()

    def refresh_now(self) -> None:
        """Poll the source, redraw, and schedule the next wake-up. Never raises."""
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        began = time.perf_counter()
        delay = 1.0
        try:
            events = self.source.poll()
            view = self.source.view()
            self.react(events, view)
            link = self.source.link()  # once a tick: a follower's may look at the lock file
            if link.notice is not None and link.notice != self._journal_notice:
                self._journal_notice = link.notice  # the journal file was deleted, replaced or cut short: say so
                self.notify(literal(link.notice), title="Journal", severity="warning", timeout=30, markup=False)
            self.live.show(view, link, muted=self.muted)
            self.tick_error = None
            # The timer counts from when it is set, after drawing: take the drawing off.
            delay = max(0.001, self.next_delay(view) - (time.perf_counter() - began))
        except Exception as error:  # an exception here would end the app mid-show
            self.tick_error = f"{type(error).__name__}: {error}"
            self.log.error("tick failed", error)
            try:
                self.live.tick_error = self.tick_error
            except Exception as again:
                self.log.error("cannot show the problem", again)
        # A bare loop timer: a Textual Timer is a task of its own, made anew each second.
        self._wake = asyncio.get_running_loop().call_later(delay, self.refresh_now)

    async def on_unmount(self) -> None:
        """No wake-up after the screen is gone; then the shutdown, while the event loop still runs."""
        if self._wake is not None:
            self._wake.cancel()
        if self.shutdown is not None:
            try:
                await self.shutdown()
            except Exception as error:  # quitting must not fail; the caller closes what is left
                self.log.error("shutdown failed", error)

    def next_delay(self, view: View) -> float:
        """Seconds until the next visible change: the countdown, the minute on the clocks, or the offset.

        While paused or in overtime the countdown may stand still, but how far
        behind the show is (and so its projected end) grows by the second.
        """
        minute = 60.0 - (view.now_us / 1e6) % 60.0
        soonest = min(seconds_to_next_change(view), minute)
        if view.started and not view.ended and (view.paused or view.remaining_s <= 0):
            soonest = min(soonest, until_whole(view.offset_s))
        soonest = min(soonest, until_flash_changes(view))
        return max(0.001, soonest + BOUNDARY_MARGIN_S)

    def react(self, events: Sequence[Event], view: View) -> None:
        """Ring once and toast for the newest warning among `events`.

        Only fresh ones: a follower catching up on an hour of journal must not
        ring for warnings that were given long ago.
        """
        warnings = [
            event.payload
            for event in events
            if isinstance(event.payload, Warning) and view.now_us - event.wall_us <= FRESH_WARNING_US
        ]
        if not warnings:
            return
        newest = warnings[-1]
        title = WARNING_TITLES.get(newest.level, f"Overtime +{newest.minute} min")
        severity: SeverityLevel = "warning" if newest.level in (WarningLevel.WRAP_UP, WarningLevel.FINAL) else "error"
        self.live.warn(title, severity, view.now_us)
        if not self.muted:
            self.bells += 1
            self.bell()

    def action_mute(self) -> None:
        """Turn the bell off or on (toasts still show)."""
        self.muted = not self.muted
        self.notify("Bell muted" if self.muted else "Bell on", timeout=2)
        self.refresh_now()  # the status line says so at once


class RunofshowApp(SessionApp):
    """The full screen: the moderator's when given `controls`, else a co-host's, with no control keys."""

    def __init__(
        self,
        source: SessionSource,
        controls: Controls | None = None,
        *,
        journal_label: str = "",
        notes: Iterable[str] = (),
        local_zone: str | None = None,
        serving: str | None = None,
        server: ServedBy | None = None,
        hub: MirroredTo | None = None,
        changes: Callable[[], AsyncIterator[None]] | None = None,
        services: Sequence[Callable[[], Awaitable[None]]] = (),
        shutdown: Callable[[], Awaitable[None]] | None = None,
        remote: RemoteCommands | None = None,
        remote_controls: RemoteControls | None = None,
        takeover: Takeover | None = None,
    ) -> None:
        self.controls = controls
        #: A room's co-host with its control token: the screen offers to take it over when its controller is silent.
        self.takeover = takeover
        #: A co-host's keys, sent to the moderator's server (`follow --control`).
        self.remote_controls = remote_controls
        #: Commands from outside (the server's channel publishes them), answered once on disk.
        self.remote = remote
        self.journal_label = journal_label
        self.notes = list(notes)
        #: The follow command to show while serving the journal to co-hosts.
        self.serving = serving
        #: The server process that serves the session to others: its health is on the status line.
        self.server = server
        #: The hub the journal is copied to: its state is on the status line.
        self.hub = hub
        self.local_zone: pendulum.Timezone | pendulum.FixedTimezone = (
            zone(local_zone) if local_zone else get_local_timezone()
        )
        super().__init__(source, changes=changes, services=services, shutdown=shutdown)

    def make_screen(self) -> SessionScreen:
        """The moderator's screen with controls, the co-host's without (or with the keys sent to the moderator,
        or with the key that takes a silent room over)."""
        if self.controls is None and self.takeover is not None:
            return RoomFollowScreen(
                self.source, self.takeover, journal_label=self.journal_label, local_zone=self.local_zone
            )
        if self.remote_controls is not None:
            return CohostControlScreen(
                self.source,
                self.remote_controls,
                refresh=self.refresh_now,
                journal_label=self.journal_label,
                local_zone=self.local_zone,
            )
        if self.controls is None:
            return FollowScreen(self.source, journal_label=self.journal_label, local_zone=self.local_zone)
        return ModeratorScreen(
            self.source,
            self.controls,
            refresh=self.refresh_now,
            journal_label=self.journal_label,
            local_zone=self.local_zone,
            serving=self.serving,
            server=self.server,
            hub=self.hub,
        )

    def become_controller(self, handover: Handover) -> None:
        """This terminal took the room over: stop following, and show the moderator's screen on its journal."""
        if self._following is not None:
            self._following.cancel()
            self._following = None
        self.changes = None
        self.takeover = None
        self.remote_controls = None
        self.source, self.controls = handover.source, handover.controls
        self.journal_label = handover.journal_label
        self.hub = getattr(handover, "hub", None)  # the mirror now copying this journal to the room
        self.remote = getattr(handover, "remote", None)  # the room's control API, through the hub
        self.live = self.make_screen()
        self._take_remote(self.live)
        loop = asyncio.get_running_loop()

        def changed() -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(self.journal_changed)

        watch = getattr(self.source, "watch", None)
        if watch is not None:
            watch(changed)
        if self.hub is not None:

            def hub_changed() -> None:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(self.refresh_now)

            self.hub.watch(hub_changed)
        while len(self.screen_stack) > 1:  # a dialog left open over the follow screen
            self.pop_screen()
        # Over the follow screen, which no tick draws on any more: the app's first screen is not switched out.
        self.push_screen(self.live)
        self.notify(f"You control this session now ({handover.journal_label})", timeout=10, markup=False)
        self.refresh_now()

    def become_follower(
        self, source: SessionSource, changes: Callable[[], AsyncIterator[None]] | None, why: str
    ) -> None:
        """This terminal no longer controls the session (another took it over): follow it, saying `why` on the banner.

        No key that changes the session is left; the journal's writer is no
        longer watched (its controller is closed by whoever calls this).
        """
        self.source, self.controls = source, None
        self.takeover = None
        self.remote_controls = None
        self.server = None
        self.hub = None
        self.live = FollowScreen(source, journal_label=self.journal_label, local_zone=self.local_zone, reason=why)
        while len(self.screen_stack) > 1:  # a dialog left open over the moderator's screen
            self.pop_screen()
        self.push_screen(self.live)
        self.changes = changes
        if changes is not None:
            self._following = self.run_worker(self._follow(changes()), exclusive=True, exit_on_error=False)
        self.notify(why, title="Taken over", severity="warning", timeout=30, markup=False)
        self.refresh_now()

    @property
    def last_cue(self) -> str | None:
        """The cue on screen now (the one c copies)."""
        screen = self.live
        return screen.last_cue if isinstance(screen, SessionScreen) else None

    def _take_remote(self, screen: Screen[Any] | None) -> None:
        """Commands from outside: published on the bus by the server's channel (its reading thread) or the hub
        mirror (its loop); carried out here, in this loop, as a key is (ModeratorScreen.remote); answered once
        on disk."""
        if self.remote is not None and isinstance(screen, ModeratorScreen):
            screen.answers = self.remote
            # A callback scheduled from another thread runs in that thread's context, where Textual finds no
            # active app; run each in this App's, as a key's handler is.
            context = contextvars.copy_context()
            carry_out = screen.remote
            self.remote.listen(lambda inbound: context.run(carry_out, inbound), asyncio.get_running_loop())

    def on_mount(self) -> None:
        """Say what the moderator must know once, then start ticking."""
        if self.notes:  # one notice: the cue line shows one at a time
            self.notify(literal(" · ".join(self.notes)), timeout=10, markup=False)
        if self.server is not None:  # its watch thread says when it dies or comes back
            loop = asyncio.get_running_loop()

            def changed() -> None:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(self.refresh_now)

            self.server.watch(changed)
        self._take_remote(self.live)
        if self.hub is not None:  # the mirror's thread says when the hub's copy changes state
            hub_loop = asyncio.get_running_loop()

            def hub_changed() -> None:
                if not hub_loop.is_closed():
                    hub_loop.call_soon_threadsafe(self.refresh_now)

            self.hub.watch(hub_changed)
        super().on_mount()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every key is also a command in the palette (ctrl+p)."""
        for _, shown, action, _, title in self.live.KEYS:
            yield SystemCommand(title, f"key: {shown}", partial(self.run_action, action, self.live))
        yield from super().get_system_commands(screen)


class StageApp(SessionApp):
    """For sharing in the meeting: the big countdown in its warning colour, the title and the speaker."""

    def make_screen(self) -> StageScreen:
        """The stage view."""
        return StageScreen(self.source)

    def react(self, events: Sequence[Event], view: View) -> None:
        """The stage is seen by the audience: colours only, no toasts or bells."""


def journal_label(path: Path) -> str:
    """A journal path as a person would type it: under ~ when it is."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home()))
    except (ValueError, RuntimeError, OSError):  # not under ~, or a symlink loop: as given
        return str(path)
