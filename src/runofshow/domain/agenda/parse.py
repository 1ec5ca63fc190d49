"""Load and validate an agenda file into frozen dataclasses.

Everything a user can get wrong in an agenda ends in one `AgendaError` whose
text is a single line naming the file, the line, the segment and the field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
import tomllib
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any

import pendulum

from runofshow.domain.agenda.guard import KeyLines, too_deep
from runofshow.domain.agenda.model import (
    DEFAULT_FINAL_S,
    DEFAULT_WRAP_UP_S,
    EMAIL_PATTERN,
    FLEX_MODES,
    ID_PATTERN,
    MAX_NESTING,
    MAX_PRESET,
    MAX_SEGMENT,
    MAX_SEGMENTS,
    SEGMENT_KEYS,
    SESSION_KEYS,
    TOP_KEYS,
    WARNING_KEYS,
    Agenda,
    AgendaError,
    Segment,
    SessionInfo,
)
from runofshow.domain.agenda.values import elapsed_s, parse_duration, parse_time, quoted, zone
from runofshow.words.text import literal, shorten
from runofshow.words.timefmt import format_duration


def parse_agenda(source: str, name: str = "<agenda>") -> Agenda:
    """Validate agenda text; `name` is used in messages and kept as the path."""
    return _Parser(source, name).parse()


class _Parser:
    def __init__(self, source: str, name: str) -> None:
        self.source = source
        self.name = name
        self.lines = KeyLines(source)

    # -- messages ----------------------------------------------------------

    def _fail(self, line: int | None, where: str, message: str) -> AgendaError:
        place = f"{self.name}:{line}" if line else self.name
        return AgendaError(f"{place}: {where}{message}")

    def session_error(self, key: str | None, message: str) -> AgendaError:
        where = f"[session] {key}: " if key else "[session]: "
        return self._fail(self.lines.table("session", key), where, message)

    def segment_error(self, index: int, raw: Mapping[str, Any], key: str | None, message: str) -> AgendaError:
        title = raw.get("title") if isinstance(raw, Mapping) else None
        label = f"segment {index + 1}"
        if isinstance(title, str) and title.strip():
            label += f' "{shorten(literal(title.strip()), 40)}"'
        where = f"{label}: {key}: " if key else f"{label}: "
        return self._fail(self.lines.segment(index, key), where, message)

    def _unknown(self, keys: Sequence[str], allowed: Sequence[str]) -> tuple[str, str] | None:
        for key in keys:
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f" (did you mean {near[0]!r}?)" if near else f" (known keys: {', '.join(allowed)})"
                return key, f"unknown key {quoted(key)}{hint}"
        return None

    # -- top level ---------------------------------------------------------

    def parse(self) -> Agenda:
        if not self.source.strip():
            raise AgendaError(f"{self.name}: file is empty; an agenda needs [session] and [[segments]]")
        if (deep := too_deep(self.source)) is not None:
            raise self._fail(deep, "", f"nested more than {MAX_NESTING} levels deep; an agenda needs only a few")
        try:
            data = tomllib.loads(self.source)
        except tomllib.TOMLDecodeError as error:
            message = str(error)
            match = re.search(r"at line (\d+)", message)
            line = int(match.group(1)) if match else None
            raise self._fail(line, "", f"invalid TOML: {message}") from None
        if unknown := self._unknown(list(data), TOP_KEYS):
            key, message = unknown
            line = self.lines.table(key) or self._top_key_line(key)
            raise self._fail(line, "", message)
        session = self._session(data.get("session"))
        defaults = self._warnings(data.get("warnings", {}), None, None)
        messages = self._messages(data.get("messages", []), self._top_error("messages"))
        segments = self._segments(data.get("segments"), session, defaults)
        return Agenda(session=session, segments=segments, path=self.name, source=self.source, messages=messages)

    def _top_error(self, key: str) -> Any:
        def fail(_: str | None, message: str) -> AgendaError:
            return self._fail(self._top_key_line(key), f"{key}: ", message)

        return fail

    def _messages(self, raw: object, fail: Any) -> tuple[str, ...]:
        """Preset messages to the speaker: a list of short texts."""
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise fail("messages", 'must be a list of texts, like ["Please wrap up"]')
        messages = [item.strip() for item in raw]
        for item in messages:
            if not item:
                raise fail("messages", "has an empty text")
            if len(item) > MAX_PRESET or "\n" in item:
                raise fail("messages", f"{quoted(shorten(item, 40))} is too long for one line (at most {MAX_PRESET})")
        return tuple(dict.fromkeys(messages))

    def _top_key_line(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for index, line in enumerate(self.lines.lines):
            if pattern.match(line):
                return index + 1
        return None

    def _session(self, raw: object) -> SessionInfo:
        if raw is None:
            raise self._fail(None, "", "no [session] table; it needs at least title, date and timezone")
        if not isinstance(raw, dict):
            raise self.session_error(None, "must be a table")
        if unknown := self._unknown(list(raw), SESSION_KEYS):
            key, message = unknown
            raise self.session_error(key, message)
        title = self._text(raw, "title", required=True, error=self.session_error)
        assert title is not None
        tz_name = raw.get("timezone")
        if tz_name is None:
            raise self.session_error("timezone", "missing; give an IANA name like Asia/Seoul")
        try:
            zone(tz_name)
        except ValueError as error:
            raise self.session_error("timezone", str(error)) from None
        date = self._date(raw.get("date"))
        also = raw.get("also_show", [])
        if isinstance(also, str):
            also = [also]
        if not isinstance(also, list):
            raise self.session_error("also_show", 'must be a list of zone names, like ["UTC"]')
        for item in also:
            try:
                zone(item)
            except ValueError as error:
                raise self.session_error("also_show", str(error)) from None
        if raw.get("flex", "manual") not in FLEX_MODES:
            raise self.session_error("flex", 'must be "auto" (adopt the advice in each flexible segment) or "manual"')
        host = self._text(raw, "host", error=self.session_error)
        host_email = self._email(raw, "host_email", self.session_error)
        host_tz = raw.get("host_timezone")
        if host_tz is not None:
            try:
                zone(host_tz)
            except ValueError as error:
                raise self.session_error("host_timezone", str(error)) from None
        return SessionInfo(
            title=title,
            date=date,
            timezone=tz_name,
            also_show=tuple(dict.fromkeys(also)),
            host=host,
            host_timezone=host_tz,
            host_email=host_email,
            flex_auto=raw.get("flex") == "auto",
        )

    def _email(self, raw: Mapping[str, Any], key: str, error: Any) -> str | None:
        value = self._text(raw, key, error=error)
        if value is not None and not re.fullmatch(EMAIL_PATTERN, value):
            raise error(key, f"{quoted(value)} is not an email address (like name@example.org)")
        return value

    def _date(self, value: object) -> pendulum.Date:
        if value is None:
            raise self.session_error("date", 'missing; give the day as "YYYY-MM-DD"')
        if isinstance(value, dt.datetime):
            raise self.session_error("date", 'give only the day, as "YYYY-MM-DD"')
        day: dt.date | None = None
        if isinstance(value, dt.date):
            day = value
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(value.strip())
        if day is None:
            raise self.session_error("date", f"bad date {quoted(value)} (use YYYY-MM-DD)")
        if day.year < 2:  # the day before must still be on the calendar, in every zone
            raise self.session_error("date", f"{day.isoformat()} is too near the start of the calendar (from year 2)")
        return pendulum.Date(day.year, day.month, day.day)

    def _text(self, raw: Mapping[str, Any], key: str, *, required: bool = False, error: Any) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                raise error(key, "missing; every one needs a title") if key == "title" else error(key, "missing")
            return None
        if not isinstance(value, str):
            raise error(key, f"must be text in quotes, not {type(value).__name__}")
        value = value.strip()
        if required and not value:
            raise error(key, "is empty")
        return value or None

    # -- warnings ----------------------------------------------------------

    def _warnings(
        self, raw: object, base: tuple[int | None, int | None] | None, seg: tuple[int, Mapping[str, Any]] | None
    ) -> tuple[int | None, int | None]:
        def fail(key: str | None, message: str) -> AgendaError:
            if seg is None:
                where = f"[warnings] {key}: " if key else "[warnings]: "
                return self._fail(self.lines.table("warnings", key), where, message)
            index, raw_segment = seg
            field = f"warnings.{key}" if key else "warnings"
            error = self.segment_error(index, raw_segment, field, message)
            return error

        if not isinstance(raw, dict):
            raise fail(None, 'must be a table, like { wrap_up = "2m", final = "1m" }')
        if unknown := self._unknown(list(raw), WARNING_KEYS):
            key, message = unknown
            raise fail(key, message)
        wrap_up, final = base if base is not None else (DEFAULT_WRAP_UP_S, DEFAULT_FINAL_S)
        values: dict[str, int | None] = {"wrap_up": wrap_up, "final": final}
        for key in WARNING_KEYS:
            if key not in raw:
                continue
            value = raw[key]
            if value is False:
                values[key] = None
                continue
            try:
                seconds = parse_duration(value)
            except ValueError as error:
                raise fail(key, str(error)) from None
            values[key] = seconds or None
        wrap_up, final = values["wrap_up"], values["final"]
        if wrap_up is not None and final is not None and final >= wrap_up:
            raise fail("final", "must be shorter than wrap_up (final fires after wrap-up)")
        return wrap_up, final

    # -- segments ----------------------------------------------------------

    def _segments(
        self, raw: object, session: SessionInfo, defaults: tuple[int | None, int | None]
    ) -> tuple[Segment, ...]:
        if raw is None or raw == []:
            raise self._fail(None, "", "no segments; add at least one [[segments]] table")
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            raise self._fail(None, "", "segments must be written as [[segments]] tables")
        if len(raw) > MAX_SEGMENTS:
            raise self._fail(
                self.lines.segment(MAX_SEGMENTS),
                "",
                f"{len(raw):,} segments; an agenda may have at most {MAX_SEGMENTS} (split the day into sessions)",
            )
        tz = zoneinfo.ZoneInfo(session.timezone)
        segments: list[Segment] = []
        previous: dt.datetime | None = None  # the previous segment's end
        ids: dict[str, int] = {}
        for index, item in enumerate(raw):
            if unknown := self._unknown(list(item), SEGMENT_KEYS):
                key, message = unknown
                raise self.segment_error(index, item, key, message)
            if (found := self._id(index, item)) is not None:
                if found in ids:
                    raise self.segment_error(
                        index,
                        item,
                        "id",
                        f"{quoted(found)} is already segment {ids[found] + 1}'s; each segment needs its own",
                    )
                ids[found] = index
            title = self._text(
                item, "title", required=True, error=lambda k, m, i=index, s=item: self.segment_error(i, s, k, m)
            )
            assert title is not None
            try:
                start, end = self._times(index, item, raw, session, previous, tz)
                segments.append(self._segment(index, item, title, start, end, session, defaults))
            except OverflowError:
                raise self.segment_error(
                    index, item, None, "its times fall outside the calendar (years 1 to 9999)"
                ) from None
            previous = end
        try:  # the plan is looked at a day either side (a live session opened the evening before)
            segments[-1].end.add(days=1)
        except OverflowError:
            raise self.segment_error(
                len(raw) - 1, raw[-1], None, "its times fall outside the calendar (years 1 to 9999)"
            ) from None
        return tuple(segments)

    def _id(self, index: int, item: Mapping[str, Any]) -> str | None:
        def fail(key: str | None, message: str) -> AgendaError:
            return self.segment_error(index, item, key, message)

        value = self._text(item, "id", error=fail)
        if value is not None and not re.fullmatch(ID_PATTERN, value):
            raise fail("id", f"{quoted(value)} is not an id (letters, digits and . _ ~ -, at most 64)")
        return value

    def _place(self, clock: dt.time, after: dt.datetime) -> dt.datetime | None:
        """The first `clock` time at or after `after`, or None if it runs backwards.

        A time earlier than the one before it is read as the next day only when
        going back would be 12 h or more; a smaller step back is an overlap.
        """
        candidate = dt.datetime.combine(after.date(), clock)
        if candidate >= after:
            return candidate
        if after - candidate < MAX_SEGMENT:
            return None
        return candidate + dt.timedelta(days=1)

    def _times(
        self,
        index: int,
        item: Mapping[str, Any],
        raw: list[Any],
        session: SessionInfo,
        previous: dt.datetime | None,
        tz: zoneinfo.ZoneInfo,
    ) -> tuple[dt.datetime, dt.datetime]:
        def fail(key: str | None, message: str) -> AgendaError:
            return self.segment_error(index, item, key, message)

        def clock(key: str, value: object) -> dt.time:
            try:
                return parse_time(value)
            except ValueError as error:
                raise fail(key, str(error)) from None

        if "start" in item:
            start_clock = clock("start", item["start"])
            if previous is None:
                start_local = dt.datetime.combine(session.date, start_clock)
            else:
                placed = self._place(start_clock, previous.replace(tzinfo=None))
                if placed is None:
                    raise fail(
                        "start",
                        f"starts at {start_clock:%H:%M:%S}, before segment {index} ends at "
                        f"{previous:%H:%M:%S} (segments overlap)",
                    )
                start_local = placed
            start = self._aware(start_local, tz, lambda m: fail("start", m))
        elif previous is None:
            raise fail("start", "missing; the first segment needs a start time")
        else:
            # Carry the previous end as an instant: its wall time may be ambiguous.
            start_local, start = previous.replace(tzinfo=None), previous

        duration: int | None = None
        if "duration" in item:
            try:
                duration = parse_duration(item["duration"])
            except ValueError as error:
                raise fail("duration", str(error)) from None
            if duration <= 0:
                raise fail("duration", "must be longer than zero")
            if duration > MAX_SEGMENT.total_seconds():
                raise fail("duration", f"segment is {format_duration(duration)} long; the most is 12:00:00")
        if "end" in item:
            end_clock = clock("end", item["end"])
            end_local = self._place(end_clock, start_local)
            if end_local is None:
                raise fail("end", f"ends at {end_clock:%H:%M:%S}, before it starts at {start_local:%H:%M:%S}")
            end = self._aware(end_local, tz, lambda m: fail("end", m))
            if duration is not None and elapsed_s(start, end) != duration:
                raise fail(
                    "duration",
                    f"is {format_duration(duration)} but start to end is "
                    f"{format_duration(elapsed_s(start, end))}; give one of them",
                )
        elif duration is not None:
            # Real seconds, not wall-clock ones: a daylight-saving change may fall inside.
            end = (start.astimezone(dt.UTC) + dt.timedelta(seconds=duration)).astimezone(tz)
        elif index + 1 < len(raw) and isinstance(raw[index + 1], dict) and "start" in raw[index + 1]:
            next_start = raw[index + 1]["start"]
            try:
                next_clock = parse_time(next_start)
            except ValueError as error:
                raise self.segment_error(index + 1, raw[index + 1], "start", str(error)) from None
            end_local = self._place(next_clock, start_local)
            if end_local is None:
                raise self.segment_error(
                    index + 1,
                    raw[index + 1],
                    "start",
                    f"starts at {next_clock:%H:%M:%S}, before segment {index + 1} starts at {start_local:%H:%M:%S}",
                )
            end = self._aware(end_local, tz, lambda m: self.segment_error(index + 1, raw[index + 1], "start", m))
        else:
            raise fail("end", "missing; give an end time or a duration")
        length = elapsed_s(start, end)
        if length <= 0:
            raise fail("end", "ends when it starts; a segment needs a length")
        if length > MAX_SEGMENT.total_seconds():
            raise fail(
                "end" if "end" in item else "duration",
                f"segment is {format_duration(length)} long; the most is 12:00:00",
            )
        return start, end

    def _aware(self, local: dt.datetime, tz: zoneinfo.ZoneInfo, fail: Any) -> dt.datetime:
        early = local.replace(tzinfo=tz, fold=0)
        late = local.replace(tzinfo=tz, fold=1)
        if early.utcoffset() != late.utcoffset():
            round_trip = early.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
            if round_trip != local:
                raise fail(
                    f"{local:%Y-%m-%d %H:%M:%S} does not exist in {tz.key} (the clocks jump over it for daylight saving)"
                )
            raise fail(
                f"{local:%Y-%m-%d %H:%M:%S} happens twice in {tz.key} (daylight saving ends); pick a time outside that hour"
            )
        return early

    def _segment(
        self,
        index: int,
        item: Mapping[str, Any],
        title: str,
        start: dt.datetime,
        end: dt.datetime,
        session: SessionInfo,
        defaults: tuple[int | None, int | None],
    ) -> Segment:
        def fail(key: str | None, message: str) -> AgendaError:
            return self.segment_error(index, item, key, message)

        text = {
            key: self._text(item, key, error=fail) for key in ("speaker", "role", "organization", "country", "notes")
        }
        kind = self._text(item, "kind", error=fail) or "other"
        tz_name = item.get("timezone")
        if tz_name is not None:
            try:
                zone(tz_name)
            except ValueError as error:
                raise fail("timezone", str(error)) from None
        flexible = item.get("flexible", False)
        if not isinstance(flexible, bool):
            raise fail("flexible", "must be true or false")
        duration = elapsed_s(start, end)
        min_duration = duration // 2 if flexible else duration
        if "min_duration" in item:
            if not flexible:
                raise fail("min_duration", "only a flexible segment can shrink; add flexible = true")
            try:
                min_duration = parse_duration(item["min_duration"])
            except ValueError as error:
                raise fail("min_duration", str(error)) from None
            if min_duration > duration:
                raise fail("min_duration", f"is longer than the segment ({format_duration(duration)})")
        wrap_up, final = defaults
        if "warnings" in item:
            wrap_up, final = self._warnings(item["warnings"], defaults, (index, item))
        # A threshold as long as the segment would fire the moment it starts.
        if wrap_up is not None and wrap_up >= duration:
            wrap_up = None
        if final is not None and final >= duration:
            final = None
        zone_name = session.timezone
        return Segment(
            number=index + 1,
            title=title,
            start=pendulum.instance(start).in_tz(zone_name),
            end=pendulum.instance(end).in_tz(zone_name),
            speaker=text["speaker"],
            role=text["role"],
            organization=text["organization"],
            country=text["country"],
            timezone=tz_name,
            kind=kind,
            flexible=flexible,
            min_duration_s=min_duration,
            notes=text["notes"],
            wrap_up_s=wrap_up,
            final_s=final,
            messages=self._messages(item.get("messages", []), fail),
            id=self._text(item, "id", error=fail),
            email=self._email(item, "email", fail),
        )
