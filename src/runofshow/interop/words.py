"""How a slot is worded for a speaker: clock times in a zone, with the zone's name and UTC offset."""

from __future__ import annotations

import pendulum

from runofshow.domain.agenda.model import Agenda, Segment
from runofshow.words.timefmt import clock_time


def offset(moment: pendulum.DateTime, tz: str) -> str:
    """ "UTC+09:00", "UTC-03:00", "UTC": the offset of `tz` at `moment`."""
    local = moment.in_tz(tz)
    minutes = int(local.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def abbreviation(moment: pendulum.DateTime, tz: str) -> str:
    """KST, CLST, or the offset when the zone has no letters for it (e.g. -03)."""
    return moment.in_tz(tz).format("zz") or tz


def clock(moment: pendulum.DateTime, tz: str) -> str:
    """ "18:11" (or "18:11:30") in `tz`."""
    return clock_time(moment, tz, with_seconds=bool(moment.second))


def span(segment: Segment, tz: str) -> str:
    """ "18:11–18:21" in `tz`, with the day when the end falls on another one."""
    start, end = segment.start.in_tz(tz), segment.end.in_tz(tz)
    text = f"{clock(start, tz)}–{clock(end, tz)}"
    return text if start.date() == end.date() else text + f" (ends {end.format('ddd D MMM')})"


def in_zone(segment: Segment, tz: str) -> str:
    """ "Fri 8 Oct 2021, 06:21–06:31 -03 (America/Santiago, UTC-03:00)"."""
    day = segment.start.in_tz(tz).format("ddd D MMM YYYY")
    label = abbreviation(segment.start, tz)
    return f"{day}, {span(segment, tz)} {label} ({tz}, {offset(segment.start, tz)})"


def session_span(agenda: Agenda, tz: str) -> str:
    """The whole session in `tz`: "Fri 8 Oct 2021, 18:00–19:30 KST"."""
    start, end = agenda.start.in_tz(tz), agenda.end.in_tz(tz)
    text = f"{start.format('ddd D MMM YYYY')}, {clock(start, tz)}–{clock(end, tz)} {abbreviation(agenda.start, tz)}"
    return text if start.date() == end.date() else text + f" (ends {end.format('ddd D MMM')})"


def minutes(seconds: int) -> str:
    """ "10 minutes", "1 minute", "90 seconds", "1 h 30 min"."""
    if seconds % 60:
        return (
            f"{seconds} seconds" if seconds < 3600 else f"{seconds // 3600} h {seconds // 60 % 60} min {seconds % 60} s"
        )
    whole = seconds // 60
    if whole >= 60:
        return f"{whole // 60} h {whole % 60} min" if whole % 60 else f"{whole // 60} h"
    return f"{whole} minute{'s' if whole != 1 else ''}"


def who(segment: Segment) -> str:
    """ "Title (Speaker)" or just the title."""
    return f"{segment.title} ({segment.speaker})" if segment.speaker else segment.title


def speakers(agenda: Agenda) -> list[str]:
    """Every speaker, in the order they first speak."""
    return list(dict.fromkeys(s.speaker for s in agenda.segments if s.speaker))


def match_speaker(agenda: Agenda, name: str) -> str | None:
    """The speaker called `name`, ignoring case and extra spaces."""
    wanted = " ".join(name.split()).casefold()
    return next((s for s in speakers(agenda) if " ".join(s.split()).casefold() == wanted), None)
