"""Read one cell as what its column means: a time, a range of times, a length, a flag, or text.

Each reader takes the cell as openpyxl or csv gave it and raises ValueError
with the words the user sees after the row and column, e.g.
`"18:6O" is not a time (use HH:MM, like 18:06)`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable

from runofshow.domain.agenda.values import parse_duration
from runofshow.interop.sheet import BadDate, Formula, is_blank
from runofshow.interop.table import length_text
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


_PAIR = re.compile(r"^(\d{1,3}):([0-5]\d)$")
HM, MS = "h:mm", "mm:ss"


def pair(value: object) -> tuple[int, int] | None:
    """(a, b) for a length written `a:bb`, which may be hours and minutes or minutes and seconds.

    Text `10:00`, and a time-of-day cell with no seconds: a spreadsheet takes a
    typed `10:00` for ten o'clock whatever the typist meant. A duration cell
    ([h]:mm:ss) and text with seconds (`0:10:00`) say which they are.
    """
    if isinstance(value, str) and (match := _PAIR.match(value.strip())):
        return int(match.group(1)), int(match.group(2))
    if isinstance(value, dt.time) and not isinstance(value, dt.datetime):
        seconds = round(value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6)
        if seconds % 60 == 0 and seconds:
            return seconds // 3600, seconds // 60 % 60
    return None


def read_pair(value: tuple[int, int], reading: str) -> int:
    """The seconds `a:bb` stands for, read as h:mm or mm:ss."""
    first, second = value
    return first * 3600 + second * 60 if reading == HM else first * 60 + second


def both_ways(value: object, pair_: tuple[int, int]) -> tuple[str, str]:
    """('"2:00" may be 2 hours or 2 minutes', "write 2h or 2m (or 2:00:00 or 0:02:00)")."""
    hours, minutes = (read_pair(pair_, reading) for reading in (HM, MS))
    return (
        f"{show(value)} may be {_spoken(hours)} or {_spoken(minutes)}",
        f"write {length_text(hours)} or {length_text(minutes)} (or {_hms(hours)} or {_hms(minutes)})",
    )


def _spoken(seconds: int) -> str:
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"  # pragma: no cover - every length is a whole number of seconds


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def day_fraction(value: object) -> int | None:
    """The seconds a number between 0 and 1 stands for as a fraction of a day (a General-format time), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        return None
    seconds = float(value) * 86400
    return round(seconds) if abs(seconds - round(seconds)) <= 0.01 else None


def length(value: object, *, day_fractions: bool = False) -> int:
    """A duration in seconds: a duration cell, a number of minutes, 10m, 1h30m, 0:10.

    With `day_fractions`, a number between 0 and 1 is a fraction of a day: the
    column holds times, and a cell formatted General shows its number.
    """
    _no_formula(value)
    seconds: float
    if day_fractions and (fraction := day_fraction(value)) is not None:
        seconds = fraction
    elif isinstance(value, dt.timedelta):
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
        if isinstance(value, int | float) and (fraction := day_fraction(value)) is not None:
            raise ValueError(
                f"{value:.6g} was read as a number of minutes ({seconds:.2f} seconds); as a fraction of a day "
                f"it is {_hms(fraction)}: format the column as a duration ([h]:mm:ss), or write {length_text(fraction)}"
            )
        if isinstance(value, int | float):
            raise ValueError(f"{show(value)} was read as a number of minutes, which is not a whole number of seconds")
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


def warning(value: object, read: Callable[[object], int] = length) -> int | None | object:
    """A warning threshold in seconds, None for "off", or BLANK to keep the default."""
    _no_formula(value)
    if is_blank(value):
        return BLANK
    if value is False or (isinstance(value, str) and value.strip().casefold() in OFF - {""}):
        return None
    if value is True:
        raise ValueError(f"{show(value)} is not a length; give one like 2m, or off")
    return read(value)


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
