"""Read one cell as what its column means: a time, a range of times, a length, a flag, or text.

Each reader takes the cell as openpyxl or csv gave it and raises ValueError
with the words the user sees after the row and column, e.g.
`"18:6O" is not a time (use HH:MM, like 18:06)`.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from runofshow.domain.agenda.values import parse_duration
from runofshow.interop.sheet import BadDate, Formula, is_blank
from runofshow.words.text import literal, shorten

_CLOCK = re.compile(r"^(\d{1,2})[:.h](\d{2})(?::(\d{2}))?\s*([ap])?\.?\s*(?:m\.?)?$", re.IGNORECASE)
_RANGE = re.compile(r"^(.*?)\s*(?:-|–|—|‒|\bto\b|\buntil\b)\s*(.*)$", re.IGNORECASE)
_MINUTES = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:min|mins|minute|minutes|m|')?$", re.IGNORECASE)
_HMS = re.compile(r"^(\d+):(\d{2})(?::(\d{2}))?$")
_SALUTATION = re.compile(r"^(?:mr|mrs|ms|mx|miss)\.?\s+", re.IGNORECASE)
_BULLETS = "-–—•*"
ON = frozenset({"yes", "y", "true", "x", "✓", "✔", "1", "on"})
OFF = frozenset({"no", "n", "false", "0", "off", ""})
BLANK = object()  #: a warning cell left empty: the agenda's default applies


def show(value: object) -> str:
    """A cell's value as the user would recognize it in a message."""
    if isinstance(value, Formula):
        return f'"{shorten(literal(value.text), 60)}"'
    if isinstance(value, str):
        return f'"{shorten(literal(value), 60)}"'
    if isinstance(value, BadDate):
        return shorten(literal(value.serial), 60)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return shorten(literal(str(value)), 60)


def _no_formula(value: object) -> None:
    if isinstance(value, Formula):
        raise ValueError(
            f"the formula {show(value)} has no saved value; open the file in a spreadsheet and save it again"
        )
    if isinstance(value, BadDate):
        raise ValueError(f"{show(value)} is a date serial number outside the calendar; type the value again")


def clock(value: object) -> tuple[dt.time, dt.date | None]:
    """A time of day, and the date if the cell held a whole date and time."""
    _no_formula(value)
    if isinstance(value, dt.datetime):
        # A spreadsheet keeps times as fractions of a day: 18:11 may come back as 18:10:59.999998.
        rounded = value.replace(tzinfo=None) + dt.timedelta(microseconds=500_000)
        return rounded.time().replace(microsecond=0), rounded.date()
    if isinstance(value, dt.time):
        return _rounded(value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6), None
    if isinstance(value, dt.timedelta) and dt.timedelta(0) <= value < dt.timedelta(days=1):
        return _rounded(value.total_seconds()), None
    if isinstance(value, str):
        if parsed := _clock_text(value.strip().rstrip(":")):
            return parsed, None
        raise ValueError(f"{show(value)} is not a time (use HH:MM, like 18:06)")
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{show(value)} is a number, not a time; format the column as time, or write HH:MM")
    raise ValueError(f"{show(value)} is not a time (use HH:MM, like 18:06)")


def _rounded(seconds: float) -> dt.time:
    whole = round(seconds) % 86400
    return dt.time(whole // 3600, whole // 60 % 60, whole % 60)


def _clock_text(text: str) -> dt.time | None:
    match = _CLOCK.match(text)
    if not match:
        return None
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if meridiem := (match.group(4) or "").lower():
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


def time_range(value: object) -> tuple[dt.time | None, dt.time | None, dt.date | None]:
    """ "18:11-18:21", "18:11–18:21", "18:11 to 18:21", or one time: (start, end, date)."""
    _no_formula(value)
    if not isinstance(value, str):
        start, day = clock(value)
        return start, None, day
    text = " ".join(value.split())
    match = _RANGE.match(text)
    if not match:
        start, day = clock(text)
        return start, None, day
    first, second = (part.strip().rstrip(":").strip() for part in match.groups())
    begins = _clock_text(first)
    end = _clock_text(second) if second else None
    if begins is None or (second and end is None):
        raise ValueError(f"{show(value)} is not a time range (use HH:MM-HH:MM, like 18:11-18:21)")
    return begins, end, None


def length(value: object) -> int:
    """A duration in seconds: a duration cell, a number of minutes, 10m, 1h30m, 0:10."""
    _no_formula(value)
    seconds: float
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, dt.time) and not isinstance(value, dt.datetime):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value) * 60
    elif isinstance(value, str):
        seconds = _length_text(value)
    else:
        raise ValueError(f"{show(value)} is not a length (use minutes, or forms like 10m, 1h30m)")
    if not math.isfinite(seconds) or abs(seconds - round(seconds)) > 0.01:
        raise ValueError(f"{show(value)} is not a whole number of seconds")
    if round(seconds) <= 0:
        raise ValueError(f"{show(value)} must be longer than zero")
    return round(seconds)


def _length_text(value: str) -> float:
    text = value.strip()
    if match := _MINUTES.match(text):
        return float(match.group(1)) * 60
    if match := _HMS.match(text):
        hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
        return hours * 3600 + minutes * 60 + secs
    try:
        return parse_duration(text.replace(" ", ""))
    except ValueError:
        raise ValueError(f"{show(value)} is not a length (use minutes, or forms like 10m, 1h30m)") from None


def warning(value: object) -> int | None | object:
    """A warning threshold in seconds, None for "off", or BLANK to keep the default."""
    _no_formula(value)
    if is_blank(value):
        return BLANK
    if value is False or (isinstance(value, str) and value.strip().casefold() in OFF - {""}):
        return None
    if value is True:
        raise ValueError(f"{show(value)} is not a length; give one like 2m, or off")
    return length(value)


def flag(value: object) -> bool:
    """yes/no, true/false, x, a tick, or a real boolean cell."""
    _no_formula(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().casefold() in ON | OFF:
        return value.strip().casefold() in ON
    raise ValueError(f"{show(value)} is not yes or no")


def text(value: object) -> str | None:
    """A cell as text, stripped; None when empty."""
    _no_formula(value)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return show(value)
    return str(value)


def title_and_speaker(value: str) -> tuple[str, str | None, str | None]:
    """Split a "Content" cell: the title, and a "- Mr. Young Kim / SSEGOV" line under it.

    Returns (title, speaker, organization); other lines stay as written.
    """
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[-1].startswith(tuple(_BULLETS)):
        return value.strip(), None, None
    who = lines[-1].lstrip(_BULLETS).strip()
    title = "\n".join(lines[:-1])
    name, _, organization = (part.strip() for part in who.partition("/"))
    name = _SALUTATION.sub("", name).strip()
    return title, name or None, organization or None
