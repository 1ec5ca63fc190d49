"""The live screens: the moderator's (`run`), the co-host's (`follow`) and the stage view.

One authoritative tick lives on the App. It is not a fixed interval: each
redraw is scheduled for the instant the big number next changes, computed
from the clock, so the display is true to within the event loop's latency and
the app sleeps in between.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import pendulum
from pendulum.tz.local_timezone import get_local_timezone
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Static

from runofshow.core.agenda import Agenda, zone
from runofshow.core.cues import cue_for
from runofshow.core.decide import CommandError
from runofshow.core.display import seconds_to_next_change
from runofshow.core.events import Event, Level
from runofshow.core.text import literal
from runofshow.core.timefmt import format_duration
from runofshow.core.view import View
from runofshow.tui.screens import ConfirmScreen, GotoScreen, HelpScreen
from runofshow.tui.widgets import (
    AgendaTable,
    BigClock,
    Countdown,
    KeyBar,
    ProgressLine,
    SegmentCard,
    StatusBar,
    WorldClock,
    set_text,
    unchanged,
)

#: Wake this long after a computed boundary, so the clock reads past it.
BOUNDARY_MARGIN_S = 0.003
#: Width from which the agenda goes beside the countdown instead of below it.
WIDE = 150
#: A live start earlier than this before the plan asks first (a key pressed by mistake).
EARLY_START_S = 60.0
#: A warning recorded longer ago than this is history, not news: no bell, no toast.
FRESH_WARNING_US = 10_000_000
_WARNING_TITLES: dict[str, str] = {Level.WRAP_UP: "Wrap up", Level.FINAL: "Final minute", Level.TIME_UP: "Time's up"}


class SessionSource(Protocol):
    """What a screen needs from a session: a controller, or a follower of one."""

    read_only: bool

    @property
    def agenda(self) -> Agenda:
        """The session's agenda."""
        ...

    def view(self) -> View:
        """The state now."""
        ...

    def poll(self) -> Sequence[Event]:
        """Bring the state up to date; return the events this added."""
        ...

    @property
    def journal_error(self) -> str | None:
        """Why the journal is not being written, or None."""
        ...


class SessionApp(App[None]):
    """What every live screen shares: the clock-driven tick, warnings, and a total tick handler."""

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

    def on_mount(self) -> None:
        """Draw at once, then wake only when something on screen will change."""
        for service in self.services:
            self.run_worker(service(), exit_on_error=False)
        if self.changes is not None:
            self.run_worker(self._follow(self.changes()), exclusive=True, exit_on_error=False)
        self.refresh_now()

    async def _follow(self, changes: AsyncIterator[None]) -> None:
        async for _ in changes:
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
            self.draw(view)
            self.tick_error = None
            # The timer counts from when it is set, after drawing: take the drawing off.
            delay = max(0.001, self.next_delay(view) - (time.perf_counter() - began))
        except Exception as error:  # an exception here would end the app mid-show
            self.tick_error = f"{type(error).__name__}: {error}"
            self.log.error("tick failed", error)
            try:
                self.show_problem()
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
        """Seconds until the next visible change: the countdown, or the minute on the clocks."""
        minute = 60.0 - (view.now_us / 1e6) % 60.0
        return max(0.001, min(seconds_to_next_change(view), minute) + BOUNDARY_MARGIN_S)

    def react(self, events: Sequence[Event], view: View) -> None:
        """Ring once and toast for the newest warning among `events`.

        Only fresh ones: a follower catching up on an hour of journal must not
        ring for warnings that were given long ago.
        """
        warnings = [
            event for event in events if event.type == "warning" and view.now_us - event.wall_us <= FRESH_WARNING_US
        ]
        if not warnings:
            return
        newest = warnings[-1]
        level = newest.data.get("level")
        title = _WARNING_TITLES.get(str(level), f"Overtime +{newest.data.get('minute')} min")
        severity: SeverityLevel = "warning" if level in (Level.WRAP_UP, Level.FINAL) else "error"
        self.notify(literal(cue_for(view) or title), title=title, severity=severity, timeout=8, markup=False)
        if not self.muted:
            self.bells += 1
            self.bell()

    def draw(self, view: View) -> None:
        """Show `view`; each screen draws its own widgets."""
        raise NotImplementedError

    def show_problem(self) -> None:
        """Make a failure visible; the full screen has a banner for it."""

    def action_mute(self) -> None:
        """Turn the bell off or on (toasts still show)."""
        self.muted = not self.muted
        self.notify("Bell muted" if self.muted else "Bell on", timeout=2)
        self.refresh_now()  # the status line says so at once


CONTROL_ACTIONS = frozenset({"start_pause", "next", "previous", "extend", "skip", "goto", "end", "copy_cue"})


class RunofshowApp(SessionApp):
    """The full screen: big countdown, who is on, the agenda, and where the show stands."""

    #: (keys, as shown, action, short description, palette title). The one list of keys:
    #: bindings, the key bar and the command palette are all made from it.
    KEYS = (
        ("space", "space", "start_pause", "start/pause", "Start / pause / resume"),
        ("n,right", "n →", "next", "next", "Next segment"),
        ("p,left", "p ←", "previous", "back", "Previous segment (undoes the n that led here)"),
        ("plus,equals_sign", "+", "extend(60)", "more time", "Give the segment 1 minute more"),
        ("minus,underscore", "−", "extend(-60)", "less time", "Give the segment 1 minute less"),
        ("s", "s", "skip", "skip", "Skip: cut this segment, start the next"),
        ("g", "g", "goto", "go to", "Go to a segment"),
        ("e", "e", "end", "end", "End the session"),
        ("m", "m", "mute", "mute", "Mute / unmute the bell"),
        ("c", "c", "copy_cue", "copy cue", "Copy the speaker's cue"),
        ("q", "q", "quit_session", "quit", "Quit (the session goes on)"),
        ("question_mark", "?", "help", "help", "Help: every key"),
    )
    BINDINGS = [Binding(keys, action, short, key_display=shown) for keys, shown, action, short, _ in KEYS]

    def __init__(
        self,
        source: SessionSource,
        *,
        journal_label: str = "",
        notes: Iterable[str] = (),
        local_zone: str | None = None,
        serving: str | None = None,
        changes: Callable[[], AsyncIterator[None]] | None = None,
        services: Sequence[Callable[[], Awaitable[None]]] = (),
        shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(source, changes=changes, services=services, shutdown=shutdown)
        self.journal_label = journal_label
        self.notes = list(notes)
        #: The follow command to show while serving the journal to co-hosts.
        self.serving = serving
        self.last_cue: str | None = None
        self._view: View | None = None
        self._link_now: tuple[bool, str] | None = None
        self._local_zone: pendulum.Timezone | pendulum.FixedTimezone = (
            zone(local_zone) if local_zone else get_local_timezone()
        )

    # -- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="top")
        with Horizontal(id="body"):
            with Vertical(id="show"):
                with Horizontal(id="now"):
                    yield Countdown(id="countdown")
                    yield SegmentCard(id="card")
                yield ProgressLine(id="progress")
                yield Static("", id="cue")
                yield BigClock(id="wide-clock")
                yield WorldClock(id="world")
            yield AgendaTable(id="agenda")
        yield Static("", id="banner")
        yield StatusBar(id="status")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Say what the moderator must know once, lay out, then start ticking."""
        # Held, not queried each tick: while a dialog is open, queries go to the dialog's screen.
        self.top = self.query_one("#top", Static)
        self.countdown = self.query_one(Countdown)
        self.card = self.query_one(SegmentCard)
        self.progress = self.query_one(ProgressLine)
        self.cue = self.query_one("#cue", Static)
        self.world = self.query_one(WorldClock)
        self.wide_clock = self.query_one("#wide-clock", BigClock)
        self.keys = self.query_one(KeyBar)
        self.agenda_table = self.query_one(AgendaTable)
        self.status = self.query_one(StatusBar)
        self.banner = self.query_one("#banner", Static)
        for note in self.notes:
            self.notify(literal(note), timeout=10, markup=False)
        self._apply_size()
        super().on_mount()

    def on_resize(self, event: events.Resize) -> None:
        """Switch between the stacked and the side-by-side layout."""
        if self._view is None:
            return  # not drawn yet: on_mount lays out first
        self._apply_size(event.size.width)  # self.size is still the old one here
        self.draw(self._view)

    def _apply_size(self, width: int | None = None) -> None:
        width = self.size.width if width is None else width
        wide = width >= WIDE
        self.top.screen.set_class(wide, "-wide")
        self.agenda_table.set_title_width(width // 2 - 2 if wide else width - 2)

    # -- drawing -------------------------------------------------------------------

    def draw(self, view: View) -> None:
        """Every widget from one view."""
        self._view = view
        session = self.source.agenda.session
        owner = getattr(getattr(self.source, "header", None), "owner", "") if self.source.read_only else None
        if not unchanged(self.top, (session.title, owner)):
            top = Text(literal(session.title), style="bold")
            if owner is not None:
                top = Text("FOLLOWING ", style="bold reverse") + Text(f" {owner} · ", style="bold") + top
            set_text(self.top, top, layout=False)
        self.countdown.show(view, flash=int(-view.remaining_s) % 2 == 0)
        self.card.show(view)
        self.progress.show(view)
        cue = cue_for(view)
        self.last_cue = cue
        if not unchanged(self.cue, cue):
            text = Text("")
            if cue:
                text = Text("Cue: ", style="bold") + Text(literal(cue))
                if not self.source.read_only:
                    text.append("   (c copies it)", style="dim")
            set_text(self.cue, text)
        self.agenda_table.show(view, session.timezone)
        if self.top.screen.has_class("-wide"):
            self.wide_clock.show(view, flash=int(-view.remaining_s) % 2 == 0)
            self.world.show(view, session.timezone, session.host, session.host_timezone)
        if not unchanged(self.keys, (view.ended, self.muted)):
            # Once the session has ended, only the keys that still do something are listed.
            keys = [(shown, short) for _, shown, action, short, _ in self.KEYS if self._listed(action, view)]
            keys = [(shown, "unmute" if short == "mute" and self.muted else short) for shown, short in keys]
            self.keys.show([*keys, ("ctrl+p", "commands")])
        self._link_now = self._link(view)  # once a tick: a follower's may look at the lock file
        self.status.show(
            view, session.timezone, session.also_show, self._link_now, self._local_zone, self.serving, self.muted
        )
        self.show_problem()

    def _link(self, view: View) -> tuple[bool, str]:
        describe = getattr(self.source, "describe_link", None)
        if describe is not None:
            healthy, text = describe(view)
            return bool(healthy), str(text)
        problem = self.source.journal_error
        if problem:
            return False, f"JOURNAL FAILING: {problem}"
        return True, f"journal ✓ {Path(self.journal_label).name}"

    def show_problem(self) -> None:
        """The red banner: a failing journal, a lost link, or a display error."""
        banner = self.banner
        problem = self.source.journal_error
        follower_problem = getattr(self.source, "problem", None)
        if follower_problem is None and self.source.read_only and self._link_now is not None:
            # A co-host must see that the moderator is gone, whatever the width of the status line.
            healthy, text = self._link_now
            follower_problem = None if healthy else text
        if problem:
            message = (
                f"JOURNAL WRITE FAILING: {problem}. Timing goes on in memory; records are written once the disk works."
            )
        elif follower_problem:
            message = str(follower_problem)
        elif self.tick_error:
            message = f"Display error: {self.tick_error}"
        else:
            message = ""
        set_text(banner, Text(literal(message)))
        banner.set_class(bool(message), "-visible")

    # -- commands ------------------------------------------------------------------

    def _allowed(self, action: str) -> bool:
        return not (self.source.read_only and action.split("(")[0] in CONTROL_ACTIONS)

    def _listed(self, action: str, view: View) -> bool:
        """Shown in the key bar: allowed, and not a control once the session has ended."""
        return self._allowed(action) and not (view.ended and action.split("(")[0] in CONTROL_ACTIONS)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A follower has no control keys at all."""
        return self._allowed(action)

    def _command(self, name: str, **args: Any) -> None:
        command = getattr(self.source, "command", None)
        if command is None or self.source.read_only:
            return
        try:
            ack = command(name, **args)
        except CommandError as error:
            self.notify(str(error), severity="warning", timeout=4)
            return
        self.refresh_now()
        if not ack.durable:
            self.notify("Not on disk yet: the journal is failing (see the red banner)", severity="error", timeout=6)

    def action_start_pause(self) -> None:
        """Space: start the session, or pause / resume it."""
        view = self.source.view()
        if view.ended:
            self.notify("The session has ended: q quits, and 'runofshow report' reviews it", timeout=4)
        elif not view.started:
            early = view.starts_in_s or 0.0
            if early < EARLY_START_S:
                self._command("start")
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self._command("start")

            self.push_screen(
                ConfirmScreen(
                    f"Start now, {format_duration(early)} before the planned start?",
                    "The plan keeps its clock times, so the show will count as ahead.",
                ),
                answered,
            )
        elif view.paused:
            self._command("resume")
        else:
            self._command("pause")

    def action_next(self) -> None:
        """Finish this segment and start the next."""
        self._command("next")

    def action_previous(self) -> None:
        """Back one segment (an undo of the n that led here)."""
        self._command("previous")

    def action_extend(self, seconds: int) -> None:
        """Give the current segment more (or less) time."""
        self._command("extend", seconds=seconds)

    def action_skip(self) -> None:
        """Cut this segment and start the next."""
        self._command("skip")

    def action_goto(self) -> None:
        """Pick any segment to jump to."""

        def chosen(number: int | None) -> None:
            if number:
                self._command("goto", to=number)

        self.push_screen(GotoScreen(self.source.agenda, self.source.view().current), chosen)

    def action_end(self) -> None:
        """End the session, after asking."""
        view = self.source.view()
        if not view.started or view.ended:
            self.notify(
                "The session has not started" if not view.started else "The session has already ended", timeout=3
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._command("end")

        self.push_screen(
            ConfirmScreen("End the session now?", "The journal is closed for good; a report can be made from it."),
            answered,
        )

    def action_copy_cue(self) -> None:
        """Copy the speaker's cue to the clipboard, and show it, since some terminals ignore OSC 52."""
        cue = self.last_cue
        if not cue:
            self.notify("No cue now: one appears at wrap-up time", timeout=3)
            return
        self.copy_to_clipboard(cue)
        self.notify(literal(cue), title="Sent to the clipboard (if your terminal allows it)", timeout=8, markup=False)

    def action_quit_session(self) -> None:
        """Quit; while the show runs, ask first. The session is not ended."""
        view = self.source.view()
        if self.source.read_only or not view.started or view.ended:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            ConfirmScreen(
                "Quit runofshow?", "The session keeps running in the journal; run the same command to resume it."
            ),
            answered,
        )

    def action_help(self) -> None:
        """Show every key."""
        self.push_screen(HelpScreen(self.journal_label, read_only=self.source.read_only))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every key is also a command in the palette (ctrl+p)."""
        for _, shown, action, _, title in self.KEYS:
            if self._allowed(action):
                yield SystemCommand(title, f"key: {shown}", partial(self.run_action, action))
        yield from super().get_system_commands(screen)


class StageApp(SessionApp):
    """For sharing in the meeting: the big countdown in its warning colour, the title and the speaker."""

    BINDINGS = [Binding("q", "quit", "Quit", show=False), Binding("m", "mute", "Mute", show=False)]

    def compose(self) -> ComposeResult:
        yield BigClock(id="stage-clock")
        yield Static("", id="stage-title")
        yield Static("", id="stage-speaker")
        yield Static("", id="stage-note")

    def draw(self, view: View) -> None:
        """The countdown, the title and the speaker; below them, only what the audience must know."""
        self.query_one(BigClock).show(view, flash=int(-view.remaining_s) % 2 == 0)
        segment = view.focus.segment
        title = "The session has ended" if view.ended else literal(segment.title)
        set_text(self.query_one("#stage-title", Static), Text(title, style="bold"))
        set_text(self.query_one("#stage-speaker", Static), Text("" if view.ended else literal(segment.speaker or "")))
        note = "paused" if view.paused else ""
        describe = getattr(self.source, "describe_link", None)
        if describe is not None and not view.ended:
            healthy, text = describe(view)
            note = note if healthy else str(text)
        set_text(self.query_one("#stage-note", Static), Text(literal(note), style="dim"))

    def react(self, events: Sequence[Event], view: View) -> None:
        """The stage is seen by the audience: colours only, no toasts or bells."""


def journal_label(path: Path) -> str:
    """A journal path as a person would type it: under ~ when it is."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home()))
    except ValueError:
        return str(path)
