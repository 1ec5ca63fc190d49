"""Instants as the journal keeps them: a reading of every clock, and UTC epoch microseconds.

Pure conversions; the clocks themselves are read in `runofshow.clock`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import pendulum

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)
#: The zone pendulum gives an instant in UTC.
_PENDULUM_UTC = pendulum.instance(_EPOCH).tzinfo


@dataclass(frozen=True, slots=True)
class Reading:
    """One look at every clock at the same moment.

    `mono` counts through suspend and is what elapsed time is made of;
    `awake` stops during suspend, so `mono - awake` growing reveals one;
    `boot` tells whether two `mono` readings can be compared at all.
    """

    mono: float
    awake: float
    wall_us: int
    boot: str | None

    @property
    def wall(self) -> pendulum.DateTime:
        """The wall time as a pendulum instant in UTC."""
        return to_pendulum(self.wall_us)


def to_us(moment: dt.datetime) -> int:
    """A timezone-aware datetime as UTC epoch microseconds, exactly."""
    if moment.tzinfo is None:
        raise ValueError("need an aware datetime")
    # Integer arithmetic: exact, and immune to pendulum's own subtraction types.
    return calendar.timegm(moment.utctimetuple()) * 1_000_000 + moment.microsecond


def to_pendulum(wall_us: int) -> pendulum.DateTime:
    """Epoch microseconds as a pendulum instant in UTC.

    Built directly, with the zone pendulum.instance gives a UTC datetime: the
    same value, but without instance's zone lookups and conversion, which
    cost eight times as much (the live screen makes several a second).
    """
    moment = _EPOCH + dt.timedelta(microseconds=wall_us)
    return pendulum.DateTime(
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond,
        tzinfo=_PENDULUM_UTC,
    )


def format_instant(wall_us: int) -> str:
    """ISO 8601 in UTC with microseconds and a Z, as the journal writes it."""
    return (_EPOCH + dt.timedelta(microseconds=wall_us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> int:
    """Parse an ISO 8601 instant (any offset, or Z) into epoch microseconds."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"instant without a time zone: {text!r}")
    try:
        return (moment - _EPOCH) // _MICRO
    except OverflowError:  # the year 1 east of UTC is before the year 1 in UTC
        raise ValueError(f"instant out of range: {text!r}") from None
