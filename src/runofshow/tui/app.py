"""The live screen, for the moderator (`run`) and, read-only, for a co-host (`follow`).

One authoritative tick lives on the App. It is not a fixed interval: each
redraw is scheduled for the instant the big number next changes, computed
from the clock, so the display is true to within the event loop's latency and
the app sleeps in between.
"""

from __future__ import annotations

import math
from functools import partial
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import pendulum
from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from runofshow.core.agenda import Agenda
from runofshow.core.cues import cue_for
from runofshow.core.engine import CommandError, Event, View
from runofshow.core.text import literal
from runofshow.tui.screens import ConfirmScreen, GotoScreen, HelpScreen
from runofshow.tui.widgets import (
    AgendaTable,
    Countdown,
    KeyBar,
    ProgressLine,
    SegmentCard,
    StatusBar,
    WorldClock,
    seconds_to_next_change,
)

#: Wake this long after a computed boundary, so the clock reads past it.
BOUNDARY_MARGIN_S = 0.003
#: Width from which the agenda goes beside the countdown instead of below it.
WIDE = 150


class SessionSource(Protocol):
    """What the screen needs from a session: a controller, or a follower of one."""

    agenda: Agenda
    read_only: bool

    def view(self) -> View:
        """The state now."""
        ...

    def poll(self) -> Sequence[Event]:
        """Bring the state up to date; return the events this added."""
        ...

    @property
    def journal_error(self) -> str | None:
        """Why the journal is not healthy, or None."""
        ...


CONTROL_ACTIONS = frozenset({"toggle", "next", "previous", "extend", "skip", "goto", "end", "copy_cue"})


class RunofshowApp(App[None]):
    """The moderator's screen: big countdown, who is on, the agenda, and where the show stands."""

    CSS_PATH = "runofshow.tcss"
    TITLE = "runofshow"
    #: (keys, as shown, action, short description, palette title). The one list of keys:
    #: bindings, the key bar and the command palette are all made from it.
    KEYS = (
        ("space", "space", "toggle", "start/pause", "Start / pause / resume"),
        ("n,right", "n →", "next", "next", "Next segment"),
        ("p,left", "p ←", "previous", "back", "Previous segment (right after a next: undo it)"),
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
        banner: str | None = None,
        local_zone: str | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.journal_label = journal_label
        self.notes = list(notes)
        self.extra_banner = banner
        self.muted = False
        self.bells = 0
        self.last_cue: str | None = None
        self.tick_error: str | None = None
        self._timer: Timer | None = None
        self._view: View | None = None
        self._zone = source.agenda.session.timezone
        self._local_zone = pendulum.timezone(local_zone) if local_zone else pendulum.local_timezone()

    # -- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        session = self.source.agenda.session
        top = Text(literal(session.title), style="bold")
        if self.source.read_only:
            top = Text("FOLLOWING  ", style="bold reverse") + top
        yield Static(top, id="top")
        with Horizontal(id="body"):
            with Vertical(id="show"):
                with Horizontal(id="now"):
                    yield Countdown(id="countdown")
                    yield SegmentCard(id="card")
                yield ProgressLine(id="progress")
                yield Static("", id="cue")
                yield WorldClock(id="world")
            yield AgendaTable(id="agenda")
        yield Static("", id="banner")
        yield StatusBar(id="status")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        """Draw at once, then wake only when something on screen will change."""
        for note in self.notes:
            self.notify(literal(note), timeout=10)
        self._apply_size()
        keys = [(shown, short) for _, shown, action, short, _ in self.KEYS if self._allowed(action)]
        self.query_one(KeyBar).show([*keys, ("ctrl+p", "commands")])
        self.refresh_now()

    def on_resize(self) -> None:
        """Switch between the stacked and the side-by-side layout."""
        self._apply_size()
        if self._view is not None:
            self._draw(self._view)

    def _apply_size(self) -> None:
        width = self.size.width
        wide = width >= WIDE
        self.screen.set_class(wide, "-wide")
        table = self.query_one(AgendaTable)
        table.set_title_width(width // 2 - 2 if wide else width - 2)

    # -- the tick ----------------------------------------------------------------

    def refresh_now(self) -> None:
        """Poll the source, redraw, and schedule the next wake-up. Never raises."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        delay = 1.0
        try:
            events = self.source.poll()
            view = self.source.view()
            self._react(events, view)
            self._draw(view)
            self.tick_error = None
            delay = self._next_delay(view)
        except Exception as error:  # an exception here would end the app mid-show
            self.tick_error = f"{type(error).__name__}: {error}"
            self.log.error("tick failed", error)
            self._show_banner()
        self._timer = self.set_timer(delay, self.refresh_now)

    def _next_delay(self, view: View) -> float:
        """Seconds until the next visible change: the countdown, or the minute on the clocks."""
        minute = 60.0 - (view.now_us / 1e6) % 60.0
        delay = min(seconds_to_next_change(view), minute, self.extra_wakeup(view))
        return max(0.001, delay + BOUNDARY_MARGIN_S)

    def extra_wakeup(self, view: View) -> float:
        """Another reason to wake (the follower's 'last record N s ago'); none here."""
        return math.inf

    def _react(self, events: Sequence[Event], view: View) -> None:
        """Ring once and toast for the newest warning among `events`."""
        warnings = [event for event in events if event.type == "warning"]
        if not warnings:
            return
        newest = warnings[-1]
        cue = cue_for(view)
        level = newest.data.get("level")
        title = {"wrap_up": "Wrap up", "final": "Final minute", "time_up": "Time's up"}.get(
            str(level), f"Overtime +{newest.data.get('minute')} min"
        )
        severity = "warning" if level in ("wrap_up", "final") else "error"
        self.notify(literal(cue or title), title=title, severity=severity, timeout=8, markup=False)
        if not self.muted:
            self.bells += 1
            self.bell()

    def _draw(self, view: View) -> None:
        self._view = view
        self.query_one(Countdown).show(view, flash=int(-view.remaining_s) % 2 == 0)
        self.query_one(SegmentCard).show(view)
        self.query_one(ProgressLine).show(view)
        cue = cue_for(view)
        self.last_cue = cue
        cue_widget = self.query_one("#cue", Static)
        if cue:
            text = Text("Cue: ", style="bold") + Text(literal(cue))
            if not self.source.read_only:
                text.append("   (c copies it)", style="dim")
            cue_widget.update(text)
        else:
            cue_widget.update("")
        self.query_one(AgendaTable).show(view, self._zone)
        if self.screen.has_class("-wide"):
            session = self.source.agenda.session
            self.query_one(WorldClock).show(view, self._zone, session.host, session.host_timezone)
        self.query_one(StatusBar).show(
            view,
            self._zone,
            self.source.agenda.session.also_show,
            self.journal_label,
            self.source.journal_error,
            self._local_zone,
        )
        self._show_banner()

    def _show_banner(self) -> None:
        banner = self.query_one("#banner", Static)
        problem = self.source.journal_error
        if problem:
            message = f"JOURNAL WRITE FAILING: {problem}. Timing goes on in memory; records are written once the disk works."
        elif self.tick_error:
            message = f"Display error: {self.tick_error}"
        else:
            message = self.extra_banner or ""
        banner.update(Text(literal(message)))
        banner.set_class(bool(message), "-visible")

    # -- commands ------------------------------------------------------------------

    def _allowed(self, action: str) -> bool:
        return not (self.source.read_only and action.split("(")[0] in CONTROL_ACTIONS)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A follower has no control keys at all."""
        return self._allowed(action)

    def _command(self, name: str, **args: Any) -> None:
        command = getattr(self.source, "command", None)
        if command is None:
            return
        try:
            ack = command(name, **args)
        except CommandError as error:
            self.notify(str(error), severity="warning", timeout=4)
            return
        self.refresh_now()
        if not ack.durable:
            self.notify("Not on disk yet: the journal is failing (see the red banner)", severity="error", timeout=6)

    def action_toggle(self) -> None:
        """Space: start the session, or pause / resume it."""
        view = self.source.view()
        if not view.started:
            self._command("start")
        elif view.paused:
            self._command("resume")
        elif not view.ended:
            self._command("pause")

    def action_next(self) -> None:
        """Finish this segment and start the next."""
        self._command("next")

    def action_previous(self) -> None:
        """Back one segment (an undo right after a next)."""
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
            self.notify("The session has not started" if not view.started else "The session has already ended", timeout=3)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._command("end")

        self.push_screen(ConfirmScreen("End the session now?", "The journal is closed for good; a report can be made from it."), answered)

    def action_mute(self) -> None:
        """Turn the bell off or on (toasts still show)."""
        self.muted = not self.muted
        self.notify("Bell muted" if self.muted else "Bell on", timeout=2)

    def action_copy_cue(self) -> None:
        """Copy the speaker's cue to the clipboard, and show it, since some terminals ignore OSC 52."""
        cue = self.last_cue
        if not cue:
            self.notify("No cue now: one appears at wrap-up time", timeout=3)
            return
        self.copy_to_clipboard(cue)
        self.notify(literal(cue), title="Copied to the clipboard", timeout=6, markup=False)

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
            ConfirmScreen("Quit runofshow?", "The session keeps running in the journal; run the same command to resume it."),
            answered,
        )

    def action_help(self) -> None:
        """Show every key."""
        self.push_screen(HelpScreen(self.journal_label))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every key is also a command in the palette (ctrl+p)."""
        for _, shown, action, _, title in self.KEYS:
            if self._allowed(action):
                yield SystemCommand(title, f"key: {shown}", partial(self.run_action, action))
        yield from super().get_system_commands(screen)

    # -- helpers for followers ------------------------------------------------------

    async def watch_source(self, changes: AsyncIterator[None]) -> None:
        """Redraw whenever a follower's source says new records arrived."""
        async for _ in changes:
            self.refresh_now()


def journal_label(path: Path) -> str:
    """A journal path as a person would type it: under ~ when it is."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home()))
    except ValueError:
        return str(path)
