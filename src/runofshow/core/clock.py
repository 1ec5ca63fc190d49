"""The one place that reads time, and a fake clock that tests can move by hand.

Elapsed time comes from a monotonic clock that keeps counting through a
laptop's suspend (Linux CLOCK_BOOTTIME), because the room's clock keeps
running while the lid is shut. Wall time is a UTC instant in whole
microseconds, kept only for the journal and the display.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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


class Clock(Protocol):
    """Anything that can be read; the system clock or a fake one."""

    def read(self) -> Reading:
        """Read every clock at once."""
        ...


def _read_boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


class SystemClock:
    """The machine's clocks."""

    def __init__(self) -> None:
        self._boot = _read_boot_id()
        self._boottime = getattr(time, "CLOCK_BOOTTIME", None)

    def read(self) -> Reading:
        """Read CLOCK_BOOTTIME (or monotonic), CLOCK_MONOTONIC and the UTC wall clock."""
        awake = time.monotonic()
        mono = time.clock_gettime(self._boottime) if self._boottime is not None else awake
        return Reading(mono=mono, awake=awake, wall_us=time.time_ns() // 1000, boot=self._boot)


class FakeClock:
    """A clock for tests: monotonic and wall time move only when told, and separately."""

    def __init__(
        self, wall: str | dt.datetime = "2021-10-08T08:55:00Z", *, mono: float = 1000.0, boot: str = "boot-1"
    ) -> None:
        self.mono = mono
        self.awake = mono
        self.wall_us = parse_instant(wall) if isinstance(wall, str) else to_us(wall)
        self.boot: str | None = boot

    def read(self) -> Reading:
        """The current fake readings."""
        return Reading(mono=self.mono, awake=self.awake, wall_us=self.wall_us, boot=self.boot)

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass normally: every clock moves together."""
        self.mono += seconds
        self.awake += seconds
        self.wall_us += round(seconds * 1_000_000)

    def step_wall(self, seconds: float) -> None:
        """Step the wall clock alone, as NTP or a user changing the time would."""
        self.wall_us += round(seconds * 1_000_000)

    def suspend(self, seconds: float) -> None:
        """A laptop sleeping: boot time and wall time move, the awake clock does not."""
        self.mono += seconds
        self.wall_us += round(seconds * 1_000_000)

    def reboot(self, downtime: float, *, boot: str = "boot-2", uptime: float = 30.0) -> None:
        """The machine restarts: a new boot id and monotonic clocks that start over."""
        self.boot = boot
        self.mono = uptime
        self.awake = uptime
        self.wall_us += round(downtime * 1_000_000)

    def set_wall(self, wall: str) -> None:
        """Move every clock so that the wall clock reads `wall` (forward only)."""
        delta = (parse_instant(wall) - self.wall_us) / 1_000_000
        if delta < 0:
            raise ValueError("a fake clock only moves forward; use step_wall for a backward step")
        self.advance(delta)


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
    return (moment - _EPOCH) // _MICRO
