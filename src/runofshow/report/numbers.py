"""The report's numbers in words: whole seconds, durations, instants, lateness, parts that add up.

The small rules every cell and sentence of the report (`words`) is made of.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import zoneinfo
from collections.abc import Sequence

import pendulum

from runofshow.domain.events import WarningLevel
from runofshow.domain.progress import Crossing
from runofshow.words.timefmt import format_duration


def whole(seconds: float) -> int:
    """The one rounding rule for every figure shown: to the whole second, half up (docs/report.md).

    Every duration and over/under goes through it before it is worded, so a
    segment that "Took 5:01" against a plan of 5:00 never reads "±0:00".
    """
    return math.floor(seconds + 0.5)


def duration(seconds: float) -> str:
    """A duration as "1:30" or "1:30:00", rounded by the one rule."""
    return format_duration(whole(seconds))


def on_time(seconds: float) -> bool:
    """Whether an over/under rounds to nothing: "0:00", "on time", no colour."""
    return whole(seconds) == 0


def seconds(value: float | None) -> float | int | None:
    """A duration for CSV and JSON: milliseconds at most, and a whole number when it is one."""
    if value is None:
        return None
    rounded = round(value, 3)
    return int(rounded) if rounded == int(rounded) else rounded


def iso_us(wall_us: int, tz: str) -> str:
    """`iso` of an instant in epoch microseconds, by the standard library: a json of a segment paused a
    thousand times words two thousand instants, and pendulum takes a fortieth of a millisecond each."""
    moment = _EPOCH + dt.timedelta(microseconds=wall_us)
    return moment.astimezone(zone_of(tz)).isoformat()


@functools.lru_cache(maxsize=16)
def zone_of(tz: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(tz)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def iso(moment: pendulum.DateTime | None, tz: str) -> str | None:
    """ISO 8601 with the offset of `tz`, e.g. 2021-10-08T18:00:00+09:00."""
    return None if moment is None else moment.in_tz(tz).isoformat()


def signed(value: float | None) -> str:
    """An over/under as +3:00, -1:00 or 0:00."""
    if value is None:
        return ""
    return format_duration(whole(value), signed=True) if whole(value) else "0:00"


def warning_labels(warnings: Sequence[Crossing]) -> list[str]:
    """The warnings given, in order, with a run of overtime minutes shown as its last one."""
    labels: list[str] = []
    for index, crossing in enumerate(warnings):
        if crossing.level == WarningLevel.OVERTIME and index and warnings[index - 1].level == WarningLevel.OVERTIME:
            labels[-1] = crossing.label
        else:
            labels.append(crossing.label)
    return labels


def times(count: int, noun: str = "time") -> str:
    """ "once", "twice", "3 times"; or "1 pause", "2 pauses" for another noun."""
    if noun == "time":
        return "once" if count == 1 else "twice" if count == 2 else f"{count} times"
    return f"{count} {noun}" + ("" if count == 1 else "s")


def lengthened(seconds: float) -> str:
    """ "extended 2:00" or "shortened 1:00": a minus sign before a length is easy to miss."""
    if whole(seconds) < 0:
        return f"shortened {duration(-seconds)}"
    return f"extended {duration(seconds)}"


def lateness(offset: float) -> str:
    """ "on time", "1:00 late" or "0:30 early", for a start."""
    if on_time(offset):
        return "on time"
    return f"{format_duration(abs(whole(offset)))} {'late' if offset > 0 else 'early'}"


def rounded_parts(parts: Sequence[float], total: int) -> list[int]:
    """Whole seconds for each part that add up to `total`, the whole of their sum (largest remainders).

    Each part is its own rounding whenever those add up; otherwise the parts
    closest to the next second go up first, so "3:29 + 4:07 − 3:21" always
    reads as the "4:15" shown beside it.
    """
    floors = [math.floor(p) for p in parts]
    missing = total - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))
    for i in order[: max(0, missing)]:
        floors[i] += 1
    return floors


def net_words(seconds: int, more: str, less: str) -> str:
    """ "ran 4:07 over", "ran 3:21 shorter", "ran as planned": a net figure of whole seconds."""
    if seconds == 0:
        return "ran as planned in all"
    return f"ran {format_duration(abs(seconds))} {more if seconds > 0 else less}"


def signed_whole(seconds: int) -> str:
    """+2:00, -5:21 or 0:00, of whole seconds."""
    return format_duration(seconds, signed=True) if seconds else "0:00"
