"""Calendar invitations: one VEVENT per segment, each speaker's slot also in their own time.

Times are written in UTC, which every calendar reads the same way; the
session's zone travels as a VTIMEZONE and X-WR-TIMEZONE. A segment's UID is
derived from the session and the segment (title, speaker, and which
occurrence of that pair it is), so sending a corrected file updates the
invitation people already have instead of adding a second one; SEQUENCE
grows with the time of export so clients take the newer copy.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence

import pendulum

from runofshow import __version__
from runofshow.domain.agenda.model import Agenda, Segment
from runofshow.interop import words
from runofshow.words.text import literal

PRODID = f"-//runofshow//runofshow {__version__}//EN"
_UID_NAMESPACE = uuid.UUID("5b0f3c1e-6d0a-4e55-9a43-7e1b2d9a0c11")
_SEQUENCE_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def clean(text: str) -> str:
    """Calendar text may not hold control characters (RFC 5545 TEXT); show them, keep newlines and tabs."""
    return "".join(ch if ch in "\n\t" else literal(ch) for ch in text)


def segment_uid(agenda: Agenda, segment: Segment) -> str:
    """The same UID for the same slot every time the agenda is exported, even if its times change."""
    identity: Counter[tuple[str, str]] = Counter()
    for item in agenda.segments:
        key = (item.title, item.speaker or "")
        identity[key] += 1
        if item is segment:
            break
    session = agenda.session
    name = "\x1f".join(
        [session.title, session.date.isoformat(), segment.title, segment.speaker or "", str(identity[key])]
    )
    return f"{uuid.uuid5(_UID_NAMESPACE, name)}@runofshow"


def description(agenda: Agenda, segment: Segment, link: str | None = None) -> str:
    """Who speaks, for whom, when in their own zone and the session's, and what comes before and after."""
    session, tz = agenda.session, agenda.session.timezone
    lines: list[str] = []
    if segment.speaker:
        who = segment.speaker + (f", {segment.role}" if segment.role else "")
        lines.append(f"Speaker: {who}")
    if segment.organization:
        lines.append(f"Organization: {segment.organization}")
    if segment.country:
        lines.append(f"Country: {segment.country}")
    if segment.timezone:
        lines.append(f"Speaker's time: {words.in_zone(segment, segment.timezone)}")
    lines.append(f"Session time: {words.in_zone(segment, tz)}")
    lines.append(f"Length: {words.minutes(segment.duration_s)}")
    index = segment.number - 1
    before = agenda.segments[index - 1] if index > 0 else None
    after = agenda.segments[index + 1] if index + 1 < len(agenda.segments) else None
    zone_name = words.abbreviation(segment.start, tz)
    lines.append(
        f"Before: {words.span(before, tz)} {zone_name} {words.who(before)}" if before else "Before: nothing, this opens"
    )
    lines.append(
        f"After: {words.span(after, tz)} {zone_name} {words.who(after)}" if after else "After: nothing, this closes"
    )
    lines.append("")
    lines.append(f"Session: {session.title}, {words.session_span(agenda, tz)}")
    if session.host:
        lines.append(f"Moderator: {session.host}")
    if link:
        lines.append(f"Link: {link}")
    return clean("\n".join(lines))


def calendar(agenda: Agenda, segments: Sequence[Segment], now: pendulum.DateTime, link: str | None = None) -> bytes:
    """The .ics file for `segments` of `agenda`, stamped at `now`."""
    from icalendar import Calendar, Event, Timezone

    tz = agenda.session.timezone
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", clean(agenda.session.title))
    cal.add("x-wr-timezone", tz)
    if tz != "UTC":
        first = agenda.start.date() - dt.timedelta(days=366)
        last = agenda.end.date() + dt.timedelta(days=366)
        cal.add_component(Timezone.from_tzinfo(pendulum.timezone(tz), tzid=tz, first_date=first, last_date=last))
    stamp = dt.datetime.fromtimestamp(int(now.timestamp()), dt.UTC)
    sequence = max(0, int((stamp - _SEQUENCE_EPOCH).total_seconds() // 60))
    for segment in segments:
        event = Event()
        event.add("uid", segment_uid(agenda, segment))
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("dtstart", _utc(segment.start))
        event.add("dtend", _utc(segment.end))
        event.add("summary", clean(segment.title))
        event.add("description", description(agenda, segment, link))
        if link:
            event.add("url", link)
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def _utc(moment: pendulum.DateTime) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(moment.timestamp()), dt.UTC)
