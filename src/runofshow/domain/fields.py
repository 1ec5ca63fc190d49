"""A journal record's vocabulary: its types, warning levels, and the checked reading of its `data`.

Kept apart from the payloads (`events`) that use it; `events` re-exports
every name, so readers import them from there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from runofshow.domain.agenda.model import MAX_SEGMENTS
from runofshow.domain.bounds import check_instant
from runofshow.domain.instants import parse_instant


class ReplayError(Exception):
    """A record that cannot be part of the session's history.

    Either its data is not what its type says (raised when it is decoded), or
    the event cannot follow the ones before it (raised by the fold).
    """


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
    LATER = "later"
    ADOPT = "adopt"
    SEEN = "seen"
    TAKEOVER = "takeover"


class WarningLevel(StrEnum):
    """The threshold a `warning` record says was crossed.

    Not a view's alert (`derive.Urgency`), though three of the spellings are
    the same: `time_up` is only ever a record's, and a view has no level for it.
    """

    WRAP_UP = "wrap_up"
    FINAL = "final"
    TIME_UP = "time_up"
    OVERTIME = "overtime"


# -- reading one record's data -------------------------------------------------------


class Fields:
    """A record's `data` object, read for one event type: each read checks a type and a range.

    Types are checked exactly (`type(x) is int` also refuses a bool). Keys a
    type does not know are ignored, as they always were.
    """

    __slots__ = ("_kind", "_data")

    def __init__(self, kind: EventType, data: Mapping[str, Any]) -> None:
        self._kind = kind
        self._data = data

    def _refuse(self, key: str, what: str) -> ReplayError:
        return ReplayError(f"{self._kind}: {key} must be {what}")

    def has(self, key: str) -> bool:
        return key in self._data

    def segment(self, key: str) -> int:
        value = self._data.get(key)
        if type(value) is not int or not 1 <= value <= MAX_SEGMENTS:
            raise self._refuse(key, f"a segment number (1 to {MAX_SEGMENTS})")
        return value

    def number(self, key: str, *, limit: float = math.inf, at_least: float = -math.inf) -> float:
        value = self._data.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value) and at_least <= value <= limit:
                return float(value)
        if math.isfinite(limit):
            raise self._refuse(key, f"a finite number from {at_least:g} to {limit:g}")
        raise self._refuse(key, "a finite number" + (f", at least {at_least:g}" if math.isfinite(at_least) else ""))

    def whole(self, key: str, *, at_least: int) -> int:
        value = self._data.get(key)
        if type(value) is not int or value < at_least:
            raise self._refuse(key, f"a whole number, at least {at_least}")
        return value

    def flag(self, key: str) -> bool:
        value = self._data.get(key)
        if type(value) is not bool:
            raise self._refuse(key, "true or false")
        return value

    def instant(self, key: str) -> int:
        value = self._data.get(key)
        try:
            if type(value) is not str:
                raise ValueError(value)
            return check_instant(parse_instant(value), key)
        except (ValueError, OverflowError):
            raise self._refuse(key, "an instant (ISO 8601 text) from the year 2000 to 2099") from None

    def text(self, key: str, *, limit: int) -> str:
        value = self._data.get(key)
        if type(value) is not str or len(value) > limit:
            raise self._refuse(key, f"at most {limit} characters of text")
        return value

    def level(self, key: str) -> WarningLevel:
        value = self._data.get(key)
        if type(value) is not str or value not in WarningLevel._value2member_map_:
            raise self._refuse(key, "one of " + ", ".join(WarningLevel))
        return WarningLevel(value)
