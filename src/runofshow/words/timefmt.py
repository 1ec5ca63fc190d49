"""Every duration, clock time and offset the program prints is worded here, once.

Plain functions of numbers and instants, with no knowledge of the show: the
screens, the report, `check` and `status` all call these, so "1:30", "22m56s",
"18:36+1d" and "2:00 behind" read the same everywhere.
"""

from __future__ import annotations

import math

import pendulum

from runofshow.domain.instants import to_pendulum


def whole_seconds(seconds: float) -> int:
    """The one rounding rule for every figure shown: to the nearest whole second, halves up (towards later).

    Half up, not half away from zero, so that rounding commutes with adding
    whole seconds: the projected end (plan end + offset) and behind/ahead
    round the same way. 0.5 s late is "0:01 behind" and the 1 s the flexible
    plan asks to recover; 0.5 s early is on time (docs/figures.md).
    """
    return math.floor(seconds + 0.5)


def format_duration(seconds: float, *, signed: bool = False) -> str:
    """Show a duration as h:mm:ss or m:ss, e.g. 90 -> "1:30", 5400 -> "1:30:00"."""
    whole = whole_seconds(seconds)
    sign = "-" if whole < 0 else ("+" if signed and whole > 0 else "")
    total = abs(whole)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def format_length(seconds: float) -> str:
    """A length that cannot be read as a time of day: "22m56s", "1h02m", "45s", "10m"."""
    total = abs(whole_seconds(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def clock_time(
    moment: pendulum.DateTime,
    tz: str,
    *,
    first_day: pendulum.Date | None = None,
    with_seconds: bool = True,
) -> str:
    """ "18:36:30" or "18:36" in `tz`, marked "+1d" when it falls on a later day than `first_day`."""
    local = moment.in_tz(tz)
    days = 0 if first_day is None else (local.date() - first_day).days
    return local.format("HH:mm:ss" if with_seconds else "HH:mm") + (f"{days:+d}d" if days else "")


def nearest_minute_us(instant_us: int) -> int:
    """An instant (epoch µs) to the nearest whole minute, by the one rounding rule: whole seconds half up, then
    the minute half up (18:31:29.5 is 18:31:30, so 18:32; 18:31:29.4 is 18:31).

    Rounding the whole seconds first keeps it with `whole_seconds`: an instant that
    is the planned end plus a whole, rounded offset lands on the minute the
    offset, rounded the same way, says (docs/figures.md).
    """
    seconds = (instant_us + 500_000) // 1_000_000
    return (seconds + 30) // 60 * 60_000_000


def minute_clock(instant_us: int, zone: str) -> str:
    """ "18:36": an instant (epoch µs) in `zone` to the nearest minute (`nearest_minute_us`), as the agenda
    tables and status lines show a planned, projected, expected or actual time.

    An instant already on a whole minute shows as it is: a clock reading of now, cut to its minute, stays cut.
    """
    return to_pendulum(nearest_minute_us(instant_us)).in_tz(zone).format("HH:mm")


def describe_offset(seconds: float, *, ended: bool = False) -> str:
    """ "2:00 behind", "0:30 ahead" or "on time" while the show runs; "ended 0:30 early" once over.

    A session that ended early is not "ahead": whatever it left out is gone.
    """
    whole = whole_seconds(seconds)
    if whole == 0:
        return "ended on time" if ended else "on time"
    if ended:
        return f"ended {format_duration(abs(whole))} {'late' if whole > 0 else 'early'}"
    return f"{format_duration(abs(whole))} {'behind' if whole > 0 else 'ahead'}"


def spoken_minutes(seconds: float) -> str:
    """ "2 minutes", "1 minute", "20 seconds": how the time left is said aloud.

    Whole minutes, rounded up, down to half a minute; only the last 30 s are
    counted in seconds, because a cue read a few seconds late must still be true.
    """
    if seconds >= 30:
        minutes = max(1, math.ceil(seconds / 60 - 1e-9))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    whole = max(1, math.ceil(seconds))
    return f"{whole} second{'s' if whole != 1 else ''}"


def coarse_age(seconds: float) -> str:
    """How long ago, to the minute: "under a minute ago", "3:00 ago"."""
    return "under a minute ago" if seconds < 60 else f"{format_duration(seconds // 60 * 60)} ago"
