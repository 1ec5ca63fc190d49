"""What each widget shows, as small frozen values made from one View.

A widget holds its model in a reactive. Textual calls the widget's watcher
only when the new model differs from the last, so a tick whose figures did
not visibly change costs a comparison, not a redraw. To keep that true, a
model holds what is shown at the granularity it is shown (clock times as
whole minutes, texts as words): building one must stay cheap, as a screen
builds them all every second, and anything slow to format (a time in a zone)
is formatted by the widget, and only when its model changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pendulum

from runofshow.domain.agenda.model import Segment
from runofshow.domain.derive import RowStatus, Urgency, View
from runofshow.domain.events import LIVE
from runofshow.domain.instants import to_us
from runofshow.words.display import (
    countdown_label,
    countdown_text,
    ended_text,
    flex_advice,
    message_marks,
    planned_cell,
    row_figures,
    start_cell,
)
from runofshow.words.timefmt import describe_offset, nearest_minute_us

MINUTE_US = 60_000_000


def minute_of(instant_us: int) -> int:
    """The start of the minute `instant_us` falls in: what an HH:MM display shows of it."""
    return instant_us // MINUTE_US * MINUTE_US


@dataclass(frozen=True, slots=True)
class Alert:
    """How urgent the countdown is, and whether it is in the lit half of its overtime blink."""

    level: Urgency
    paused: bool
    blinking: bool


def alert_of(view: View) -> Alert:
    """Urgency now; in overtime the blink is lit on every other second."""
    flash = int(-view.remaining_s) % 2 == 0
    return Alert(view.alert, view.paused, flash and view.alert == Urgency.OVERTIME and not view.paused)


@dataclass(frozen=True, slots=True)
class CountdownModel:
    """The label over the big number, the number, and its colour."""

    label: str
    digits: str
    alert: Alert


def countdown_model(view: View) -> CountdownModel:
    """What the countdown says now."""
    return CountdownModel(countdown_label(view), countdown_text(view), alert_of(view))


@dataclass(frozen=True, slots=True)
class ClockModel:
    """The big block-letter clock: its text and colour."""

    text: str
    alert: Alert


def clock_model(view: View) -> ClockModel:
    """The countdown, or END once the session is over."""
    return ClockModel("END" if view.ended else countdown_text(view), alert_of(view))


@dataclass(frozen=True, slots=True)
class CardModel:
    """Who is on: the segment, of how many, and the minute for the speaker's local time."""

    segment: Segment
    count: int
    skipped: bool
    #: The minute shown as the speaker's local time; None when the agenda gives no zone.
    minute_us: int | None


@dataclass(frozen=True, slots=True)
class EndCardModel:
    """How the session went, once it has ended."""

    ended_minute_us: int
    zone: str
    count: int
    ran: int
    skipped: tuple[int, ...]
    not_run: tuple[int, ...]


def card_model(view: View) -> CardModel | EndCardModel:
    """The current (or first) segment; once the session has ended, a summary."""
    if view.ended:
        return EndCardModel(
            nearest_minute_us(to_us(view.projected_end)),
            view.segments[0].zone,
            len(view.segments),
            sum(row.actual_s is not None for row in view.segments),
            tuple(row.number for row in view.segments if row.skipped),
            tuple(row.number for row in view.segments if row.actual_s is None),
        )
    row = view.focus
    minute = minute_of(view.now_us) if row.segment.timezone else None
    return CardModel(row.segment, len(view.segments), row.skipped, minute)


@dataclass(frozen=True, slots=True)
class BarModel:
    """How far through its time the segment is, and in which colour."""

    total_s: float
    done_s: float
    alert: Urgency


def bar_model(view: View) -> BarModel:
    """The current segment's share of its time; before the start, the first's, empty."""
    total = max(1.0, view.allotted_s if view.started else view.focus.allotted_s)
    done = min(total, view.elapsed_s) if view.started and not view.ended else (total if view.ended else 0.0)
    return BarModel(total, done, view.alert)


@dataclass(frozen=True, slots=True)
class NextModel:
    """What comes next: a segment and its time, the end of the session, or nothing once ended."""

    segment: Segment | None
    allotted_s: float
    ended: bool


def next_model(view: View) -> NextModel:
    """The segment `n` would move to."""
    upcoming = view.next_segment
    if upcoming is None:
        return NextModel(None, 0.0, view.ended)
    return NextModel(upcoming.segment, upcoming.left_s, view.ended)


@dataclass(frozen=True, slots=True)
class Flash:
    """A warning just given, shown in the cue line for a few seconds instead of a toast over the status line."""

    title: str
    #: "warning" (wrap-up, final minute) or "error" (time's up, overtime).
    severity: str
    until_us: int


#: How long a new message to the speaker flashes on every screen.
MESSAGE_FLASH_US = 5_000_000


def message_lit(view: View) -> bool:
    """Whether the message is in the lit half of its flash: on, off, on… once a second for 5 s after it came."""
    if view.message is None or view.message_at_us is None:
        return False
    age = view.now_us - view.message_at_us
    return 0 <= age < MESSAGE_FLASH_US and (age // 1_000_000) % 2 == 0


def until_flash_changes(view: View) -> float:
    """Seconds until the message's flash next turns on or off, or infinity once it is steady."""
    if view.message is None or view.message_at_us is None:
        return math.inf
    age = view.now_us - view.message_at_us
    if not 0 <= age < MESSAGE_FLASH_US:
        return math.inf
    return (1_000_000 - age % 1_000_000) / 1e6


@dataclass(frozen=True, slots=True)
class Notice:
    """A notice for the moderator ("copied", "Resumed …", a refused key), shown in the cue line for a while."""

    text: str
    title: str
    #: "information", "warning" or "error".
    severity: str


@dataclass(frozen=True, slots=True)
class CueModel:
    """The cue to give the speaker, whether this screen can copy it (the moderator's can), and a fresh warning."""

    cue: str | None
    copyable: bool
    #: The warning's title while it is fresh, else None.
    flash: Flash | None = None
    #: The moderator's message to the speaker, and whether it is lit in its flash.
    message: str | None = None
    lit: bool = False
    #: A notice for the moderator, in the cue's place while it lasts.
    notice: Notice | None = None
    #: Beside the message: "pinned", "✓ seen" (`message_marks`).
    marks: str = ""


def cue_model(
    cue: str | None, copyable: bool, flash: Flash | None, view: View, notice: Notice | None = None
) -> CueModel:
    """The cue line now: the flash only until it expires or the session ends, a notice, and the message under it."""
    fresh = flash if flash is not None and view.now_us < flash.until_us and not view.ended else None
    return CueModel(cue, copyable, fresh, view.message, message_lit(view), notice, message_marks(view))


@dataclass(frozen=True, slots=True)
class RowModel:
    """One agenda row: clock times as minutes, the rest as shown."""

    number: int
    title: str
    planned_start_us: int
    planned_end_us: int
    #: When a segment ahead is expected to start, if the show goes on as projected.
    expected_us: int | None
    started_us: int | None
    took: str
    delta: str
    #: Done or skipped: drawn dim.
    past: bool
    #: "red" or "green" for an over/under worth colouring, else "".
    colour: str
    #: The length adopted from the shrink advice, if it was.
    adopted_s: float | None = None


def row_models(view: View) -> tuple[RowModel, ...]:
    """Every agenda row."""
    rows = []
    for row in view.segments:
        took, delta, tone = row_figures(row)
        past = row.status in (RowStatus.DONE, RowStatus.SKIPPED)
        colour = {"over": "red", "under": "green"}.get(tone, "")
        started = None if row.actual_start_us is None else nearest_minute_us(row.actual_start_us)
        expected = None if row.expected_start_us is None else nearest_minute_us(row.expected_start_us)
        rows.append(
            RowModel(
                row.number,
                row.segment.title,
                nearest_minute_us(row.planned_start_us),
                nearest_minute_us(row.planned_end_us),
                expected,
                started,
                took,
                delta,
                past,
                colour,
                row.adopted_s,
            )
        )
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class RowCells:
    """An agenda row's cells as the table words them (the title is cut to the column by the table)."""

    planned: str
    start: str
    took: str
    delta: str


def row_cells(row: RowModel, zone: str) -> RowCells:
    """The words of `row` in `zone`: made by the table only when the row's model changes."""
    return RowCells(
        planned_cell(row.planned_start_us, row.planned_end_us, zone, row.adopted_s),
        start_cell(row.started_us, row.expected_us, zone),
        row.took,
        row.delta,
    )


@dataclass(frozen=True, slots=True)
class AgendaModel:
    """The whole table, in the session's zone, with the row the show is at."""

    rows: tuple[RowModel, ...]
    zone: str
    cursor: int


def agenda_model(view: View, zone: str) -> AgendaModel:
    """The table for `view`."""
    return AgendaModel(row_models(view), zone, 0 if view.current is None else view.current)


@dataclass(frozen=True, slots=True)
class StatusModel:
    """The status line: clocks, where the show stands, what to shrink, and the link."""

    live: bool
    minute_us: int
    zone: str
    also: tuple[str, ...]
    #: The zone of the machine, shown when no other clock already says its time.
    local: pendulum.Timezone | pendulum.FixedTimezone
    #: How far off plan ("2:00 behind"); once ended, when and how far, said once (`ended_text`).
    offset: str
    #: The offset is an alarm (a minute or more behind, while the show runs).
    late: bool
    ended: bool
    projected_end_us: int
    planned_end_us: int
    #: The shrink advice in its three parts (`flex_advice`), all "" when none is needed.
    advice: tuple[str, str, str]
    link: str
    healthy: bool
    uncertain: bool
    muted: bool
    serving: str | None
    #: The server process, as worded for the status line ("" when all is well), and whether it serves now.
    server: tuple[bool, str] = (True, "")
    #: The hub's copy of the journal, as worded for the status line ("" with no hub), and whether it is well.
    hub: tuple[bool, str] = (True, "")


def status_model(
    view: View,
    zone: str,
    also: tuple[str, ...],
    local: pendulum.Timezone | pendulum.FixedTimezone,
    link: tuple[bool, str],
    *,
    muted: bool,
    serving: str | None,
    server: tuple[bool, str] = (True, ""),
    hub: tuple[bool, str] = (True, ""),
) -> StatusModel:
    """The status line for `view`; `link` is (healthy, as worded)."""
    return StatusModel(
        view.mode == LIVE,
        minute_of(view.now_us),
        zone,
        also,
        local,
        ended_text(view, zone) if view.ended else describe_offset(view.offset_s),
        view.offset_s >= 60 and not view.ended,
        view.ended,
        nearest_minute_us(to_us(view.projected_end)),
        nearest_minute_us(to_us(view.planned_end)),
        flex_advice(view),
        link[1],
        link[0],
        view.uncertain,
        muted,
        serving,
        server,
        hub,
    )


@dataclass(frozen=True, slots=True)
class WorldModel:
    """Each zone with who is there, at one minute."""

    minute_us: int
    people: tuple[tuple[str, tuple[str, ...]], ...]


def people_by_zone(
    view: View, zone: str, host: str | None, host_zone: str | None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The session's zone, the host's, and each speaker's, in agenda order."""
    people: dict[str, list[str]] = {zone: ["session"]}
    if host and host_zone:
        people.setdefault(host_zone, []).append(host)
    for row in view.segments:
        segment = row.segment
        if segment.speaker and segment.timezone:
            names = people.setdefault(segment.timezone, [])
            if segment.speaker not in names:
                names.append(segment.speaker)
    return tuple((name, tuple(who)) for name, who in people.items())
