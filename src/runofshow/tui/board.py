"""The board: every room on one screen, most urgent first, and any room's full follow view a key away.

The App gets the rooms (sources, see `source.RoomSource`) and one stream of
"something changed"; it opens no socket. As in the session apps, one tick
lives on the App, scheduled for the instant the first room's big number next
changes (at most a second away, so a silent room is flagged on time), and it
also feeds the room opened in full, whose screen is the co-host's own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import ClassVar

import pendulum
from pendulum.tz.local_timezone import get_local_timezone
from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Static

from runofshow.domain.agenda.values import zone
from runofshow.tui.board_models import SILENT_AFTER_S, BoardModel, RoomRow, WaitingRow, look
from runofshow.tui.screens import HELP, MUTE, FollowScreen, Key, bindings
from runofshow.tui.source import RoomSource
from runofshow.tui.widgets import KeyBar, Line
from runofshow.words.text import literal, shorten
from runofshow.words.timefmt import format_length

#: The countdown's colours on the board: the same as the big countdown's (runofshow.tcss).
ALERT_STYLES = {"wrap_up": "bold #ffd700", "final": "bold #ff8700", "overtime": "bold #ff2d2d"}
BEHIND_STYLE = "#ff8700"
AHEAD_STYLE = "#5fd75f"
SELECTED_STYLE = "on #303a4a"
#: Wake this long after a computed boundary, so the clock reads past it.
BOUNDARY_MARGIN_S = 0.003


class BoardTable(Static):
    """One line per room: its state, segment and speaker, countdown, behind/ahead, projected end, message."""

    model: var[BoardModel | None] = var(None, init=False)

    def on_mount(self) -> None:
        """Draw what was given before the widget was there to draw on."""
        self.watch_model(self.model)

    def watch_model(self, model: BoardModel | None) -> None:
        """Draw the rows again."""
        if model is not None:
            self.update(board_table(model))


def board_table(model: BoardModel) -> Table:
    """The rows as a Rich table; every text from a journal goes in as literal Text."""
    table = Table(box=box.SIMPLE_HEAD, expand=True, pad_edge=False, padding=(0, 1), show_edge=False)
    table.add_column("", width=9, no_wrap=True)
    table.add_column("room", width=14, no_wrap=True, overflow="ellipsis")
    table.add_column("seg", width=5, no_wrap=True)
    table.add_column("on now · message", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("left", width=7, justify="right", no_wrap=True)
    table.add_column("behind/ahead", width=12, no_wrap=True)
    table.add_column("end/plan", width=11, no_wrap=True)
    for row in model.rows:
        style = SELECTED_STYLE if row.room == model.selected else ""
        if isinstance(row, WaitingRow):
            table.add_row(
                Text("UNREACHED", style="bold #ff2d2d") if row.problem else Text("waiting", style="dim"),
                Text(literal(row.room)),
                "",
                Text(literal(row.problem or "connecting…"), style="dim"),
                style=style,
            )
            continue
        table.add_row(*_cells(row), style=style)
    return table


def _cells(row: RoomRow) -> tuple[Text, ...]:
    if row.silent_s is not None:
        flag = Text("SILENT", style="bold reverse #ff2d2d") + Text(f"\n{format_length(row.silent_s)}", style="#ff2d2d")
    elif row.ended:
        flag = Text("ended", style="dim")
    elif row.detached:
        flag = Text("no mod", style="bold #ff8700")
    elif row.alert.paused:
        flag = Text("paused", style="dim")
    else:
        flag = Text("")
    # Two lines a room: the room and the session's title; who is on, and the message to the stage.
    room = Text(literal(row.room), style="bold") + Text("\n") + Text(literal(row.session), style="dim")
    on_now = (Text(f"{literal(row.speaker)} · ", style="bold") if row.speaker else Text()) + Text(literal(row.title))
    on_now += Text("\n") + (Text(f"✉ {literal(shorten(row.message, 200))}", style="#5fafff") if row.message else Text())
    count_style = ALERT_STYLES.get(row.alert.level, "bold")
    if row.alert.blinking:
        count_style = "bold #ffffff on #ff2d2d"
    countdown = Text(row.countdown, style=count_style + (" dim" if row.alert.paused else ""))
    tone = "" if row.ended else BEHIND_STYLE if row.offset_s > 0 else AHEAD_STYLE if row.offset_s < 0 else ""
    offset = Text(row.offset, style=tone)
    end = Text(row.projected_end, style="bold #ff2d2d" if row.late else "") + Text(f"/{row.planned_end}", style="dim")
    return flag, room, Text(row.segment), on_now, countdown, offset, end


class BoardScreen(Screen[None]):
    """Every room, most urgent first; ↑↓ move, enter opens a room's full view."""

    KEYS: ClassVar[tuple[Key, ...]] = (
        ("up,k", "↑↓", "up", "move", "Previous room"),
        ("down,j", "↓", "down", "", "Next room"),
        ("enter,o", "enter", "open", "open the room", "Open the room's full view"),
        ("q", "q", "app.quit", "quit", "Quit the board (the sessions go on)"),
    )
    BINDINGS = bindings(KEYS)

    #: The rows in order, and the room the cursor is on.
    model: var[BoardModel | None] = var(None, init=False)

    def compose(self) -> ComposeResult:
        self.top = Line(id="board-top")
        self.table = BoardTable(id="board")
        self.keys = KeyBar(id="board-keys")
        yield self.top
        yield self.table
        yield self.keys

    def on_mount(self) -> None:
        """The keys, once, and the rooms the App has given so far."""
        self.keys.model = (("↑↓", "move"), ("enter", "open the room"), ("q", "quit"))
        self.watch_model(self.model)

    def watch_model(self, model: BoardModel | None) -> None:
        """Draw the rows and the count of rooms."""
        if model is None or not hasattr(self, "table"):
            return
        self.table.model = model
        count = len(model.rows)
        silent = model.silent
        words = f"BOARD · {count} room{'s' if count != 1 else ''}"
        app = self.app
        note = app.note if isinstance(app, BoardApp) else None
        if silent:
            words = f"{words} · {silent} SILENT"
        if note:
            words = f"{words} · {note}"
        self.top.words = (words, "bold #ff2d2d" if silent else "bold")

    def action_up(self) -> None:
        """The room above."""
        self._move(-1)

    def action_down(self) -> None:
        """The room below."""
        self._move(1)

    def _move(self, step: int) -> None:
        app = self.app
        if isinstance(app, BoardApp):
            app.move(step)

    def action_open(self) -> None:
        """The room under the cursor, in full."""
        app = self.app
        if isinstance(app, BoardApp):
            app.open_selected()


class RoomScreen(FollowScreen):
    """One room's full follow view, opened from the board; q or escape goes back to the board."""

    KEYS = (MUTE, ("escape,q,b", "q", "back", "back to the board", "Back to the board"), HELP)
    BINDINGS = bindings(KEYS)

    def action_back(self) -> None:
        """Back to the board; the room goes on being followed there."""
        app = self.app
        if isinstance(app, BoardApp):
            app.close_room()

    def action_quit_session(self) -> None:
        """Back to the board."""
        self.action_back()


class BoardApp(App[None]):
    """The board: every room, each from its own source, ticking on the App."""

    CSS_PATH = "runofshow.tcss"
    TITLE = "runofshow board"

    def __init__(
        self,
        rooms: Sequence[RoomSource],
        *,
        changes: Callable[[], AsyncIterator[None]] | None = None,
        silent_after: float = SILENT_AFTER_S,
        local_zone: str | None = None,
        note: str | None = None,
    ) -> None:
        super().__init__()
        #: A line for the top of the board (the page's link, when it is served).
        self.note = note
        self.local_zone: pendulum.Timezone | pendulum.FixedTimezone = (
            zone(local_zone) if local_zone else get_local_timezone()
        )
        #: The rooms, read anew each tick: a hub may add rooms as they appear.
        self.rooms = rooms
        self.changes = changes
        self.silent_after = silent_after
        self.board = BoardScreen()
        self.selected: str | None = None
        #: The room shown in full, and its screen, while one is.
        self.opened: tuple[RoomSource, RoomScreen] | None = None
        self.muted = True  # the board rings no bell; the opened room's m turns it on
        self.tick_error: str | None = None
        self._wake: asyncio.TimerHandle | None = None
        self._model: BoardModel | None = None

    def get_default_screen(self) -> Screen[None]:
        """The board is the first and lasting screen."""
        return self.board

    def on_mount(self) -> None:
        """Draw at once, then on every change and every time a countdown moves."""
        if self.changes is not None:
            self.run_worker(self._follow(self.changes()), exclusive=True, exit_on_error=False)
        self.refresh_now()

    async def _follow(self, changes: AsyncIterator[None]) -> None:
        async for _ in changes:
            self.refresh_now()

    def action_mute(self) -> None:
        """The opened room's m: the bell on or off (it never rings on the board itself)."""
        self.muted = not self.muted
        self.refresh_now()

    def refresh_now(self) -> None:
        """Poll every room, order them, draw, and schedule the next wake-up. Never raises."""
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        began = time.perf_counter()
        delay = 1.0
        try:
            found = look(self.rooms, self.silent_after)
            delay = min(delay, found.next_change_s + BOUNDARY_MARGIN_S)
            if self.opened is not None and self.opened[0].room in found.views:
                view, link = found.views[self.opened[0].room]
                self.opened[1].show(view, link, muted=self.muted)
            order = found.rows
            if self.selected is None or all(row.room != self.selected for row in order):
                self.selected = order[0].room if order else None
            self._model = BoardModel(order, self.selected)
            self.board.model = self._model
            self.tick_error = None
        except Exception as error:  # an exception here would end the board mid-show
            self.tick_error = f"{type(error).__name__}: {error}"
            self.log.error("board tick failed", error)
        delay = max(0.001, min(delay, 1.0) - (time.perf_counter() - began))
        self._wake = asyncio.get_running_loop().call_later(delay, self.refresh_now)

    def move(self, step: int) -> None:
        """Move the cursor `step` rooms down (up if negative), in the order shown."""
        model = self._model
        if model is None or not model.rows:
            return
        names = [row.room for row in model.rows]
        at = names.index(self.selected) if self.selected in names else 0
        self.selected = names[max(0, min(len(names) - 1, at + step))]
        self._model = BoardModel(model.rows, self.selected)
        self.board.model = self._model

    def open_selected(self) -> None:
        """Show the selected room in full, on the co-host's screen."""
        room = next((room for room in self.rooms if room.room == self.selected and room.ready), None)
        if room is None:
            return
        screen = RoomScreen(room, journal_label=room.room, local_zone=self.local_zone)
        self.opened = (room, screen)
        self.push_screen(screen)
        self.refresh_now()

    def close_room(self) -> None:
        """Back to the board."""
        if self.opened is not None:
            self.opened = None
            self.pop_screen()
            self.refresh_now()

    async def on_unmount(self) -> None:
        """No wake-up after the screen is gone."""
        if self._wake is not None:
            self._wake.cancel()
