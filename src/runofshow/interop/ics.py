"""Calendar invitations: one VEVENT per segment, each speaker's slot also in their own time.

Times are written in UTC, which every calendar reads the same way; the
session's zone travels as a VTIMEZONE and X-WR-TIMEZONE.

A calendar tells an update from a new invitation by UID and SEQUENCE:

- The UID comes from the segment's `id` (or, for a segment without one, the
  id it would be given), so a new title, new times or a new date update the
  invitation people already have instead of adding a second one.
- SEQUENCE counts the changes of the event itself: a ledger kept beside the
  agenda (`AGENDA.calendar.json`) holds each UID's last SEQUENCE and a digest
  of what it said, and an export bumps the number only when the digest
  changes. A previous export given with `--previous` sets a floor (it may
  come from another machine) and names the events to cancel: those it holds
  that the agenda no longer has go out in a second calendar, METHOD:CANCEL.

The ORGANIZER is the session's host (mailto: with `host_email`; else the
`invalid:nomail` address calendars use for someone with none). RFC 5546 lets
a published calendar (METHOD:PUBLISH) invite no one, so ATTENDEEs (the
speaker's `email`, and the host as chair) are written only when every event
has one, and the calendar is then a METHOD:REQUEST invitation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pendulum

from runofshow import __version__
from runofshow.domain.agenda.ids import NAMESPACE, segment_ids
from runofshow.domain.agenda.model import Agenda, Segment
from runofshow.errors import UserError
from runofshow.interop import words
from runofshow.words.text import literal, shorten

PRODID = f"-//runofshow//runofshow {__version__}//EN"
UID_DOMAIN = "@runofshow"
NO_ADDRESS = "invalid:nomail"
#: The digest of what an event said, carried in the event so a later export given `--previous` can compare.
DIGEST = "X-RUNOFSHOW-DIGEST"
#: Whose events the file holds: "all", or "speaker:NAME" for `--speaker NAME`.
SCOPE = "X-RUNOFSHOW-SCOPE"
MAX_PREVIOUS_BYTES = 20_000_000
_CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Sent:
    """What was last sent for one UID: its SEQUENCE, and the digest of its content (None if unknown)."""

    sequence: int
    digest: str | None


@dataclass(slots=True)
class Previous:
    """A calendar exported before: what it sent for each of our UIDs, and the events themselves."""

    scope: str | None
    #: The file's name, for messages.
    name: str = "--previous"
    sent: dict[str, Sent] = field(default_factory=dict)
    events: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Export:
    """The .ics file, and the ledger to keep beside the agenda for the next export."""

    data: bytes
    ledger: dict[str, Sent]
    cancelled: list[str] = field(default_factory=list)
    #: Why the calendar invites no one, when it is published rather than sent as a request.
    uninvited: str | None = None


def clean(text: str) -> str:
    """Calendar text may not hold control characters (RFC 5545 TEXT); show them, keep newlines and tabs."""
    return "".join(ch if ch in "\n\t" else literal(ch) for ch in text)


def uid_for(agenda: Agenda, segment_id: str) -> str:
    """The UID of the segment with `segment_id`: the id itself when it is a UUID, else a UUID from it and the session.

    An id written by hand ("opening") may be another agenda's too; the
    session's title keeps two sessions' events apart in one calendar.
    """
    try:
        if str(uuid.UUID(segment_id)) == segment_id.lower():
            return segment_id.lower() + UID_DOMAIN
    except ValueError:
        pass
    return f"{uuid.uuid5(NAMESPACE, chr(31).join(['id', agenda.session.title, segment_id]))}{UID_DOMAIN}"


def segment_uid(agenda: Agenda, segment: Segment) -> str:
    """The same UID for the same segment every time the agenda is exported, whatever changed in it."""
    return uid_for(agenda, segment_ids(agenda)[segment.number - 1])


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


def scope_of(speaker: str | None) -> str:
    """The SCOPE value for an export of every segment, or of one speaker's."""
    return "all" if speaker is None else f"speaker:{speaker}"


def calendar(agenda: Agenda, segments: Sequence[Segment], now: pendulum.DateTime, link: str | None = None) -> bytes:
    """The .ics file for `segments` of `agenda`, stamped at `now`, as if nothing had been sent before."""
    return export_calendar(agenda, segments, now, link).data


def export_calendar(
    agenda: Agenda,
    segments: Sequence[Segment],
    now: pendulum.DateTime,
    link: str | None = None,
    *,
    ledger: Mapping[str, Sent] | None = None,
    previous: Previous | None = None,
    speaker: str | None = None,
) -> Export:
    """The .ics for `segments` (all of them, or `speaker`'s), with SEQUENCEs from `ledger` and `previous`."""
    if previous is not None and previous.scope is not None and previous.scope != scope_of(speaker):
        raise UserError(
            f"{literal(previous.name)}: the previous calendar holds {_scope_words(previous.scope)}, "
            f"this one {_scope_words(scope_of(speaker))}; give the previous export of the same segments"
        )
    known = dict(ledger or {})
    floor = previous.sent if previous is not None else {}
    stamp = _utc(now)
    ids = segment_ids(agenda)
    organizer = _organizer(agenda)
    chosen = [(segment, uid_for(agenda, ids[segment.number - 1])) for segment in segments]
    invited = {uid: _attendees(agenda, segment) for segment, uid in chosen}
    request = all(invited.values())
    uninvited = None
    if not request and any(invited.values()):
        lacking = next(segment for segment, uid in chosen if not invited[uid])
        uninvited = (
            f'segment {lacking.number} "{shorten(literal(lacking.title), 40)}" has no one with an address '
            "(a speaker's email, or the session's host_email), and a published calendar invites no one"
        )

    cal = _calendar(agenda, "REQUEST" if request else "PUBLISH", scope_of(speaker))
    for segment, uid in chosen:
        event = _event(agenda, segment, uid, stamp, link, organizer)
        digest = _digest(event, [address for address, _ in _attendees(agenda, segment, host=False)])
        sequence = _sequence(digest, known.get(uid), floor.get(uid))
        event.add("sequence", sequence)
        event.add(DIGEST, digest)
        if request:
            for address, params in invited[uid]:
                event.add("attendee", _address(address, params))
        known[uid] = Sent(sequence, digest)
        cal.add_component(event)
    data: bytes = cal.to_ical()

    cancelled: list[str] = []
    if previous is not None:
        current = {uid for _, uid in chosen}
        # A file from before SCOPE was written may hold other speakers' events: cancel only what left the agenda.
        still_there = current if previous.scope is not None else {uid_for(agenda, i) for i in ids}
        gone = [uid for uid in previous.events if uid not in current and uid not in still_there]
        if gone:
            cancel = _calendar(agenda, "CANCEL", scope_of(speaker))
            for uid in gone:
                sequence = _sequence(_CANCELLED, known.get(uid), floor.get(uid))
                cancel.add_component(_cancellation(previous.events[uid], uid, stamp, sequence, organizer))
                known[uid] = Sent(sequence, _CANCELLED)
                cancelled.append(uid)
            data += cancel.to_ical()
    return Export(data, known, cancelled, uninvited)


def _calendar(agenda: Agenda, method: str, scope: str) -> Any:
    from icalendar import Calendar, Timezone

    tz = agenda.session.timezone
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", clean(agenda.session.title))
    cal.add("x-wr-timezone", tz)
    cal.add(SCOPE, clean(scope))
    if tz != "UTC" and method != "CANCEL":
        first = agenda.start.date() - dt.timedelta(days=366)
        last = agenda.end.date() + dt.timedelta(days=366)
        cal.add_component(Timezone.from_tzinfo(pendulum.timezone(tz), tzid=tz, first_date=first, last_date=last))
    return cal


def _event(
    agenda: Agenda,
    segment: Segment,
    uid: str,
    stamp: dt.datetime,
    link: str | None,
    organizer: tuple[str, dict[str, str]],
) -> Any:
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", _utc(segment.start))
    event.add("dtend", _utc(segment.end))
    event.add("summary", clean(segment.title))
    event.add("description", description(agenda, segment, link))
    event.add("organizer", _address(*organizer))
    if link:
        event.add("url", link)
    return event


def _cancellation(sent: Any, uid: str, stamp: dt.datetime, sequence: int, organizer: tuple[str, dict[str, str]]) -> Any:
    """The CANCEL for an event of a previous export: its UID, times and title, and whoever it invited."""
    from icalendar import Event

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    for name in ("DTSTART", "DTEND", "SUMMARY"):
        if name in sent:
            event.add(name.lower(), sent.decoded(name) if name != "SUMMARY" else str(sent[name]))
    event.add("organizer", sent.get("ORGANIZER") or _address(*organizer))
    attendees = sent.get("ATTENDEE") or []
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        event.add("attendee", attendee)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED")
    event.add(DIGEST, _CANCELLED)
    return event


def _sequence(digest: str, ledger: Sent | None, floor: Sent | None) -> int:
    """The SEQUENCE to send: the last one sent (here or in the previous file), plus one if the content changed."""
    sent = [entry for entry in (ledger, floor) if entry is not None]
    if not sent:
        return 0
    top = max(sent, key=lambda entry: (entry.sequence, entry.digest == digest))
    return top.sequence if top.digest == digest else top.sequence + 1


def _digest(event: Any, addresses: Sequence[str]) -> str:
    """What a person sees of an event: its times, title, description, link, organizer and speaker's address."""
    seen = [
        event.get(name).to_ical().decode("utf-8") if event.get(name) is not None else None
        for name in ("DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "URL", "ORGANIZER")
    ]
    organizer = event.get("ORGANIZER")
    seen.append(str(organizer.params.get("CN", "")) if organizer is not None else None)
    text = json.dumps([seen, sorted(addresses)], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _organizer(agenda: Agenda) -> tuple[str, dict[str, str]]:
    session = agenda.session
    name = clean(session.host or session.title)
    return (f"mailto:{session.host_email}" if session.host_email else NO_ADDRESS), {"CN": name}


def _attendees(agenda: Agenda, segment: Segment, *, host: bool = True) -> list[tuple[str, dict[str, str]]]:
    """Whom the segment's invitation goes to: its speaker, and the host as chair, when their addresses are known."""
    people: list[tuple[str, dict[str, str]]] = []
    session = agenda.session
    if segment.email:
        who = {"CN": clean(segment.speaker)} if segment.speaker else {}
        people.append((f"mailto:{segment.email}", {**who, "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION"}))
    if host and session.host_email and session.host_email != segment.email:
        who = {"CN": clean(session.host)} if session.host else {}
        people.append((f"mailto:{session.host_email}", {**who, "ROLE": "CHAIR", "PARTSTAT": "ACCEPTED"}))
    return people


def _address(address: str, params: Mapping[str, str]) -> Any:
    from icalendar import vCalAddress, vText

    value = vCalAddress(address)
    for key, item in params.items():
        value.params[key] = vText(item)
    return value


def _scope_words(scope: str) -> str:
    return "every segment" if scope == "all" else f'the segments of "{literal(scope.removeprefix("speaker:"))}"'


def read_previous(data: bytes, name: str) -> Previous:
    """The events of a calendar exported before (ours only: their UIDs end in @runofshow); UserError if unreadable."""
    from icalendar import Calendar

    try:
        calendars = Calendar.from_ical(data, multiple=True)
    except Exception as error:  # icalendar raises ValueError and others for text that is no calendar
        detail = shorten(literal(str(error) or type(error).__name__), 80)
        raise UserError(f"{literal(name)}: not a calendar ({detail}); give the .ics an earlier export wrote") from None
    if not calendars:
        raise UserError(f"{literal(name)}: not a calendar; give the .ics an earlier export wrote")
    scopes = {str(cal[SCOPE]) for cal in calendars if SCOPE in cal}
    previous = Previous(scope=next(iter(scopes)) if len(scopes) == 1 else None, name=name)
    for cal in calendars:
        for event in cal.walk("VEVENT"):
            uid = str(event.get("UID", ""))
            if not uid.endswith(UID_DOMAIN):
                continue
            try:
                sequence = int(event.get("SEQUENCE", 0))
            except (TypeError, ValueError):
                sequence = 0
            digest = str(event[DIGEST]) if DIGEST in event else None
            if uid not in previous.sent or sequence >= previous.sent[uid].sequence:
                previous.sent[uid] = Sent(sequence, digest)
                if digest != _CANCELLED:
                    previous.events[uid] = event
                else:
                    previous.events.pop(uid, None)
    return previous


def read_ledger(text: str) -> dict[str, Sent]:
    """The ledger's JSON as {uid: Sent}; ValueError if it is not one."""
    data = json.loads(text)
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, dict):
        raise ValueError("no events table")
    ledger: dict[str, Sent] = {}
    for uid, entry in events.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sequence"), int) or entry["sequence"] < 0:
            raise ValueError(f"bad entry for {uid!r}")
        digest = entry.get("digest")
        ledger[str(uid)] = Sent(entry["sequence"], digest if isinstance(digest, str) else None)
    return ledger


def ledger_text(ledger: Mapping[str, Sent]) -> str:
    """The ledger as the JSON kept beside the agenda."""
    events = {uid: {"sequence": sent.sequence, "digest": sent.digest} for uid, sent in sorted(ledger.items())}
    note = "SEQUENCE and content digest of each calendar event runofshow exported from the agenda beside this file"
    return json.dumps({"about": note, "version": 1, "events": events}, indent=1, ensure_ascii=False) + "\n"


def _utc(moment: pendulum.DateTime) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(moment.timestamp()), dt.UTC)
