"""The live screens: what they share, the co-host's and the stage view. Each owns its layout.

The moderator's screen, the same layout with the session's controls on the
keys, is in `moderator`.

A screen holds the latest View and Link in reactives. When either changes it
makes each widget's small model from them and hands it over; the widgets
redraw only when their model differs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar

import pendulum
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.geometry import Size
from textual.reactive import var
from textual.screen import Screen

from runofshow.domain.derive import View
from runofshow.domain.link import Link
from runofshow.tui.dialogs import HelpScreen
from runofshow.tui.models import (
    Flash,
    Notice,
    WorldModel,
    agenda_model,
    bar_model,
    card_model,
    clock_model,
    countdown_model,
    cue_model,
    message_lit,
    minute_of,
    next_model,
    people_by_zone,
    status_model,
)
from runofshow.tui.progress import ProgressLine
from runofshow.tui.source import MirroredTo, ServedBy, SessionSource
from runofshow.tui.widgets import (
    AgendaTable,
    BigClock,
    Column,
    Countdown,
    CueLine,
    KeyBar,
    Line,
    Row,
    SegmentCard,
    StatusBar,
    TopBar,
    WorldClock,
)
from runofshow.tui.words import banner_text, describe_link, describe_server
from runofshow.words.cues import cue_for
from runofshow.words.hub import describe_hub

#: Width from which the agenda goes beside the countdown instead of below it.
WIDE = 150
#: The stage view's only sign of link trouble, in its corner: no words for the audience to read.
STAGE_LINK_MARK = "○"
#: How long a notice stays in the cue line when its sender says nothing.
NOTICE_S = 5.0
#: How long a warning's title stays in the cue line.
FLASH_US = 8_000_000
#: Rows, at the least, for the countdown in block letters below the wide layout. The digits take three;
#: block letters in fewer than eight rows are hardly bigger, and cost ten times the output every second.
TALL_CLOCK_ROWS = 8
#: The most rows the segment card and the cue line take (their CSS max-height), and so the room they may need.
CARD_ROWS = 5
CUE_ROWS = 2

#: (keys, as shown, action, short description, palette title).
Key = tuple[str, str, str, str, str]
CONTROL_ACTIONS = frozenset(
    {
        "start_pause",
        "next",
        "previous",
        "extend",
        "skip",
        "later",
        "adopt",
        "goto",
        "end",
        "copy_cue",
        "message",
        "clear_message",
    }
)
MUTE: Key = ("m", "m", "app.mute", "mute", "Mute / unmute the bell")
QUIT: Key = ("q", "q", "quit_session", "quit", "Quit (the session goes on)")
HELP: Key = ("question_mark", "?", "help", "help", "Help: every key")


def give(widget: Any, model: object) -> None:
    """Set `widget.model`, unless it holds an equal one already.

    Textual would not call the watcher for an equal model either, but finds
    that out only after a dozen look-ups; a screen hands every widget its
    model each second, and most are the same as the second before.
    """
    if widget.model != model:
        widget.model = model


def bindings(keys: tuple[Key, ...]) -> list[BindingType]:
    """The bindings for `keys`: the one list that the key bar and the palette also read."""
    return [Binding(names, action, short, key_display=shown) for names, shown, action, short, _ in keys]


@lru_cache(maxsize=16)
def listed_keys(keys: tuple[Key, ...], ended: bool, muted: bool) -> tuple[tuple[str, str], ...]:
    """(key as shown, what it does) for the key bar: once the session has ended, only what still works."""
    listed = [
        (shown, "unmute" if action == "app.mute" and muted else short)
        for _, shown, action, short, _ in keys
        if not (ended and action.split("(")[0] in CONTROL_ACTIONS)
    ]
    return (*listed, ("ctrl+p", "commands"))


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
    #: The warning just given, while it is fresh.
    flash: var[Flash | None] = var(None, init=False)

    def __init__(self, source: SessionSource) -> None:
        super().__init__()
        self.source = source
        #: Whether the widgets are there to be drawn on (the App may tick before the screen is mounted).
        self.ready = False

    def on_mount(self) -> None:
        """Draw what the App has given so far."""
        self.ready = True
        self.draw()

    def show(self, view: View, link: Link, *, muted: bool) -> None:
        """Take a tick's state, with no error, and draw once.

        Setting the reactives one by one would draw for each that changed:
        twice after a key press, which changes the link and the view.
        """
        if (view, link, muted, None) == (self.view, self.link, self.muted, self.tick_error):
            return
        self.set_reactive(LiveScreen.view, view)
        self.set_reactive(LiveScreen.link, link)
        self.set_reactive(LiveScreen.muted, muted)
        self.set_reactive(LiveScreen.tick_error, None)
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

    def warn(self, title: str, severity: str, now_us: int) -> None:
        """A warning was just given: show its title for a few seconds (the stage view shows none)."""

    def notice(self, text: str, title: str, severity: str, timeout: float | None) -> bool:
        """Show a notice for the moderator where this screen shows them; False if it has no place (a toast, then)."""
        return False


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
        server: ServedBy | None = None,
        hub: MirroredTo | None = None,
    ) -> None:
        super().__init__(source)
        self.journal_label = journal_label
        self.local_zone = local_zone
        #: The follow command to show while serving the journal to co-hosts.
        self.serving = serving
        #: The server process serving the session to others, when there is one.
        self.server = server
        #: The hub the moderator's journal is copied to, when there is one.
        self.hub = hub
        #: The cue on screen now, for c.
        self.last_cue: str | None = None
        self._people: tuple[tuple[str, tuple[str, ...]], ...] | None = None
        self._size = Size(80, 24)
        #: The notice in the cue line, and a count that lets only the latest one's timer take it off.
        self._notice: Notice | None = None
        self._notices = 0

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
        # Every second Textual asks each widget whose container overlaps the new digits for its lines, even
        # those drawn nowhere near them. Blank columns (free to ask, and covered by what they hold) stand in
        # for every widget that shares a container with the digits or one of their containers.
        with Column(classes="box"):
            yield self.top
        with Row(id="body"):
            with Column(id="show"):
                with Horizontal(id="now"):
                    yield self.countdown
                    with Column(classes="box"):
                        yield self.card
                with Column(id="under"):
                    yield self.progress
                    yield self.cue
                    yield self.wide_clock
                    yield self.world
            with Column(id="agenda-box"):
                yield self.agenda_table
        with Column(id="foot"):
            yield self.banner
            yield self.status
            yield self.keys

    def on_mount(self) -> None:
        """Lay out for the terminal's size before the first draw."""
        self._apply_size(self.app.size)
        super().on_mount()

    def on_resize(self, event: events.Resize) -> None:
        """Switch between the stacked and the side-by-side layout."""
        self._apply_size(event.size)  # self.size is still the old one here
        self.draw()

    def _apply_size(self, size: Size) -> None:
        self._size = size
        wide = size.width >= WIDE
        self.set_class(wide, "-wide")
        self.agenda_table.set_title_width(size.width // 2 - 2 if wide else size.width - 2)
        self._fit_clock()

    def _fit_clock(self) -> None:
        """Below the wide layout, show the countdown in block letters when the rows the agenda leaves allow.

        The room is counted for the tallest the card and the cue line get
        (five rows and two), so that the clock does not come and go as a cue
        appears; the clock then takes whatever the agenda leaves.
        """
        if self._size.width >= WIDE:
            self.set_class(False, "-tall")
            return
        below = self.banner.outer_size.height + (3 if self.serving else 2) + self.keys.rows
        body = self._size.height - 1 - below
        agenda = len(self.source.agenda.segments) + 1
        room = body - (CARD_ROWS + 1 + CUE_ROWS) - agenda
        self.set_class(room >= TALL_CLOCK_ROWS, "-tall")

    def draw(self) -> None:
        """Every widget from one view."""
        view, link = self.view, self.link
        if view is None or link is None or not self.ready:
            return
        session = self.source.agenda.session
        zone = session.timezone
        give(self.top, (session.title, self.source.header.owner if self.FOLLOWING else None))
        self.countdown.model = countdown_model(view)
        give(self.card, card_model(view))
        self.progress.model = (bar_model(view), next_model(view))
        self.last_cue = cue_for(view)
        give(self.cue, cue_model(self.last_cue, not self.FOLLOWING, self.flash, view, self._notice))
        give(self.agenda_table, agenda_model(view, zone))
        give(self.keys, self.listed_keys(view))
        self._fit_clock()
        if self.has_class("-wide") or self.has_class("-tall"):
            self.wide_clock.model = clock_model(view)
        if self.has_class("-wide"):
            if self._people is None:
                self._people = people_by_zone(view, zone, session.host, session.host_timezone)
            give(self.world, WorldModel(minute_of(view.now_us), self._people))
        worded = describe_link(link, view.now_us, zone)
        give(
            self.status,
            status_model(
                view,
                zone,
                session.also_show,
                self.local_zone,
                (link.healthy, worded),
                muted=self.muted,
                serving=self.serving,
                server=self._server_words(zone),
                hub=self._hub_words(zone),
            ),
        )
        message = banner_text(link, view.now_us, zone, following=self.FOLLOWING)
        if not message and self.tick_error:
            message = f"Display error: {self.tick_error}"
        if self.banner.words != (message, ""):
            self.banner.words = (message, "")
        self.banner.set_class(bool(message), "-visible")

    def _hub_words(self, zone: str) -> tuple[bool, str]:
        if self.hub is None:
            return True, ""
        health = self.hub.health()
        return health.healthy, describe_hub(health, zone)

    def _server_words(self, zone: str) -> tuple[bool, str]:
        if self.server is None:
            return True, ""
        health = self.server.health()
        return health.healthy, describe_server(health, zone, self.server.control_held)

    def warn(self, title: str, severity: str, now_us: int) -> None:
        """Flash the warning's title in the cue line, where the moderator looks for the cue, for 8 s.

        Not a toast: toasts sit over the status line, which holds the
        projected end, the journal's state and the co-host's token just when
        the moderator looks at it.
        """
        self.flash = Flash(title, severity, now_us + FLASH_US)

    def notice(self, text: str, title: str, severity: str, timeout: float | None) -> bool:
        """Show a notice in the cue line, where the warnings flash, for `timeout` s (5 by default).

        Never a toast: toasts sit over the status line (the projected end, the
        journal's state), just where the moderator looks.
        """
        self._notices += 1
        serial = self._notices

        def expire() -> None:
            if serial == self._notices:
                self._notice = None
                self.draw()

        self._notice = Notice(text, title, severity)
        self.app.set_timer(timeout or NOTICE_S, expire)
        self.draw()
        return True

    def listed_keys(self, view: View) -> tuple[tuple[str, str], ...]:
        """The key bar: once the session has ended, only the keys that still do something."""
        return listed_keys(self.KEYS, view.ended, self.muted)

    def action_help(self) -> None:
        """Show every key."""
        self.app.push_screen(HelpScreen(self.journal_label, read_only=self.FOLLOWING))


class FollowScreen(SessionScreen):
    """The co-host's screen: the moderator's layout, whose session it is, and no control keys at all."""

    FOLLOWING = True
    KEYS = (MUTE, QUIT, HELP)
    BINDINGS = bindings(KEYS)

    def action_quit_session(self) -> None:
        """Quit at once: the session is someone else's and goes on."""
        self.app.exit()


class StageScreen(LiveScreen):
    """For sharing in the meeting: the big countdown in its warning colour, the title, the speaker, the message."""

    BINDINGS = [Binding("q", "app.quit", "Quit", show=False), Binding("m", "app.mute", "Mute", show=False)]

    def compose(self) -> ComposeResult:
        self.clock = BigClock(id="stage-clock")
        self.title_line = Line(id="stage-title")
        self.speaker_line = Line(id="stage-speaker")
        self.message_line = Line(id="stage-message")
        self.note_line = Line(id="stage-note")
        self.link_mark = Line(id="stage-link")
        yield self.clock
        yield self.title_line
        yield self.speaker_line
        yield self.message_line
        yield self.note_line
        yield self.link_mark

    def draw(self) -> None:
        """The countdown, the title, the speaker and the moderator's message; nothing about the link but a mark."""
        view, link = self.view, self.link
        if view is None or link is None or not self.ready:
            return
        self.clock.model = clock_model(view)
        segment = view.focus.segment
        self.title_line.words = ("The session has ended" if view.ended else segment.title, "bold")
        self.speaker_line.words = ("" if view.ended else segment.speaker or "", "")
        self.message_line.words = (view.message or "", "bold reverse" if message_lit(view) else "bold")
        self.message_line.display = bool(view.message)
        self.note_line.words = ("paused" if view.paused else "", "dim")
        # The audience sees no link trouble, only the co-host's discreet sign that the clock may be stale.
        self.link_mark.words = (STAGE_LINK_MARK if not view.ended and not link.healthy else "", "dim")
