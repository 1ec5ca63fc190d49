"""An agenda as the rows of a programme sheet: the same columns `import` reads, typed.

The csv and xlsx exports both start here, so a sheet written by `export`
imports back to the same agenda (the round trip is property-tested).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from runofshow.domain.agenda.ids import segment_ids
from runofshow.domain.agenda.model import DEFAULT_FINAL_S, DEFAULT_WRAP_UP_S, Agenda, Segment
from runofshow.interop.cells import csv_escape, csv_guard
from runofshow.interop.columns import EXPORT_FIELDS, PREAMBLE, header_text

OFF = "off"


@dataclass(frozen=True, slots=True)
class Length:
    """A duration cell, in seconds: a real duration in xlsx, "10m" in csv."""

    seconds: int


def session_rows(agenda: Agenda) -> list[tuple[str, Any]]:
    """The session's facts as "key | value" rows, in the words `import` reads above the header."""
    session = agenda.session
    facts: list[tuple[str, Any]] = [
        ("title", session.title),
        ("date", dt.date(session.date.year, session.date.month, session.date.day)),
        ("timezone", session.timezone),
        ("also_show", ", ".join(session.also_show) or None),
        ("host", session.host),
        ("host_timezone", session.host_timezone),
        ("host_email", session.host_email),
    ]
    return [(PREAMBLE[key][0], item) for key, item in facts if item is not None]


def headers() -> list[str]:
    """The header row."""
    return [header_text(name) for name in EXPORT_FIELDS]


def segment_rows(agenda: Agenda) -> list[list[Any]]:
    """One row per segment: times as `dt.time`, lengths as `Length`, flags as bool, text as str.

    Every row has its segment's id, the one the agenda gives or the one import
    would give it, so a sheet edited and imported again keeps the calendar's UIDs.
    """
    return [segment_cells(segment, id_) for segment, id_ in zip(agenda.segments, segment_ids(agenda))]


def segment_cells(segment: Segment, id_: str) -> list[Any]:
    """One segment's row, in the order of EXPORT_FIELDS."""
    cells = _cells(segment, id_)
    return [cells[name] for name in EXPORT_FIELDS]


def _cells(segment: Segment, id_: str) -> dict[str, Any]:
    wrap_up, final = _warnings(segment)
    return {
        "start": _clock(segment.start),
        "end": _clock(segment.end),
        "title": segment.title,
        "speaker": segment.speaker,
        "role": segment.role,
        "organization": segment.organization,
        "country": segment.country,
        "timezone": segment.timezone,
        "kind": None if segment.kind == "other" else segment.kind,
        "flexible": True if segment.flexible else None,
        "min_duration": Length(segment.min_duration_s) if segment.flexible else None,
        "wrap_up": wrap_up,
        "final": final,
        "notes": segment.notes,
        "email": segment.email,
        "id": id_,
    }


def _clock(moment: Any) -> dt.time:
    return dt.time(moment.hour, moment.minute, moment.second)


def _warnings(segment: Segment) -> tuple[Any, Any]:
    """Blank when the defaults give the same warnings; otherwise both, so they validate together."""

    def kept(seconds: int) -> int | None:
        return seconds if seconds < segment.duration_s else None

    if (segment.wrap_up_s, segment.final_s) == (kept(DEFAULT_WRAP_UP_S), kept(DEFAULT_FINAL_S)):
        return None, None
    wrap_up, final = (OFF if s is None else Length(s) for s in (segment.wrap_up_s, segment.final_s))
    return wrap_up, final


def length_text(seconds: int) -> str:
    """ "10m", "1h30m", "90s": the agenda's own way of writing a length."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n) or "0s"


def csv_cell(item: Any) -> str:
    """A typed cell as csv text: terminal controls escaped, text that a spreadsheet would run guarded."""
    if item is None:
        return ""
    if isinstance(item, bool):
        return "yes" if item else "no"
    if isinstance(item, dt.time):
        return item.strftime("%H:%M:%S" if item.second else "%H:%M")
    if isinstance(item, dt.date):
        return item.isoformat()
    if isinstance(item, Length):
        return length_text(item.seconds)
    return csv_guard(csv_escape(str(item)))


def to_csv(agenda: Agenda) -> str:
    """The programme as csv: the session's facts, a blank row, the header, one row per segment."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for key, item in session_rows(agenda):
        writer.writerow([key, csv_cell(item)])
    writer.writerow([])
    writer.writerow(headers())
    for row in segment_rows(agenda):
        writer.writerow([csv_cell(item) for item in row])
    return buffer.getvalue()
