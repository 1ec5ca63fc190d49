"""The report as data for scripts: what json writes and csv flattens (docs/report.md)."""

from __future__ import annotations

from typing import Any

import pendulum

from runofshow.report.compare import Compared
from runofshow.report.model import OPEN, Part, SegmentReport, SessionReport
from runofshow.report.numbers import iso, iso_us, seconds
from runofshow.report.words import Shown, granted_delta

SEGMENT_FIELDS = (
    "number",
    "title",
    "speaker",
    "kind",
    "flexible",
    "status",
    "planned_start",
    "planned_end",
    "planned_duration_s",
    "allotted_s",
    "actual_start",
    "actual_end",
    "actual_duration_s",
    "delta_s",
    "paused_s",
    "pauses",
    "extended_s",
    "extensions",
    "skipped",
    "warnings",
    "granted_delta_s",
    "skips",
    "parts",
)
"""What each segment carries in JSON (docs/report.md)."""


def segment_record(segment: SegmentReport, tz: str) -> dict[str, Any]:
    """One segment as JSON: ISO 8601 times in `tz`, durations in seconds (docs/report.md)."""
    return {
        "number": segment.number,
        "title": segment.title,
        "speaker": segment.speaker,
        "kind": segment.kind,
        "flexible": segment.flexible,
        "status": segment.status,
        "planned_start": iso(segment.planned_start, tz),
        "planned_end": iso(segment.planned_end, tz),
        "planned_duration_s": segment.planned_s,
        "allotted_s": seconds(segment.allotted_s),
        "actual_start": iso(segment.actual_start, tz),
        "actual_end": iso(segment.actual_end, tz),
        "actual_duration_s": seconds(segment.actual_s),
        "delta_s": seconds(segment.delta_s),
        "paused_s": seconds(segment.paused_s),
        "pauses": segment.pauses,
        "extended_s": seconds(segment.extended_s),
        "extensions": segment.extensions,
        "skipped": segment.skipped,
        "warnings": [
            {"level": w.level, "minute": w.minute, "crossed_at": iso(pendulum.from_timestamp(w.crossed_us / 1e6), tz)}
            for w in segment.warnings
        ],
        "granted_delta_s": seconds(granted_delta(segment)),
        "skips": segment.skips,
        "parts": [
            [iso_us(a, tz), None if open_ else iso_us(b, tz)]
            for (a, b), open_ in zip(segment.runs, _open_flags(segment))
        ],
    }


def intervals(parts: list[list[str | None]]) -> str:
    """Parts as ISO 8601 intervals, "start/end; start/end", for a flat cell (csv, xlsx); an open one has no end."""
    return "; ".join(f"{start}/{end or ''}" for start, end in parts)


def _open_flags(segment: SegmentReport) -> list[bool]:
    """Which of a segment's runs is still under way: the last one of an open segment."""
    return [segment.status == OPEN and i == len(segment.runs) - 1 for i in range(len(segment.runs))]


def session_record(s: SessionReport, tz: str) -> dict[str, Any]:
    """The session and its totals as JSON."""
    record = {
        "title": s.title,
        "agenda_date": s.date.isoformat(),
        "mode": s.mode,
        "state": s.state,
        "timezone": tz,
        "session_timezone": s.timezone,
        "journal": s.journal,
        "session_id": s.session_id,
        "owner": s.owner,
        "agenda_path": s.agenda_path,
        "records": s.records,
        "planned_start": iso(s.planned_start, tz),
        "planned_end": iso(s.planned_end, tz),
        "planned_duration_s": s.planned_s,
        "actual_start": iso(s.actual_start, tz),
        "actual_end": iso(s.actual_end, tz),
        "last_record": iso(s.last_record, tz),
        "actual_duration_s": seconds(s.actual_s),
        "start_offset_s": seconds(s.start_offset_s),
        "end_offset_s": seconds(s.end_offset_s),
        "projected_end": iso(s.projected_end, tz),
        "paused_s": seconds(s.paused_s),
        "pauses": s.pauses,
        "extended_s": seconds(s.extended_s),
        "extensions": s.extensions,
        "overrun_s": seconds(s.overrun_s),
        "fixed_delta_s": seconds(s.end_part(Part.SEGMENT, flexible=False) if s.started else None),
        "flexible_delta_s": seconds(s.end_part(Part.SEGMENT, flexible=True) if s.started else None),
        "not_run_s": seconds(s.end_part(Part.UNRUN) if s.started else None),
        "rest_offset_s": seconds(s.end_part(Part.REST) if s.started else None),
        "largest_overruns": [{"number": o.number, "title": o.title, "delta_s": seconds(o.delta_s)} for o in s.overruns],
        "open_segment": None if s.open_segment is None else s.open_segment.number,
        "torn_line": s.torn_line,
        "uncertain": s.uncertain,
        "clock_jumps": s.clock_jumps,
        "suspends": s.suspends,
        "reopens": s.reopens,
    }
    if s.actions:  # only when there are any: reports of sessions run from the keyboard alone stay as they were
        record["actions"] = [
            {"seq": a.seq, "at": iso(a.at, tz), "actor": a.actor, "type": a.type, "data": a.data} for a in s.actions
        ]
    return record


def session_json(shown: Shown) -> dict[str, Any]:
    """One session and its segments, as json writes it."""
    segments = [segment_record(segment, shown.tz) for segment in shown.session.segments]
    return {"session": session_record(shown.session, shown.tz), "segments": segments}


def comparison_record(view: Compared) -> dict[str, Any]:
    """Every session in full, then the comparison of their segments and kinds."""
    sessions = [{"letter": letter, **session_json(shown)} for letter, shown in zip(view.letters, view.shown)]
    segments = [
        {
            "number": row.number,
            "title": row.title,
            "kind": row.kind,
            "planned_duration_s": row.planned_s,
            "numbers": [None if c is None else c.number for c in row.rows],
            "statuses": [None if c is None else c.status for c in row.rows],
            "actual_duration_s": [None if c is None else seconds(c.actual_s) for c in row.rows],
            "delta_s": [None if c is None else seconds(c.delta_s) for c in row.rows],
        }
        for row in view.comparison.segments
    ]
    kinds = [
        {
            "kind": kind.kind,
            "segments": list(kind.counts),
            "average_delta_s": [seconds(a) for a in kind.averages],
            "all_segments": kind.count,
            "all_average_delta_s": seconds(kind.average),
        }
        for kind in view.comparison.kinds
    ]
    return {"sessions": sessions, "comparison": {"sessions": view.letters, "segments": segments, "kinds": kinds}}
