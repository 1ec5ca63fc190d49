"""The pieces of the live screen. Each takes a View and shows part of it; none reads a clock."""

from __future__ import annotations

import pendulum
from rich.progress_bar import ProgressBar as RichBar
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Digits, Static

from runofshow.core.display import countdown_text
from runofshow.core.events import LIVE, Level
from runofshow.core.text import literal
from runofshow.core.timefmt import clock_time, describe_offset, format_duration, format_length
from runofshow.core.view import SegmentView, View

ALERT_CLASSES = ("-running", "-wrap_up", "-final", "-overtime", "-pending", "-done")
#: The warning colours, as the README promises them: yellow, orange, red.
BAR_COLOURS = {Level.WRAP_UP: "#ffd700", Level.FINAL: "#ff8700", Level.OVERTIME: "#ff2d2d", Level.DONE: "#808080"}


def clock(moment: pendulum.DateTime, zone: str) -> str:
    """HH:MM in `zone` (minutes only: the countdown is the second-accurate display)."""
    return clock_time(moment, zone, with_seconds=False)


class Countdown(Vertical):
    """The big countdown, coloured by how urgent it is, with a one-line label above."""

    def compose(self) -> ComposeResult:
        yield Static("", id="countdown-label")
        yield Digits("", id="countdown-digits")

    def show(self, view: View, flash: bool) -> None:
        """Show `view`; `flash` alternates each second in overtime so that it blinks."""
        label = self.query_one("#countdown-label", Static)
        digits = self.query_one("#countdown-digits", Digits)
        if not view.started:
            if view.starts_in_s and view.starts_in_s > 0:
                text = "starts in"
            elif view.offset_s >= 1:
                text = "LATE · space starts it"
            else:
                text = "space starts it"
        elif view.ended:
            text = "session ended · total"
        elif view.paused:
            text = "PAUSED · " + ("over" if view.remaining_s <= 0 else "left")
        elif view.remaining_s <= 0:
            text = "TIME'S UP · over by"
        else:
            text = {Level.WRAP_UP: "WRAP UP · left", Level.FINAL: "FINAL MINUTE · left"}.get(view.alert, "left")
        set_text(label, text, layout=False)
        value = countdown_text(view)
        if digits.value != value:
            digits.update(value)
        show_alert(self, view, flash, (label, digits))


BLINK_BACKGROUND = Color.parse("#ff2d2d")
BLINK_TEXT = Color.parse("#ffffff")


def show_alert(widget: Widget, view: View, flash: bool, inked: tuple[Widget, ...] = ()) -> None:
    """Colour `widget` by urgency; in overtime, blink it (white on red) once a second.

    The colour classes change a few times a segment. The blink is an inline
    style, because toggling a class re-applies the whole stylesheet to the
    widget and its children, every second, for as long as the overtime lasts.
    `inked` are the children whose text colour flips with it.
    """
    for name in ALERT_CLASSES:
        widget.set_class(name == f"-{view.alert}", name)
    widget.set_class(view.paused, "-paused")
    blinking = flash and view.alert == Level.OVERTIME and not view.paused
    if blinking != getattr(widget, "_blinking", False):
        widget._blinking = blinking  # type: ignore[attr-defined]
        widget.styles.background = BLINK_BACKGROUND if blinking else None
        for child in inked or (widget,):
            child.styles.color = BLINK_TEXT if blinking else None


def unchanged(widget: Widget, key: object) -> bool:
    """True if `widget` last showed `key`; remember it otherwise.

    Most of what is on screen changes once a minute or on a new record, not
    every second: a cheap key lets a tick skip the formatting entirely.
    """
    if getattr(widget, "_shown_key", None) == key:
        return True
    widget._shown_key = key  # type: ignore[attr-defined]
    return False


def set_text(widget: Static, content: str | Text, *, layout: bool = True) -> None:
    """Update a Static only when its content changes, to keep redraws (and CPU) down.

    `layout=False` for a widget whose size cannot change with its text (one
    fixed line): Textual then repaints it without laying out the whole screen.
    """
    key = content.markup if isinstance(content, Text) else content
    if getattr(widget, "_shown", None) != key:
        widget._shown = key  # type: ignore[attr-defined]
        widget.update(content, layout=layout)


class SegmentCard(Vertical):
    """Who is on now: title, speaker, role, organisation, country, their local time, the note."""

    def compose(self) -> ComposeResult:
        yield Static("", id="segment-title")
        yield Static("", id="segment-speaker")
        yield Static("", id="segment-note")

    def on_resize(self) -> None:
        """The note is cut to fit: cut it again for the new width."""
        last = getattr(self, "_last_view", None)
        if last is not None:
            self.show(last)

    def show(self, view: View) -> None:
        """Show the current (or first) segment; once the session has ended, how it went."""
        self._last_view = view
        if view.ended:
            self._show_end(view)
            return
        row = view.focus
        segment = row.segment
        if unchanged(self, (segment.number, row.skipped, view.now_us // 60_000_000, self.content_size.width)):
            return
        title = Text(f"{segment.number}/{len(view.segments)}  ", style="bold")
        title.append(literal(segment.title), style="bold")
        if row.skipped:
            title.append("  (skipped)", style="dim")
        set_text(self.query_one("#segment-title", Static), title)
        speaker = Text()
        if segment.speaker:
            speaker.append(literal(segment.speaker), style="bold")
        details = [segment.role, segment.organization, segment.country]
        for detail in details:
            if detail:
                speaker.append(" · " if speaker else "")
                speaker.append(literal(detail))
        if segment.timezone:
            local = view.now.in_tz(segment.timezone)
            speaker.append(" · " if speaker else "")
            speaker.append(f"{local.format('HH:mm')} there", style="cyan")
        set_text(self.query_one("#segment-speaker", Static), speaker)
        text = literal(segment.notes or "")
        # The note has two lines (six when wide); say so when it is cut, rather than stop mid-sentence.
        room = int(self.content_size.width * (6 if self.screen.has_class("-wide") else 2) * 0.85)
        if room > 10 and len(text) > room:
            text = text[: room - 1].rsplit(" ", 1)[0] + " …"
        note = Text(text, style="italic")
        set_text(self.query_one("#segment-note", Static), note)

    def _show_end(self, view: View) -> None:
        if unchanged(self, ("ended", view.seq)):
            return
        ran = [row for row in view.segments if row.actual_s is not None]
        skipped = [str(row.number) for row in view.segments if row.skipped]
        not_run = [str(row.number) for row in view.segments if row.actual_s is None]
        zone = view.segments[0].zone
        set_text(
            self.query_one("#segment-title", Static),
            Text(f"The session has ended at {clock(view.projected_end, zone)}", style="bold"),
        )
        summary = f"{len(ran)} of {len(view.segments)} segments ran"
        if skipped:
            summary += f"; skipped: #{', #'.join(skipped)}"
        if not_run:
            summary += f"; not run: #{', #'.join(not_run)}"
        set_text(self.query_one("#segment-speaker", Static), Text(summary))
        set_text(
            self.query_one("#segment-note", Static),
            Text("Review it with: runofshow report JOURNAL (the path is below)", style="italic"),
        )


class ProgressLine(Horizontal):
    """The segment's progress bar and what comes next.

    The bar is drawn from Rich's renderable rather than Textual's ProgressBar,
    whose own once-a-second timer (for an ETA we do not show) doubled the
    wake-ups; it is redrawn only when it visibly grows.
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="segment-progress")
        yield Static("", id="next-up")

    def show(self, view: View) -> None:
        """Show how far through its time the current segment is."""
        bar = self.query_one("#segment-progress", Static)
        total = max(1.0, view.allotted_s if view.started else view.focus.allotted_s)
        done = min(total, view.elapsed_s) if view.started and not view.ended else (total if view.ended else 0.0)
        # Redraw only when the bar grows by half a cell (it has one fixed line: no layout).
        steps = 2 * max(1, bar.size.width)
        if not unchanged(bar, (steps, int(steps * done / total), view.alert)):
            # Full is not "finished, well done" (Rich's green): it is time's up.
            colour = BAR_COLOURS.get(view.alert, "#5f87d7")
            bar.update(RichBar(total=total, completed=done, complete_style=colour, finished_style=colour), layout=False)
        upcoming = view.next_segment
        key = (upcoming.number if upcoming else None, upcoming.allotted_s if upcoming else None, view.ended)
        if unchanged(self, key):
            return
        if upcoming is None:
            text = Text("Next: end of the session" if not view.ended else "")
        else:
            text = Text("Next: ", style="dim")
            text.append(literal(upcoming.segment.title))
            if upcoming.segment.speaker:
                text.append(f" — {literal(upcoming.segment.speaker)}")
            text.append(f" ({format_duration(upcoming.allotted_s)})", style="dim")
        set_text(self.query_one("#next-up", Static), text, layout=False)


class AgendaTable(DataTable[Text]):
    """Every segment: planned start–end, actual start, actual duration and over/under."""

    COLUMNS = ("#", "Planned", "Title", "Started", "Took", "+/−")
    WIDTHS = (2, 11, 0, 7, 9, 6)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", show_cursor=True, zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.can_focus = False
        self._rows: list[tuple[str, ...]] = []
        self._title_width = 24
        self._key: tuple[object, ...] | None = None

    def on_mount(self) -> None:
        """Columns are fixed; rows are filled by `show`."""
        self._add_columns()

    def _add_columns(self) -> None:
        for name, width in zip(self.COLUMNS, self.WIDTHS):
            self.add_column(name, key=name, width=width or self._title_width)

    def set_title_width(self, width: int) -> None:
        """Give the title column what the other columns leave of `width`."""
        fixed = sum(self.WIDTHS) + 2 * self.cell_padding * len(self.COLUMNS) + 2
        title = max(10, width - fixed)
        if title != self._title_width:
            self._title_width = title
            if self.columns:
                self.clear(columns=True)
                self._add_columns()
            self._rows = []

    def show(self, view: View, zone: str) -> None:
        """Redraw only rows whose text changed; the current row is highlighted.

        The rows change only with a new record (or, before a rehearsal starts,
        with the minute the plan is anchored at), so most ticks cost nothing here.
        """
        key = (view.seq, view.segments[0].planned_start_us // 60_000_000, zone, self._title_width)
        if key == self._key:
            return
        self._key = key
        rows = [self._cells(row, zone) for row in view.segments]
        if len(rows) != len(self._rows):
            self.clear()
            for index, cells in enumerate(rows):
                self.add_row(*self._style(cells, view.segments[index]), key=str(index))
        else:
            for index, (old, new) in enumerate(zip(self._rows, rows)):
                if old != new:
                    for name, value in zip(self.COLUMNS, self._style(new, view.segments[index])):
                        self.update_cell(str(index), name, value)
        self._rows = rows
        focus = 0 if view.current is None else view.current
        if self.cursor_row != focus:
            self.move_cursor(row=focus, animate=False)

    def _cells(self, row: SegmentView, zone: str) -> tuple[str, ...]:
        segment = row.segment
        planned = f"{clock(row.planned_start, zone)}–{clock(row.planned_end, zone)}"
        title = literal(segment.title)
        if len(title) > self._title_width:
            title = title[: self._title_width - 1] + "…"
        started = clock(row.actual_start, zone) if row.actual_start else ""
        if row.status == "current":
            took, delta = "▶ now", ""
        elif row.actual_s is not None:
            took = format_duration(row.actual_s)
            delta = format_duration(row.delta_s or 0.0, signed=True) if abs(row.delta_s or 0.0) >= 1 else "0:00"
        else:
            took, delta = "", ""
        if row.skipped:
            took = f"skip {took}".strip()
        return (str(segment.number), planned, title, started, took, delta)

    def _style(self, cells: tuple[str, ...], row: SegmentView) -> list[Text]:
        style = "dim" if row.status in ("done", "skipped") else ""
        out = [Text(cell, style=style) for cell in cells]
        delta = row.delta_s or 0.0
        if row.status in ("done", "skipped") and abs(delta) >= 1:
            out[5].stylize("red" if delta > 0 else "green")
        out[0].justify = out[4].justify = out[5].justify = "right"
        return out


class StatusBar(Static):
    """Clocks, schedule, projected end, what the flexible segments must shrink to, mode and journal."""

    def show(
        self,
        view: View,
        zone: str,
        also: tuple[str, ...],
        link: tuple[bool, str],
        local: pendulum.Timezone | pendulum.FixedTimezone,
        serving: str | None = None,
        muted: bool = False,
    ) -> None:
        """The clocks and the schedule; the plan to catch up and the journal; the follow command if serving."""
        minute = 60_000_000
        key = (
            view.now_us // minute,
            round(view.offset_s),
            view.projected_end.int_timestamp // 60,
            view.planned_end.int_timestamp // 60,
            view.flex,
            round(view.unrecoverable_s),
            link,
            view.uncertain,
            serving,
            view.mode,
            muted,
        )
        if unchanged(self, key):
            return
        mode = Text(" LIVE " if view.mode == LIVE else " REHEARSAL ", style="bold reverse")
        first = Text()
        first.append_text(mode)
        short = view.now.in_tz(zone).format("zz")
        first.append(f" {clock(view.now, zone)} {short}")
        offsets = {view.now.in_tz(zone).utcoffset()}
        for other in also:
            moment = view.now.in_tz(other)
            offsets.add(moment.utcoffset())
            first.append(f" · {moment.format('HH:mm zz')}")
        here = view.now.in_tz(local)
        if here.utcoffset() not in offsets:
            first.append(f" · {here.format('HH:mm')} here")
        first.append(" │ ")
        first.append(
            describe_offset(view.offset_s, ended=view.ended),
            style="bold red" if view.offset_s >= 60 and not view.ended else "bold",
        )
        ends = "ended" if view.ended else "ends"
        first.append(f" │ {ends} {clock(view.projected_end, zone)} (plan {clock(view.planned_end, zone)})")
        second = Text()
        if view.flex:
            second.append("To end on time, shrink ", style="bold")
            second.append(", ".join(f"#{f.number} to {format_length(f.shrink_to_s)}" for f in view.flex))
            if view.unrecoverable_s >= 1:
                second.append(f"; {format_length(view.unrecoverable_s)} can't be recovered", style="red")
            second.append(" │ ")
        healthy, description = link
        second.append(literal(description), style="green" if healthy else "bold red")
        if view.uncertain:
            second.append(" │ time after a restart is approximate", style="yellow")
        if muted:
            second.append(" │ bell off (m)", style="yellow")
        lines = [first, second]
        if serving:
            lines.append(Text("Co-host: ", style="bold") + Text(serving, style="cyan"))
        self.set_class(bool(serving), "-serving")
        set_text(self, Text("\n").join(lines), layout=False)


class KeyBar(Static):
    """Every key the screen answers to, wrapped onto as many lines as the width needs.

    Textual's Footer keeps to one line and cuts off what does not fit; at
    80 columns that would hide half the keys from a moderator. The lines are
    packed here, a key never apart from what it does (Rich would break at a
    no-break space too).
    """

    def show(self, keys: list[tuple[str, str]]) -> None:
        """`keys` is (key as shown, what it does), in order."""
        self.keys = keys
        self._pack()

    def on_resize(self) -> None:
        """Pack again for the new width."""
        self._pack()

    def _pack(self) -> None:
        keys = getattr(self, "keys", [])
        width = max(20, self.content_size.width or 80)
        lines: list[Text] = [Text()]
        for key, description in keys:
            item = Text.assemble((key, "bold #ffaf00"), f" {description}")
            line = lines[-1]
            if line and len(line) + 2 + len(item) > width:
                lines.append(Text())
                line = lines[-1]
            if line:
                line.append("  ")
            line.append_text(item)
        set_text(self, Text("\n").join(lines))


class WorldClock(Static):
    """Every participant's local time, for wide screens: who is up early, who late."""

    def show(self, view: View, zone: str, host: str | None, host_zone: str | None) -> None:
        """One line per zone: local time, zone name, and who is there."""
        if unchanged(self, view.now_us // 60_000_000):
            return
        people: dict[str, list[str]] = {zone: ["session"]}
        if host and host_zone:
            people.setdefault(host_zone, []).append(host)
        for row in view.segments:
            segment = row.segment
            if segment.speaker and segment.timezone:
                names = people.setdefault(segment.timezone, [])
                if segment.speaker not in names:
                    names.append(segment.speaker)
        text = Text("World clock\n", style="bold")
        for name, who in people.items():
            local = view.now.in_tz(name)
            text.append(f"{local.format('HH:mm')} ", style="bold cyan")
            text.append(f"{local.format('ddd')} {name.rsplit('/', 1)[-1].replace('_', ' '):<14} ")
            text.append(literal(", ".join(who)) + "\n", style="dim")
        set_text(self, text)


# A 3×5 pixel font for the stage clock; "#" is a lit pixel.
_FONT = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ":": (".", "#", ".", "#", "."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "N": ("#.#", "###", "###", "#.#", "#.#"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "+": ("...", ".#.", "###", ".#.", "..."),
}


def big_text(value: str, width: int, height: int) -> list[str]:
    """`value` drawn in block pixels, as large as fits `width` × `height` cells.

    Half blocks give two pixel rows per cell, and a half cell is about as
    tall as a cell is wide, so `across` columns by `across` half rows make a
    square pixel; when height is short, pixels get flatter rather than the
    digits getting narrower.
    """
    glyphs = [_FONT[ch] for ch in value if ch in _FONT]
    if not glyphs or width <= 0 or height <= 0:
        return []
    columns = sum(len(g[0]) for g in glyphs) + len(glyphs) - 1
    across = max(1, width // columns)
    down = max(1, min(across, (2 * height) // 5))
    pixels: list[str] = []
    for row in range(5):
        line = ".".join(g[row] for g in glyphs)
        wide = "".join(ch * across for ch in line)
        pixels.extend([wide] * down)
    if len(pixels) % 2:
        pixels.append("." * len(pixels[0]))
    cells = {("#", "#"): "█", ("#", "."): "▀", (".", "#"): "▄", (".", "."): " "}
    return ["".join(cells[(a, b)] for a, b in zip(top, bottom)) for top, bottom in zip(pixels[::2], pixels[1::2])]


class BigClock(Static):
    """The countdown in block letters that fill the space: for the stage view, shared on screen."""

    def show(self, view: View, flash: bool) -> None:
        """Draw the countdown at the largest size that fits, coloured by urgency."""
        show_alert(self, view, flash)
        size = self.content_size
        lines = big_text("END" if view.ended else countdown_text(view), size.width, size.height)
        # Centre by padding, not by text-align: the lines' trailing blanks would be trimmed.
        left = " " * max(0, (size.width - max((len(line) for line in lines), default=0)) // 2)
        top = ["\u00a0"] * max(0, (size.height - len(lines)) // 2)
        set_text(self, Text("\n".join([*top, *(left + line.replace(" ", "\u00a0") for line in lines)])))

    def on_resize(self) -> None:
        """Redraw at the new size (the app keeps the view)."""
        self.app.refresh_now()  # type: ignore[attr-defined]
