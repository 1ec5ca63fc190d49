"""The board's rows: one small frozen value per room, worded from that room's own View, and their order.

Every figure on a row comes from `derive` on the room's own fold, worded by
the same functions as the follow screen (`countdown_text`, `describe_offset`,
`minute_clock`): the board computes none. What it adds is only the order of
the rows, and whether a room's controller has been silent too long.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from runofshow.domain.derive import Urgency, View
from runofshow.domain.instants import to_us
from runofshow.domain.link import Link, LinkState
from runofshow.tui.models import Alert, alert_of
from runofshow.tui.source import RoomSource
from runofshow.words.display import countdown_text, seconds_to_next_change
from runofshow.words.timefmt import describe_offset, minute_clock, nearest_minute_us, whole_seconds

#: A room whose controller has sent no record or heartbeat for this long is flagged silent.
SILENT_AFTER_S = 10.0

#: Most urgent first: how the rows are ordered after the silent rooms.
URGENCY_ORDER: dict[Urgency, int] = {
    Urgency.OVERTIME: 0,
    Urgency.FINAL: 1,
    Urgency.WRAP_UP: 2,
    Urgency.RUNNING: 3,
    Urgency.PENDING: 4,
    Urgency.DONE: 5,
}


@dataclass(frozen=True, slots=True)
class RoomRow:
    """One room as the board shows it: words and the few facts that colour or order them."""

    #: The room's key on the board (its name), kept when the rows are sorted again.
    room: str
    session: str
    #: "3/8": the segment on (or first) of how many.
    segment: str
    title: str
    speaker: str
    countdown: str
    alert: Alert
    #: "2:00 behind", "on time", "ended 0:30 late".
    offset: str
    #: Whole seconds behind (negative: ahead), for the colour of `offset` and the order.
    offset_s: int
    #: Projected end and the room's planned end, as clock times in the room's zone.
    projected_end: str
    planned_end: str
    #: Whether the projected end is past the planned end.
    late: bool
    message: str | None
    #: Whole seconds the controller has been silent, once over the limit; None while it is heard.
    silent_s: int | None
    ended: bool
    #: The moderator quit (the session goes on without one).
    detached: bool

    @property
    def rank(self) -> tuple[int, int, int, str]:
        """The sort key: silent rooms first, then by urgency, the furthest behind first, then by name."""
        urgency = 6 if self.ended else URGENCY_ORDER.get(self.alert.level, 5)
        return (0 if self.silent_s is not None else 1, urgency, -self.offset_s, self.room)


@dataclass(frozen=True, slots=True)
class WaitingRow:
    """A room whose header has not arrived yet: its name and what is wrong, if anything."""

    room: str
    problem: str | None

    @property
    def rank(self) -> tuple[int, int, int, str]:
        """With the silent rooms when it cannot be reached; else (connecting) after every room shown."""
        return (0 if self.problem else 2, 0, 0, self.room)


def room_row(
    room: str,
    view: View,
    *,
    session: str,
    link_state: LinkState,
    quiet_s: float | None,
    silent_after: float = SILENT_AFTER_S,
) -> RoomRow:
    """A room's row from its own View, and how long ago its controller was heard of."""
    focus = view.focus
    zone = focus.zone
    projected, planned = to_us(view.projected_end), to_us(view.planned_end)
    silent = not view.ended and quiet_s is not None and quiet_s >= silent_after
    return RoomRow(
        room=room,
        session=session,
        segment=f"{focus.number}/{len(view.segments)}",
        title=focus.segment.title,
        speaker=focus.segment.speaker or "",
        countdown=countdown_text(view),
        alert=alert_of(view),
        offset=describe_offset(view.offset_s, ended=view.ended),
        offset_s=whole_seconds(view.offset_s),
        projected_end=minute_clock(projected, zone),
        planned_end=minute_clock(planned, zone),
        late=nearest_minute_us(projected) > nearest_minute_us(planned),
        message=view.message,
        silent_s=int(quiet_s) if silent and quiet_s is not None else None,
        ended=view.ended,
        detached=link_state is LinkState.DETACHED,
    )


@dataclass(frozen=True, slots=True)
class BoardModel:
    """Every room in order of urgency, and the one the cursor is on."""

    rows: tuple[RoomRow | WaitingRow, ...]
    selected: str | None

    @property
    def silent(self) -> int:
        """How many rooms are flagged silent."""
        return sum(isinstance(row, RoomRow) and row.silent_s is not None for row in self.rows)


def ordered(rows: list[RoomRow | WaitingRow]) -> tuple[RoomRow | WaitingRow, ...]:
    """The rows by urgency."""
    return tuple(sorted(rows, key=lambda row: row.rank))


@dataclass(frozen=True, slots=True)
class Look:
    """One look at every room: the rows by urgency, each room's View and Link, and when a countdown next moves."""

    rows: tuple[RoomRow | WaitingRow, ...]
    views: dict[str, tuple[View, Link]]
    next_change_s: float


def look(rooms: Sequence[RoomSource], silent_after: float = SILENT_AFTER_S) -> Look:
    """Poll every room and make its row from its own View: what the board's screen and its page both show."""
    rows: list[RoomRow | WaitingRow] = []
    views: dict[str, tuple[View, Link]] = {}
    soonest = math.inf
    for room in list(rooms):
        room.poll()
        if not room.ready:
            rows.append(WaitingRow(room.room, room.problem))
            continue
        view, link = room.view(), room.link()
        views[room.room] = (view, link)
        session = room.agenda.session.title
        quiet = room.quiet_s()
        rows.append(
            room_row(room.room, view, session=session, link_state=link.state, quiet_s=quiet, silent_after=silent_after)
        )
        soonest = min(soonest, seconds_to_next_change(view))
    return Look(ordered(rows), views, soonest)


def row_json(row: RoomRow | WaitingRow) -> dict[str, object]:
    """A row for the board's page: the same words, and the facts that colour them."""
    if isinstance(row, WaitingRow):
        return {"room": row.room, "waiting": True, "problem": row.problem}
    return {
        "room": row.room,
        "waiting": False,
        "session": row.session,
        "segment": row.segment,
        "title": row.title,
        "speaker": row.speaker,
        "countdown": row.countdown,
        "alert": str(row.alert.level),
        "paused": row.alert.paused,
        "offset": row.offset,
        "offset_s": row.offset_s,
        "projected_end": row.projected_end,
        "planned_end": row.planned_end,
        "late": row.late,
        "message": row.message,
        "silent_s": row.silent_s,
        "ended": row.ended,
        "detached": row.detached,
    }
