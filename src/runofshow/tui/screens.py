"""The live screens: the moderator's, the co-host's and the stage view. Each owns its layout.

A screen holds the latest View and Link in reactives. When either changes it
makes each widget's small model from them and hands it over; the widgets
redraw only when their model differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pendulum
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import var
from textual.screen import Screen

from runofshow.core.cues import cue_for
from runofshow.core.decide import CommandError
from runofshow.core.link import Link
from runofshow.core.text import literal
from runofshow.core.timefmt import format_duration
from runofshow.core.view import View
from runofshow.tui.dialogs import ConfirmScreen, GotoScreen, HelpScreen
from runofshow.tui.models import (
    CueModel,
    WorldModel,
    agenda_model,
    bar_model,
    card_model,
    clock_model,
    countdown_model,
    minute_of,
    next_model,
    people_by_zone,
    status_model,
)
from runofshow.tui.source import Controls, SessionSource
from runofshow.tui.widgets import (
    AgendaTable,
    BigClock,
    Column,
    Countdown,
    CueLine,
    KeyBar,
    Line,
    ProgressLine,
    Row,
    SegmentCard,
    StatusBar,
    TopBar,
    WorldClock,
)
from runofshow.tui.words import banner_text, describe_link

#: Width from which the agenda goes beside the countdown instead of below it.
WIDE = 150
#: A live start earlier than this before the plan asks first (a key pressed by mistake).
EARLY_START_S = 60.0

#: (keys, as shown, action, short description, palette title).
Key = tuple[str, str, str, str, str]
CONTROL_ACTIONS = frozenset({"start_pause", "next", "previous", "extend", "skip", "goto", "end", "copy_cue"})
MUTE: Key = ("m", "m", "app.mute", "mute", "Mute / unmute the bell")
QUIT: Key = ("q", "q", "quit_session", "quit", "Quit (the session goes on)")
HELP: Key = ("question_mark", "?", "help", "help", "Help: every key")


def bindings(keys: tuple[Key, ...]) -> list[BindingType]:
    """The bindings for `keys`: the one list that the key bar and the palette also read."""
    return [Binding(names, action, short, key_display=shown) for names, shown, action, short, _ in keys]


class LiveScreen(Screen[None]):
    """What every live screen shares: the state it shows, in reactives the App sets each tick."""

    BLANK = True

    #: The keys this screen answers to, in the order the key bar lists them.
    KEYS: ClassVar[tuple[Key, ...]] = ()

    #: The session now; a new one redraws what changed.
    view: var[View | None] = var(None, init=False)
    #: The journal as seen from here.
    link: var[Link | None] = var(None, init=False)
    #: Whether the bell is off.
    muted: var[bool] = var(False, init=False)
    #: Why the last tick failed, or None.
    tick_error: var[str | None] = var(None, init=False)

    def __init__(self, source: SessionSource) -> None:
        super().__init__()
        self.source = source
        #: Whether the widgets are there to be drawn on (the App may tick before the screen is mounted).
        self.ready = False

    def on_mount(self) -> None:
        """Draw what the App has given so far."""
        self.ready = True
        self.draw()

    def watch_view(self) -> None:
        """Redraw from the new view."""
        self.draw()

    def watch_link(self) -> None:
        """Redraw what the link shows."""
        self.draw()

    def watch_muted(self) -> None:
        """The key bar and the status line say so."""
        self.draw()

    def watch_tick_error(self) -> None:
        """Show the failure, or stop showing it."""
        self.draw()

    def draw(self) -> None:
        """Give every widget its model for the current view."""


class SessionScreen(LiveScreen):
    """The full screen: big countdown, who is on, the agenda, and where the show stands.

    The moderator's screen and the co-host's share this layout; they differ in
    their keys and in what the title and the banner say.
    """

    #: Whether this is someone else's session (the title says whose).
    FOLLOWING: ClassVar[bool] = False

    def __init__(
        self,
        source: SessionSource,
        *,
        journal_label: str = "",
        local_zone: pendulum.Timezone | pendulum.FixedTimezone,
        serving: str | None = None,
    ) -> None:
        super().__init__(source)
        self.journal_label = journal_label
        self.local_zone = local_zone
        #: The follow command to show while serving the journal to co-hosts.
        self.serving = serving
        #: The cue on screen now, for c.
        self.last_cue: str | None = None
        self._people: tuple[tuple[str, tuple[str, ...]], ...] | None = None

    def compose(self) -> ComposeResult:
        self.top = TopBar(id="top")
        self.countdown = Countdown(id="countdown")
        self.card = SegmentCard(id="card")
        self.progress = ProgressLine(id="progress")
        self.cue = CueLine(id="cue")
        self.wide_clock = BigClock(id="wide-clock")
        self.world = WorldClock(id="world")
        self.agenda_table = AgendaTable(id="agenda")
        self.banner = Line(id="banner")
        self.status = StatusBar(id="status")
        self.keys = KeyBar(id="keys")
        yield self.top
        with Row(id="body"):
            with Column(id="show"):
                with Horizontal(id="now"):
                    yield self.countdown
                    yield self.card
                yield self.progress
                yield self.cue
                yield self.wide_clock
                yield self.world
            yield self.agenda_table
        yield self.banner
        yield self.status
        yield self.keys

    def on_mount(self) -> None:
        """Lay out for the terminal's width before the first draw."""
        self._apply_size(self.app.size.width)
        super().on_mount()

    def on_resize(self, event: events.Resize) -> None:
        """Switch between the stacked and the side-by-side layout."""
        self._apply_size(event.size.width)  # self.size is still the old one here
        self.draw()

    def _apply_size(self, width: int) -> None:
        wide = width >= WIDE
        self.set_class(wide, "-wide")
        self.agenda_table.set_title_width(width // 2 - 2 if wide else width - 2)

    def draw(self) -> None:
        """Every widget from one view."""
        view, link = self.view, self.link
        if view is None or link is None or not self.ready:
            return
        session = self.source.agenda.session
        zone = session.timezone
        self.top.model = (session.title, self.source.header.owner if self.FOLLOWING else None)
        self.countdown.model = countdown_model(view)
        self.card.model = card_model(view)
        self.progress.model = (bar_model(view), next_model(view))
        self.last_cue = cue_for(view)
        self.cue.model = CueModel(self.last_cue, not self.FOLLOWING)
        self.agenda_table.model = agenda_model(view, zone)
        if self.has_class("-wide"):
            if self._people is None:
                self._people = people_by_zone(view, zone, session.host, session.host_timezone)
            self.wide_clock.model = clock_model(view)
            self.world.model = WorldModel(minute_of(view.now_us), self._people)
        self.keys.model = self.listed_keys(view)
        worded = describe_link(link, view.now_us, zone)
        self.status.model = status_model(
            view,
            zone,
            session.also_show,
            self.local_zone,
            (link.healthy, worded),
            muted=self.muted,
            serving=self.serving,
        )
        message = banner_text(link, view.now_us, zone, following=self.FOLLOWING)
        if not message and self.tick_error:
            message = f"Display error: {self.tick_error}"
        self.banner.words = (message, "")
        self.banner.set_class(bool(message), "-visible")

    def listed_keys(self, view: View) -> tuple[tuple[str, str], ...]:
        """The key bar: once the session has ended, only the keys that still do something."""
        listed = [
            (shown, "unmute" if action == "app.mute" and self.muted else short)
            for _, shown, action, short, _ in self.KEYS
            if not (view.ended and action.split("(")[0] in CONTROL_ACTIONS)
        ]
        return (*listed, ("ctrl+p", "commands"))

    def action_help(self) -> None:
        """Show every key."""
        self.app.push_screen(HelpScreen(self.journal_label, read_only=self.FOLLOWING))


class ModeratorScreen(SessionScreen):
    """The moderator's screen: the session's controls on the keys."""

    #: The one list of keys: bindings, the key bar and the command palette are all made from it.
    KEYS = (
        ("space", "space", "start_pause", "start/pause", "Start / pause / resume"),
        ("n,right", "n →", "next", "next", "Next segment"),
        ("p,left", "p ←", "previous", "back", "Previous segment (undoes the n that led here)"),
        ("plus,equals_sign", "+", "extend(60)", "more time", "Give the segment 1 minute more"),
        ("minus,underscore", "−", "extend(-60)", "less time", "Give the segment 1 minute less"),
        ("s", "s", "skip", "skip", "Skip: cut this segment, start the next"),
        ("g", "g", "goto", "go to", "Go to a segment"),
        ("e", "e", "end", "end", "End the session"),
        MUTE,
        ("c", "c", "copy_cue", "copy cue", "Copy the speaker's cue"),
        QUIT,
        HELP,
    )
    BINDINGS = bindings(KEYS)

    def __init__(
        self,
        source: SessionSource,
        controls: Controls,
        *,
        refresh: Callable[[], None],
        journal_label: str = "",
        local_zone: pendulum.Timezone | pendulum.FixedTimezone,
        serving: str | None = None,
    ) -> None:
        super().__init__(source, journal_label=journal_label, local_zone=local_zone, serving=serving)
        self.controls = controls
        #: Draw at once after a command, rather than at the next tick.
        self.refresh_now = refresh

    def _command(self, name: str, **args: Any) -> None:
        try:
            ack = self.controls.command(name, **args)
        except CommandError as error:
            self.notify(str(error), severity="warning", timeout=4)
            return
        self.refresh_now()
        if not ack.on_disk and not self.source.link().healthy:  # never waits: the writer has its own thread
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

            self.app.push_screen(
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

        self.app.push_screen(GotoScreen(self.source.agenda, self.source.view().current), chosen)

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

        self.app.push_screen(
            ConfirmScreen("End the session now?", "The journal is closed for good; a report can be made from it."),
            answered,
        )

    def action_copy_cue(self) -> None:
        """Copy the speaker's cue to the clipboard, and show it, since some terminals ignore OSC 52."""
        cue = self.last_cue
        if not cue:
            self.notify("No cue now: one appears at wrap-up time", timeout=3)
            return
        self.app.copy_to_clipboard(cue)
        self.notify(literal(cue), title="Sent to the clipboard (if your terminal allows it)", timeout=8, markup=False)

    def action_quit_session(self) -> None:
        """Quit; while the show runs, ask first. The session is not ended."""
        view = self.source.view()
        if not view.started or view.ended:
            self.app.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.exit()

        link = self.source.link()
        detail = (
            f"Records are NOT on disk ({link.problem}). Quitting saves them to a rescue file, named on exit."
            if not link.healthy
            else "The session keeps running in the journal; run the same command to resume it."
        )
        self.app.push_screen(ConfirmScreen("Quit runofshow?", detail), answered)


class FollowScreen(SessionScreen):
    """The co-host's screen: the moderator's layout, whose session it is, and no control keys at all."""

    FOLLOWING = True
    KEYS = (MUTE, QUIT, HELP)
    BINDINGS = bindings(KEYS)

    def action_quit_session(self) -> None:
        """Quit at once: the session is someone else's and goes on."""
        self.app.exit()


class StageScreen(LiveScreen):
    """For sharing in the meeting: the big countdown in its warning colour, the title and the speaker."""

    BINDINGS = [Binding("q", "app.quit", "Quit", show=False), Binding("m", "app.mute", "Mute", show=False)]

    def compose(self) -> ComposeResult:
        self.clock = BigClock(id="stage-clock")
        self.title_line = Line(id="stage-title")
        self.speaker_line = Line(id="stage-speaker")
        self.note_line = Line(id="stage-note")
        yield self.clock
        yield self.title_line
        yield self.speaker_line
        yield self.note_line

    def draw(self) -> None:
        """The countdown, the title and the speaker; below them, only what the audience must know."""
        view, link = self.view, self.link
        if view is None or link is None or not self.ready:
            return
        self.clock.model = clock_model(view)
        segment = view.focus.segment
        self.title_line.words = ("The session has ended" if view.ended else segment.title, "bold")
        self.speaker_line.words = ("" if view.ended else segment.speaker or "", "")
        note = "paused" if view.paused else ""
        if not view.ended and not link.healthy:
            note = describe_link(link, view.now_us, self.source.agenda.session.timezone)
        self.note_line.words = (note, "dim")
