"""A session's takeovers, and the records a controller that was taken over kept: for the report.

Plain Python, like the rest of the report's model: read from the fold's
state and from the fenced rescue files of the session (`journal.rescue`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pendulum

from runofshow.domain.fold import State
from runofshow.domain.header import Header
from runofshow.domain.instants import to_pendulum
from runofshow.journal.rescue import find_fenced


@dataclass(frozen=True, slots=True)
class TakeoverReport:
    """A co-host took the session over from a silent controller: a new epoch."""

    seq: int
    at: pendulum.DateTime
    epoch: int
    by: str
    from_: str
    #: The silent controller's last record that the new one had.
    after: int
    silent_s: float


@dataclass(frozen=True, slots=True)
class FencedReport:
    """Records a controller wrote after it was taken over, which the hub refused: kept in a file, not in the figures."""

    path: str
    seqs: tuple[int, ...]
    #: Who had taken the room over, and when (as the file says; None if it does not).
    by: str | None
    at: str | None


def takeovers_of(engine: State) -> tuple[TakeoverReport, ...]:
    """Each takeover the journal records, oldest first."""
    return tuple(
        TakeoverReport(seq, to_pendulum(at_us), t.epoch, t.by, t.from_, t.after, t.silent_s)
        for seq, at_us, t in engine.takeovers
    )


def fenced_of(header: Header) -> tuple[FencedReport, ...]:
    """The files of this session's records that a hub refused after a takeover, found where rescue files go."""
    found = []
    for kept in find_fenced(header):
        about = kept.about or {}
        by, at = about.get("fenced_by"), about.get("fenced_at")
        found.append(
            FencedReport(
                str(kept.path),
                tuple(event.seq for event, _ in kept.events),
                by if isinstance(by, str) else None,
                at if isinstance(at, str) else None,
            )
        )
    return tuple(found)
