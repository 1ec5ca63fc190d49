"""The journal's records after the header: their types, and how they are written and read.

The spelling of every type and level here is the journal format: a StrEnum
member compares and serialises exactly as its string, so journals written
before these enums existed read the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from runofshow.domain.instants import format_instant, parse_instant

LIVE = "live"
REHEARSAL = "rehearsal"
#: A wall clock that disagrees with the monotonic clock by this much has been stepped.
JUMP_THRESHOLD_S = 1.0
#: Monotonic time that passed while the machine was not awake, above this, is a suspend.
SUSPEND_THRESHOLD_S = 2.0


class EventType(StrEnum):
    """What a record says happened."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    NEXT = "next"
    PREVIOUS = "previous"
    GOTO = "goto"
    EXTEND = "extend"
    SKIP = "skip"
    END = "end"
    WARNING = "warning"
    CLOCK_JUMP = "clock_jump"
    SUSPEND = "suspend"
    REOPEN = "reopen"
    DETACH = "detach"
    MESSAGE = "message"


class Level(StrEnum):
    """How urgent the current segment is: the warning levels a record names, and the alerts a view shows.

    `WRAP_UP`, `FINAL`, `TIME_UP` and `OVERTIME` are the levels of a `warning`
    record; a view's alert is one of `PENDING`, `RUNNING`, `WRAP_UP`, `FINAL`,
    `OVERTIME` or `DONE`, and its phase is the alert or `PAUSED`.
    """

    PENDING = "pending"
    RUNNING = "running"
    WRAP_UP = "wrap_up"
    FINAL = "final"
    TIME_UP = "time_up"
    OVERTIME = "overtime"
    PAUSED = "paused"
    DONE = "done"


#: The levels a `warning` record may carry.
WARNING_LEVELS = frozenset({Level.WRAP_UP, Level.FINAL, Level.TIME_UP, Level.OVERTIME})


@dataclass(frozen=True, slots=True)
class Event:
    """One journal record after the header."""

    seq: int
    type: str
    wall_us: int
    mono: float
    boot: str | None
    data: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The record as it is written to the journal."""
        return {
            "seq": self.seq,
            "type": self.type,
            "wall": format_instant(self.wall_us),
            "mono": self.mono,
            "boot": self.boot,
            "data": dict(self.data),
        }

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> Event:
        """Parse a journal record; raise ValueError if it is not one.

        On the replay path of every reader, so it checks types exactly
        (`type(x) is int` also refuses a bool) rather than with isinstance.
        An unknown `type` is kept: the fold refuses it, with the record's place.
        """
        try:
            seq, kind, wall, mono = record["seq"], record["type"], record["wall"], record["mono"]
        except KeyError as missing:
            raise ValueError(f"no {missing.args[0]!r} in the record") from None
        boot = record.get("boot")
        data = record.get("data", {})
        if type(seq) is not int or seq < 1:
            raise ValueError("seq must be a positive whole number")
        if type(kind) is not str or type(wall) is not str:
            raise ValueError("type and wall must be text")
        if type(mono) is int:
            mono = float(mono)
        elif type(mono) is not float or not math.isfinite(mono):
            raise ValueError("mono must be a number")
        if boot is not None and type(boot) is not str:
            raise ValueError("boot must be text or null")
        if type(data) is not dict:
            raise ValueError("data must be an object")
        return cls(seq, kind, parse_instant(wall), mono, boot, data)
