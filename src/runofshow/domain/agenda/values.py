"""Load and validate an agenda file into frozen dataclasses.

Everything a user can get wrong in an agenda ends in one `AgendaError` whose
text is a single line naming the file, the line, the segment and the field.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

import pendulum

from runofshow.words.text import literal, shorten

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
        raise ValueError(f"bad time {quoted(value)} (use HH:MM or HH:MM:SS)")
    hour, minute, second = (int(g) if g else 0 for g in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"bad time {quoted(value)} (use HH:MM or HH:MM:SS)")
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
        raise ValueError(f"bad time zone {quoted(name)} (use an IANA name like Asia/Seoul)")
    names = _iana_names()
    if names and name not in names:
        raise ValueError(f"unknown time zone {quoted(name)} (use an IANA name like Asia/Seoul)")
    try:
        return pendulum.timezone(name)
    except Exception:  # pendulum raises InvalidTimezone, zoneinfo its own kinds
        raise ValueError(f"unknown time zone {quoted(name)} (use an IANA name like Asia/Seoul)") from None


def quoted(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return '"' + shorten(literal(text), 60) + '"'


def elapsed_s(start: dt.datetime, end: dt.datetime) -> int:
    """Real seconds from `start` to `end`; plain subtraction in one zone gives wall-clock seconds."""
    return int((end.astimezone(dt.UTC) - start.astimezone(dt.UTC)).total_seconds())
