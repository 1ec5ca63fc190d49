"""What a journal's clock readings may say: the bounds that make a record one a session can have written.

A record whose checksum matches is still outside input: anyone can seal a
line. Its instants and monotonic readings are checked here, so that what
the fold and every front end compute from them is a time a session can have
(see docs/journal.md, "What a record's clocks may say"):

- every instant, in any record, is from the year 2000 to the year 2099;
- `mono` is a finite number of seconds from 0 to MAX_MONO_S (the uptime
  of a machine, which no machine reaches);
- a record's `wall` is at most a day before the header's and at most
  MAX_SESSION_S after it: a journal holds one session of at most 7 days;
- on one boot, `mono` never goes back (by more than MONO_SLACK_S), and the
  time since the journal began is at most MAX_SESSION_S and a day.
"""

from __future__ import annotations

import math

from runofshow.domain.instants import Reading, format_instant

#: The first instant a journal may hold: 2000-01-01T00:00:00Z, in epoch microseconds.
EARLIEST_US = 946_684_800_000_000
#: The first instant past what a journal may hold: 2100-01-01T00:00:00Z.
LATEST_US = 4_102_444_800_000_000
#: The largest `mono`: about 126 years of uptime.
MAX_MONO_S = 4e9
#: How long after its header a journal's records may be stamped: one session, at most 7 days.
MAX_SESSION_S = 7 * 86_400
#: How far before its header a record may be stamped (a wall clock set back since).
BEFORE_HEADER_S = 86_400
#: How far `mono` may seem to go back on one boot (rounding), in seconds.
MONO_SLACK_S = 0.001


def check_instant(us: int, what: str) -> int:
    """`us` if it is from the year 2000 to 2099; ValueError naming `what` otherwise."""
    if not EARLIEST_US <= us < LATEST_US:
        raise ValueError(f"{what} {format_instant(us)} is not between the years 2000 and 2099")
    return us


def check_mono(mono: object, what: str = "mono") -> float:
    """`mono` as a float, if it is a finite number from 0 to MAX_MONO_S; ValueError otherwise."""
    if type(mono) is int:
        mono = float(mono)
    if type(mono) is not float:
        raise ValueError(f"{what} must be a number of seconds")
    if not (math.isfinite(mono) and 0.0 <= mono <= MAX_MONO_S):
        raise ValueError(f"{what} {mono:g} is not a number of seconds from 0 to {MAX_MONO_S:g}")
    return mono


def check_follows(origin_us: int, last: Reading, reading: Reading, t: float) -> None:
    """Whether a record read at `reading`, `t` seconds into the journal, can follow one read at `last`.

    `origin_us` is the header's wall instant. Raise ValueError saying why not.
    """
    check_instant(reading.wall_us, "wall")
    check_mono(reading.mono)
    if reading.wall_us < origin_us - BEFORE_HEADER_S * 1_000_000:
        raise ValueError(
            f"wall {format_instant(reading.wall_us)} is more than a day before the session began "
            f"({format_instant(origin_us)})"
        )
    if reading.wall_us > origin_us + MAX_SESSION_S * 1_000_000:
        raise ValueError(
            f"wall {format_instant(reading.wall_us)} is more than {MAX_SESSION_S // 86_400} days after the "
            f"session began ({format_instant(origin_us)}); a journal holds one session of at most that"
        )
    if reading.boot is not None and reading.boot == last.boot and reading.mono < last.mono - MONO_SLACK_S:
        raise ValueError(
            f"mono {reading.mono:.6f} is {last.mono - reading.mono:.6f} s before the record before it, "
            "on the same boot, whose clock never goes back"
        )
    if t > MAX_SESSION_S + BEFORE_HEADER_S:
        raise ValueError(
            f"mono puts it {t / 86_400:.1f} days after the session began; a journal holds at most "
            f"{MAX_SESSION_S // 86_400} days"
        )
