"""The pieces of the live screen. Each holds a small frozen model in a reactive and draws only that; none reads a clock.

The screen gives every widget a new model each tick. Textual compares it with
the last one and calls the widget's watcher only when it differs, so most
ticks redraw nothing but the countdown.
"""

from __future__ import annotations

from typing import Any

import pendulum
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.widget import Widget
from textual.widgets import DataTable, Digits, Static

from runofshow.domain.instants import to_pendulum
from runofshow.tui.bigclock import big_lines, big_text
from runofshow.tui.models import (
    AgendaModel,
    Alert,
    CardModel,
    ClockModel,
    CountdownModel,
    CueModel,
    EndCardModel,
    RowModel,
    StatusModel,
    WorldModel,
    row_cells,
)
from runofshow.words.text import literal
from runofshow.words.timefmt import minute_clock

__all__ = [
    "AgendaTable",
    "BigClock",
    "Countdown",
    "Column",
    "CueLine",
    "KeyBar",
    "Line",
    "Row",
    "SegmentCard",
    "StatusBar",
    "TopBar",
    "WorldClock",
    "big_text",
]

ALERT_CLASSES = ("-running", "-wrap_up", "-final", "-overtime", "-pending", "-done")
#: The badge of a fresh warning in the cue line, by severity: the countdown's own colours.
FLASH_COLOURS = {"warning": "#ffd700", "error": "#ff2d2d"}
#: A notice's colour in the cue line, by severity.
NOTICE_STYLES = {"information": "bold #ffffff", "warning": "bold #ffd700", "error": "bold #ff2d2d"}
BLINK_BACKGROUND = Color.parse("#ff2d2d")
BLINK_TEXT = Color.parse("#ffffff")


def clock(moment: pendulum.DateTime, zone: str) -> str:
    """HH:MM in `zone` (minutes only: the countdown is the second-accurate display)."""
    return moment.in_tz(zone).format("HH:mm")


def paint_alert(widget: Widget, old: Alert | None, new: Alert, inked: tuple[Widget, ...] = ()) -> None:
    """Colour `widget` by urgency; in overtime, blink it (white on red) once a second.

    The colour classes change a few times a segment. The blink is an inline
    style, because toggling a class re-applies the whole stylesheet to the
    widget and its children, every second, for as long as the overtime lasts.
    `inked` are the children whose text colour flips with it.
    """
    if old is None or (old.level, old.paused) != (new.level, new.paused):
        for name in ALERT_CLASSES:
            widget.set_class(name == f"-{new.level}", name)
        widget.set_class(new.paused, "-paused")
    if (old is not None and old.blinking) != new.blinking:
        widget.styles.background = BLINK_BACKGROUND if new.blinking else None
        for child in inked or (widget,):
            child.styles.color = BLINK_TEXT if new.blinking else None


class Row(Horizontal):
    """A row of widgets that draws nothing of its own (see `Column`)."""

    BLANK = True


class Column(Vertical):
    """A column of widgets that draws nothing of its own.

    Marked blank, Textual fills it with its background instead of asking it for
    its lines: on every redraw of the countdown, Textual visits each widget on
    screen, and a container's lines are the most of them.
    """

    BLANK = True


class Line(Static):
    """One piece of text, given as (text, style): redrawn only when either changes."""

    #: The text and its style; set it, and the line redraws if it differs.
    words: var[tuple[str, str] | None] = var(None, init=False)

    def __init__(self, *, layout: bool = True, id: str | None = None) -> None:
        super().__init__("", id=id)
        #: False for a line whose size cannot change with its text: Textual then repaints it without a layout.
        self.relayout = layout

    def watch_words(self, words: tuple[str, str] | None) -> None:
        """Draw the new words."""
        if words is not None:
            text, style = words
            self.update(Text(literal(text), style=style), layout=self.relayout)


class TopBar(Static):
    """The session's title; on a co-host's screen, whose session it is."""

    #: (title, owner): the owner is None on the moderator's own screen.
    model: var[tuple[str, str | None] | None] = var(None, init=False)

    def watch_model(self, model: tuple[str, str | None] | None) -> None:
        """Draw the title line."""
        if model is None:
            return
        title, owner = model
        top = Text(literal(title), style="bold")
        if owner is not None:
            top = Text("FOLLOWING ", style="bold reverse") + Text(f" {owner} · ", style="bold") + top
        self.update(top, layout=False)


class Countdown(Vertical):
    """The big countdown, coloured by how urgent it is, with a one-line label above."""

    #: What the countdown says and how urgent it is.
    model: var[CountdownModel | None] = var(None, init=False)

    def compose(self) -> ComposeResult:
        self._label = Static("", id="countdown-label")
        self._digits = Digits("", id="countdown-digits")
        with Column(classes="box"):  # see SessionScreen.compose
            yield self._label
        yield self._digits

    def watch_model(self, old: CountdownModel | None, new: CountdownModel | None) -> None:
        """Redraw the parts that changed."""
        if new is None:
            return
        if old is None or old.label != new.label:
            self._label.update(new.label, layout=False)
        if old is None or old.digits != new.digits:
            self._digits.update(new.digits)
        paint_alert(self, None if old is None else old.alert, new.alert, (self._label, self._digits))


class SegmentCard(Vertical):
    """Who is on now: title, speaker, role, organisation, country, their local time, the note."""

    #: The segment on now, or how the session went once it has ended.
    model: var[CardModel | EndCardModel | None] = var(None, init=False)

    def compose(self) -> ComposeResult:
        self._title = Static("", id="segment-title")
        self._speaker = Static("", id="segment-speaker")
        self._note = Static("", id="segment-note")
        yield self._title
        yield self._speaker
        yield self._note

    def watch_model(self, model: CardModel | EndCardModel | None) -> None:
        """Draw the new model."""
        self._draw(model)

    def on_resize(self) -> None:
        """The note is cut to fit: cut it again for the new width."""
        self._draw(self.model)

    def _draw(self, model: CardModel | EndCardModel | None) -> None:
        if isinstance(model, EndCardModel):
            self._draw_end(model)
        elif model is not None:
            self._draw_segment(model)

    def _draw_segment(self, model: CardModel) -> None:
        segment = model.segment
        title = Text(f"{segment.number}/{model.count}  ", style="bold")
        title.append(literal(segment.title), style="bold")
        if model.skipped:
            title.append("  (skipped)", style="dim")
        self._title.update(title)
        speaker = Text()
        if segment.speaker:
            speaker.append(literal(segment.speaker), style="bold")
        for detail in (segment.role, segment.organization, segment.country):
            if detail:
                speaker.append(" · " if speaker else "")
                speaker.append(literal(detail))
        if segment.timezone and model.minute_us is not None:
            there = f"{minute_clock(model.minute_us, segment.timezone)} there"
            width = self.content_size.width
            # Wrapped (wide screens), the local time goes whole onto the next line rather than split from "there".
            last = len(speaker.plain.rsplit("\n", 1)[-1]) % width if width else 0
            if speaker and width and self.screen.has_class("-wide") and last + 3 + len(there) > width:
                speaker.append(" ·\n")
            else:
                speaker.append(" · " if speaker else "")
            speaker.append(there, style="cyan")
        self._speaker.update(speaker)
        text = literal(segment.notes or "")
        # The note has two lines (six when wide); say so when it is cut, rather than stop mid-sentence.
        room = int(self.content_size.width * (6 if self.screen.has_class("-wide") else 2) * 0.85)
        if room > 10 and len(text) > room:
            text = text[: room - 1].rsplit(" ", 1)[0] + " …"
        self._note.update(Text(text, style="italic"))

    def _draw_end(self, model: EndCardModel) -> None:
        self._title.update(
            Text(f"The session has ended at {minute_clock(model.ended_minute_us, model.zone)}", style="bold")
        )
        summary = f"{model.ran} of {model.count} segments ran"
        if model.skipped:
            summary += f"; skipped: #{', #'.join(map(str, model.skipped))}"
        if model.not_run:
            summary += f"; not run: #{', #'.join(map(str, model.not_run))}"
        self._speaker.update(Text(summary))
        self._note.update(Text("Review it with: runofshow report JOURNAL (the path is below)", style="italic"))


class CueLine(Static):
    """The cue to give the speaker, once there is one."""

    #: The cue, and whether this screen copies it with c.
    model: var[CueModel | None] = var(None, init=False)

    def watch_model(self, model: CueModel | None) -> None:
        """Draw the new cue."""
        if model is None:
            return
        first = Text("")
        if model.flash is not None:
            colour = FLASH_COLOURS.get(model.flash.severity, "#ffd700")
            first.append(f" {model.flash.title} ", style=f"bold #000000 on {colour}")
            first.append("  ")
        notice = Text("")
        if model.notice is not None:  # here, not in a toast over the status line
            style = NOTICE_STYLES.get(model.notice.severity, "bold")
            if model.notice.title:
                notice.append(f"{literal(model.notice.title)}: ", style=style)
            notice.append(literal(model.notice.text), style=style)
        lines = []
        if model.cue:
            first += Text("Cue: ", style="bold") + Text(literal(model.cue))
            if model.copyable:
                first.append("   (c copies it)", style="dim")
            lines = [first, notice] if notice else [first]
        elif first or notice:
            lines = [first + notice]
        # Two lines at most: a notice, while it lasts, takes the message's (the stage shows the message anyway).
        if model.message and len(lines) < 2:
            message = Text("Message: ", style="bold")
            message.append(literal(model.message), style="bold reverse" if model.lit else "bold")
            if model.marks:
                message.append(f"  {model.marks}", style="green")
            lines.append(message)
        text = Text("\n").join(lines)
        self.update(text)


class AgendaTable(DataTable[Text]):
    """Every segment: planned start–end, actual start (or, ahead, the expected one), duration and over/under."""

    COLUMNS = ("#", "Planned", "Title", "Start", "Took", "+/−")
    WIDTHS = (2, 13, 0, 7, 9, 6)

    #: Every row, and the one the show is at.
    model: var[AgendaModel | None] = var(None, init=False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", show_cursor=True, zebra_stripes=False, **kwargs)
        self.can_focus = False
        self._title_width = 24

    def on_mount(self) -> None:
        """Columns are fixed; rows come with the model."""
        self._add_columns()

    def _add_columns(self) -> None:
        for name, width in zip(self.COLUMNS, self.WIDTHS):
            self.add_column(name, key=name, width=width or self._title_width)

    def set_title_width(self, width: int) -> None:
        """Give the title column what the other columns leave of `width`."""
        fixed = sum(self.WIDTHS) + 2 * self.cell_padding * len(self.COLUMNS) + 2
        title = max(10, width - fixed)
        if title == self._title_width:
            return
        self._title_width = title
        if self.columns:
            self.clear(columns=True)
            self._add_columns()
            self._fill(None, self.model)

    def watch_model(self, old: AgendaModel | None, new: AgendaModel | None) -> None:
        """Redraw only the rows that changed; the current row is highlighted."""
        self._fill(old, new)

    def _fill(self, old: AgendaModel | None, new: AgendaModel | None) -> None:
        if new is None:
            return
        if old is None or len(old.rows) != len(new.rows) or old.zone != new.zone or not self.row_count:
            self.clear()
            for index, row in enumerate(new.rows):
                self.add_row(*self._cells(row, new.zone), key=str(index))
        else:
            for index, (before, after) in enumerate(zip(old.rows, new.rows)):
                if before != after:
                    for name, value in zip(self.COLUMNS, self._cells(after, new.zone)):
                        self.update_cell(str(index), name, value)
        if self.cursor_row != new.cursor:
            self.move_cursor(row=new.cursor, animate=False)

    def _cells(self, row: RowModel, zone: str) -> list[Text]:
        cells = row_cells(row, zone)
        title = literal(row.title)
        if len(title) > self._title_width:
            title = title[: self._title_width - 1] + "…"
        style = "dim" if row.past else ""
        # Ahead: when it should start if the show goes on as projected, in italics.
        expected = row.started_us is None and row.expected_us is not None
        out = [Text(cell, style=style) for cell in (str(row.number), cells.planned, title)]
        out.append(Text(cells.start, style="italic" if expected else style))
        out += [Text(cell, style=style) for cell in (cells.took, cells.delta)]
        if row.colour:
            out[5].stylize(row.colour)
        out[0].justify = out[4].justify = out[5].justify = "right"
        return out


class StatusBar(Static):
    """Clocks, schedule, projected end, what the flexible segments must shrink to, mode and journal."""

    #: Everything on the status line, at the granularity shown.
    model: var[StatusModel | None] = var(None, init=False)

    def watch_model(self, model: StatusModel | None) -> None:
        """Draw the clocks and the schedule; the plan to catch up and the link; the follow command if serving."""
        if model is None:
            return
        zone = model.zone
        now = to_pendulum(model.minute_us)
        first = Text()
        first.append_text(Text(" LIVE " if model.live else " REHEARSAL ", style="bold reverse"))
        there = now.in_tz(zone)
        first.append(f" {there.format('HH:mm')} {there.format('zz')}")
        offsets = {there.utcoffset()}
        for other in model.also:
            moment = now.in_tz(other)
            offsets.add(moment.utcoffset())
            first.append(f" · {moment.format('HH:mm zz')}")
        here = now.in_tz(model.local)
        if here.utcoffset() not in offsets:
            first.append(f" · {here.format('HH:mm')} here")
        first.append(" │ ")
        first.append(model.offset, style="bold red" if model.late else "bold")
        if not model.ended:  # once ended, the offset's words say when it ended
            projected, planned = minute_clock(model.projected_end_us, zone), minute_clock(model.planned_end_us, zone)
            first.append(f" │ ends {projected} (plan {planned})")
        second = Text()
        lead, shrink, lost = model.advice
        if lead:
            second.append(lead, style="bold")
            second.append(shrink)
            second.append(lost, style="red")
            second.append(" │ ")
        second.append(literal(model.link), style="green" if model.healthy else "bold red")
        serves, server = model.server
        if server:
            second.append(" │ ")
            second.append(literal(server), style="yellow" if serves else "bold red")
        mirrored, hub = model.hub
        if hub:
            second.append(" │ ")
            second.append(literal(hub), style=("green" if hub.endswith("✓") else "yellow") if mirrored else "bold red")
        if model.uncertain:
            second.append(" │ time after a restart is approximate", style="yellow")
        if model.muted:
            second.append(" │ bell off (m)", style="yellow")
        lines = [first, second]
        if model.serving:
            lines.append(Text("Co-host: ", style="bold") + Text(model.serving, style="cyan"))
        self.set_class(bool(model.serving), "-serving")
        self.update(Text("\n").join(lines), layout=False)


class KeyBar(Static):
    """Every key the screen answers to, wrapped onto as many lines as the width needs.

    Textual's Footer keeps to one line and cuts off what does not fit; at
    80 columns that would hide half the keys from a moderator. The lines are
    packed here, a key never apart from what it does (Rich would break at a
    no-break space too).
    """

    #: (key as shown, what it does), in order.
    model: var[tuple[tuple[str, str], ...]] = var((), init=False)
    _rows = 2

    def watch_model(self) -> None:
        """Pack the new keys."""
        self._pack()

    def on_resize(self) -> None:
        """Pack again for the new width."""
        self._pack()

    @property
    def rows(self) -> int:
        """How many lines the keys take at the present width."""
        return self._rows

    def _pack(self) -> None:
        width = max(20, self.content_size.width or 80)
        lines: list[Text] = [Text()]
        for key, description in self.model:
            item = Text.assemble((key, "bold #ffaf00"), f" {description}")
            line = lines[-1]
            if line and len(line) + 2 + len(item) > width:
                lines.append(Text())
                line = lines[-1]
            if line:
                line.append("  ")
            line.append_text(item)
        if len(lines) != self._rows or self.styles.height is None or self.styles.height.is_auto:
            # As many rows as lines, set here: measured by the layout, the keys took a row more than they
            # need under a three-line status, and the agenda's last row went off the screen.
            self.styles.height = len(lines)
        self._rows = len(lines)
        self.update(Text("\n").join(lines))


class WorldClock(Static):
    """Every participant's local time, for wide screens: who is up early, who late."""

    #: The minute, and each zone with who is there.
    model: var[WorldModel | None] = var(None, init=False)

    def watch_model(self, model: WorldModel | None) -> None:
        """One line per zone: local time, zone name, and who is there."""
        if model is None:
            return
        now = to_pendulum(model.minute_us)
        text = Text("World clock\n", style="bold")
        for name, who in model.people:
            local = now.in_tz(name)
            text.append(f"{local.format('HH:mm')} ", style="bold cyan")
            text.append(f"{local.format('ddd')} {name.rsplit('/', 1)[-1].replace('_', ' '):<14} ")
            text.append(literal(", ".join(who)) + "\n", style="dim")
        self.update(text)


class BigClock(Static):
    """The countdown in block letters that fill the widget: for the stage view, shared on screen."""

    #: The text and its urgency.
    model: var[ClockModel | None] = var(None, init=False)

    def watch_model(self, old: ClockModel | None, new: ClockModel | None) -> None:
        """Colour by urgency; draw the text if it changed."""
        if new is None:
            return
        paint_alert(self, None if old is None else old.alert, new.alert)
        if old is None or old.text != new.text:
            self._draw()

    def on_resize(self) -> None:
        """Draw again at the new size: the letters are sized from this widget alone."""
        self._draw()

    def _draw(self) -> None:
        if self.model is not None:
            size = self.content_size
            self.update(Text("\n".join(big_lines(self.model.text, size.width, size.height))), layout=False)
