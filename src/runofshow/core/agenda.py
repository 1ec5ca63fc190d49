"""Load and validate an agenda file into frozen dataclasses.

Everything a user can get wrong in an agenda ends in one `AgendaError` whose
text is a single line naming the file, the line, the segment and the field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import functools
import os
import re
import stat
import tomllib
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pendulum

from runofshow.core.text import literal, shorten
from runofshow.core.timefmt import format_duration
from runofshow.errors import RunofshowError

MAX_FILE_BYTES = 1_000_000
#: The most segments an agenda may have: each keypress does work in proportion to them.
MAX_SEGMENTS = 500
#: The deepest nesting of arrays, inline tables or dotted keys read; an agenda needs three.
MAX_NESTING = 32
MAX_SEGMENT = dt.timedelta(hours=12)
DEFAULT_WRAP_UP_S = 120
DEFAULT_FINAL_S = 60

SESSION_KEYS = ("title", "date", "timezone", "also_show", "host", "host_timezone")
WARNING_KEYS = ("wrap_up", "final")
SEGMENT_KEYS = (
    "start",
    "end",
    "duration",
    "title",
    "speaker",
    "role",
    "organization",
    "country",
    "timezone",
    "kind",
    "flexible",
    "min_duration",
    "notes",
    "warnings",
    "messages",
)
TOP_KEYS = ("session", "warnings", "messages", "segments")
#: The longest preset message: one line on a phone held upright.
MAX_MESSAGE = 120


class AgendaError(RunofshowError):
    """A mistake in an agenda file; `str()` is the one line to show the user."""


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """The `[session]` table: what the session is and which clocks matter."""

    title: str
    date: pendulum.Date
    timezone: str
    also_show: tuple[str, ...] = ()
    host: str | None = None
    host_timezone: str | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """One slot of the programme, with its planned times in the session's zone."""

    number: int
    title: str
    start: pendulum.DateTime
    end: pendulum.DateTime
    speaker: str | None = None
    role: str | None = None
    organization: str | None = None
    country: str | None = None
    timezone: str | None = None
    kind: str = "other"
    flexible: bool = False
    min_duration_s: int = 0
    notes: str | None = None
    wrap_up_s: int | None = DEFAULT_WRAP_UP_S
    final_s: int | None = DEFAULT_FINAL_S
    #: Messages to the speaker offered while this segment runs, after the agenda's own.
    messages: tuple[str, ...] = ()
    #: Epoch seconds of `start` and `end`, worked out once: the engine does its
    #: arithmetic on them many times a second, and pendulum's is slow.
    start_epoch: int = field(init=False, repr=False, compare=False)
    end_epoch: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_epoch", int(self.start.timestamp()))
        object.__setattr__(self, "end_epoch", int(self.end.timestamp()))

    @property
    def duration_s(self) -> int:
        """Planned length in whole seconds."""
        return self.end_epoch - self.start_epoch


@dataclass(frozen=True, slots=True)
class Gap:
    """Planned time between two segments where nothing is scheduled."""

    after: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Agenda:
    """A validated agenda; `source` is the file's text, kept for the journal header."""

    session: SessionInfo
    segments: tuple[Segment, ...]
    path: str
    source: str
    #: Messages to the speaker offered in every segment (`messages = [...]` at the top).
    messages: tuple[str, ...] = ()

    @property
    def start(self) -> pendulum.DateTime:
        """Planned start of the first segment."""
        return self.segments[0].start

    @property
    def end(self) -> pendulum.DateTime:
        """Planned end of the last segment."""
        return self.segments[-1].end

    @property
    def duration_s(self) -> int:
        """Planned length from first start to last end, gaps included."""
        return self.segments[-1].end_epoch - self.segments[0].start_epoch

    @property
    def gaps(self) -> tuple[Gap, ...]:
        """Every planned pause between consecutive segments."""
        found = []
        for before, after in zip(self.segments, self.segments[1:]):
            seconds = int((after.start - before.end).total_seconds())
            if seconds > 0:
                found.append(Gap(before.number, seconds))
        return tuple(found)

    def offset_of(self, segment: Segment) -> int:
        """Seconds from the planned session start to the planned start of `segment`."""
        return segment.start_epoch - self.segments[0].start_epoch


# ---------------------------------------------------------------------------
# Values


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_duration(text: str) -> int:
    """Parse "10m", "90s", "1h30m", "1m30s" into seconds; raise ValueError otherwise."""
    match = _DURATION.match(text.strip().lower()) if isinstance(text, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"bad duration {text!r} (use forms like 10m, 90s, 1h30m, 1m30s)")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_time(value: object) -> dt.time:
    """Parse "HH:MM" or "HH:MM:SS" (or a TOML local time) into a time of day."""
    if isinstance(value, dt.time) and not isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError("give a local time of day without an offset")
        return value.replace(microsecond=0)
    match = _TIME.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"bad time {_show(value)} (use HH:MM or HH:MM:SS)")
    hour, minute, second = (int(g) if g else 0 for g in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"bad time {_show(value)} (use HH:MM or HH:MM:SS)")
    return dt.time(hour, minute, second)


@functools.cache
def _iana_names() -> frozenset[str]:
    """The zones and links of the IANA database, less the files that are not places.

    `Factory` is no place's time; `localtime` and `posixrules` are copies of
    whatever zone a machine has; `posix/` and `right/` repeat the database.
    """
    names = zoneinfo.available_timezones() - {"Factory", "localtime", "posixrules"}
    return frozenset(name for name in names if not name.startswith(("posix/", "right/")))


def zone(name: str) -> pendulum.Timezone:
    """Return the IANA zone `name`; raise ValueError with a clear text if unknown.

    Only names of the IANA database are taken: `localtime` or `posixrules`
    are whatever the machine has, so one journal would replay to different
    instants on two machines.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"bad time zone {_show(name)} (use an IANA name like Asia/Seoul)")
    names = _iana_names()
    if names and name not in names:
        raise ValueError(f"unknown time zone {_show(name)} (use an IANA name like Asia/Seoul)")
    try:
        return pendulum.timezone(name)
    except Exception:  # pendulum raises InvalidTimezone, zoneinfo its own kinds
        raise ValueError(f"unknown time zone {_show(name)} (use an IANA name like Asia/Seoul)") from None


def _show(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return '"' + shorten(literal(text), 60) + '"'


# ---------------------------------------------------------------------------
# Where a key stands in the file, for messages


_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]\s*(#.*)?$")


class _Lines:
    """Find the line of a key by scanning the source; tomllib keeps no positions."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        self.blocks: dict[str, int] = {}
        self.segment_blocks: list[int] = []
        for index, line in enumerate(self.lines):
            if match := _ARRAY_TABLE.match(line):
                if match.group(1) == "segments":
                    self.segment_blocks.append(index)
            elif match := _TABLE.match(line):
                self.blocks.setdefault(match.group(1), index)

    def _key_in_block(self, start: int | None, key: str) -> int | None:
        if start is None:
            return None
        # "warnings.wrap_up" may be written as `warnings = { wrap_up = ... }`.
        for name in dict.fromkeys((key, key.split(".")[0])):
            pattern = re.compile(rf"^\s*\"?{re.escape(name)}\"?\s*=")
            for index in range(start + 1, len(self.lines)):
                line = self.lines[index]
                if _TABLE.match(line) or _ARRAY_TABLE.match(line):
                    break
                if pattern.match(line):
                    return index + 1
        return start + 1

    def table(self, name: str, key: str | None = None) -> int | None:
        """Line of `key` in `[name]`, or of the header when no key is given."""
        start = self.blocks.get(name)
        if key is None:
            return None if start is None else start + 1
        return self._key_in_block(start, key)

    def segment(self, index: int, key: str | None = None) -> int | None:
        """Line of `key` in the `index`-th `[[segments]]` block (0-based)."""
        if index >= len(self.segment_blocks):
            return None
        start = self.segment_blocks[index]
        return start + 1 if key is None else self._key_in_block(start, key)


# ---------------------------------------------------------------------------
# Loading


def _too_deep(source: str) -> int | None:
    """The line where arrays, inline tables or dotted keys nest deeper than MAX_NESTING, or None.

    tomllib recurses on nesting (a thousand `[` exhaust the stack) and takes
    quadratic time on long dotted keys, so both are bounded before it runs.
    A small scanner: strings and comments are skipped, brackets counted, and
    dots counted while a key is being read.
    """
    depth = 0
    dots = 0
    in_key = True  # at the start of a line (outside any array), or after `{` or `,` in an inline table
    stack: list[str] = []
    line = 1
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch in "\"'":
            quote = source[i : i + 3] if source.startswith(ch * 3, i) else ch
            i += len(quote)
            while i < n and not source.startswith(quote, i):
                if source[i] == "\\" and quote[0] == '"':
                    i += 1
                elif source[i] == "\n":
                    if len(quote) == 1:
                        break  # an unterminated string: tomllib reports it
                    line += 1
                i += 1
            i += len(quote)
            continue
        if ch == "#":
            while i < n and source[i] != "\n":
                i += 1
            continue
        if ch == "\n":
            line += 1
            if not stack:
                in_key, dots = True, 0
        elif ch in "[{":
            header = ch == "[" and not stack and in_key
            if not header:
                stack.append(ch)
                depth = len(stack)
                in_key = ch == "{"
                dots = 0
        elif ch in "]}":
            if stack:
                stack.pop()
        elif ch == "," and stack and stack[-1] == "{":
            in_key, dots = True, 0
        elif ch == "=":
            in_key = False
        elif ch == "." and in_key:
            dots += 1
        if depth > MAX_NESTING or dots > MAX_NESTING:
            return line
        depth = len(stack)
        i += 1
    return None


def load_agenda(path: str | Path) -> Agenda:
    """Read and validate the agenda at `path`; raise AgendaError on any mistake.

    Only a regular file of at most MAX_FILE_BYTES is read: a FIFO would wait
    forever for a writer, and /dev/zero never ends.
    """
    name = str(path)
    try:
        # Non-blocking, so that opening a FIFO with no writer returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise AgendaError(f"{name}: no such file") from None
    except PermissionError:
        raise AgendaError(f"{name}: permission denied") from None
    except OSError as error:
        raise AgendaError(f"{name}: cannot read: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise AgendaError(f"{name}: is a directory, not an agenda file")
        if not stat.S_ISREG(info.st_mode):
            raise AgendaError(f"{name}: is not a regular file (a pipe or a device?); give an agenda file")
        if info.st_size > MAX_FILE_BYTES:
            raise AgendaError(f"{name}: file is {info.st_size:,} bytes; an agenda may be at most 1 MB")
        chunks: list[bytes] = []
        left = MAX_FILE_BYTES + 1  # a file that grows while it is read is still cut off here
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 16))):
            chunks.append(chunk)
            left -= len(chunk)
        raw = b"".join(chunks)
    except OSError as error:
        raise AgendaError(f"{name}: cannot read: {error.strerror or error}") from None
    finally:
        os.close(fd)
    return parse_agenda(decode_agenda(raw, name), name)


def decode_agenda(raw: bytes, name: str) -> str:
    """Decode an agenda's bytes as UTF-8, naming the line of the first bad byte."""
    if len(raw) > MAX_FILE_BYTES:
        raise AgendaError(f"{name}: file is {len(raw):,} bytes; an agenda may be at most 1 MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise AgendaError(
            f"{name}:{line}: not UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def parse_agenda(source: str, name: str = "<agenda>") -> Agenda:
    """Validate agenda text; `name` is used in messages and kept as the path."""
    return _Parser(source, name).parse()


class _Parser:
    def __init__(self, source: str, name: str) -> None:
        self.source = source
        self.name = name
        self.lines = _Lines(source)

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
                return key, f"unknown key {_show(key)}{hint}"
        return None

    # -- top level ---------------------------------------------------------

    def parse(self) -> Agenda:
        if not self.source.strip():
            raise AgendaError(f"{self.name}: file is empty; an agenda needs [session] and [[segments]]")
        if (deep := _too_deep(self.source)) is not None:
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
            if len(item) > MAX_MESSAGE or "\n" in item:
                raise fail("messages", f"{_show(shorten(item, 40))} is too long for one line (at most {MAX_MESSAGE})")
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
        host = self._text(raw, "host", error=self.session_error)
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
        )

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
            raise self.session_error("date", f"bad date {_show(value)} (use YYYY-MM-DD)")
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
        for index, item in enumerate(raw):
            if unknown := self._unknown(list(item), SEGMENT_KEYS):
                key, message = unknown
                raise self.segment_error(index, item, key, message)
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
            if duration is not None and _elapsed(start, end) != duration:
                raise fail(
                    "duration",
                    f"is {format_duration(duration)} but start to end is "
                    f"{format_duration(_elapsed(start, end))}; give one of them",
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
        length = _elapsed(start, end)
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
        duration = _elapsed(start, end)
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
        )


def _elapsed(start: dt.datetime, end: dt.datetime) -> int:
    """Real seconds from `start` to `end`; plain subtraction in one zone gives wall-clock seconds."""
    return int((end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds())


def bundled_agenda() -> Path:
    """The seed agenda shipped inside the package (or beside it in a checkout)."""
    name = "sse-alliances-2021-10-08.toml"
    packaged = Path(__file__).resolve().parent.parent / "agendas" / name
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "agendas" / name
