"""The view snapshots the browser pages get: one derivation, cut to what each token may see.

Everything worded here is worded by the same functions as on the terminal
(`countdown_text`, `describe_offset`, `format_duration`, the agenda table's
`planned_cell`, `start_cell` and `row_figures`): the page only subtracts the
time since the snapshot from a moving number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runofshow.domain.commands import Adopt, CommandError, Later
from runofshow.domain.decide import decide
from runofshow.domain.derive import SegmentView, View
from runofshow.domain.fold import State
from runofshow.domain.instants import Reading, to_us
from runofshow.words.cues import view_presets
from runofshow.words.display import (
    countdown_label,
    countdown_text,
    ended_text,
    flex_text,
    message_marks,
    planned_cell,
    row_figures,
    start_cell,
)
from runofshow.words.timefmt import describe_offset, format_duration, minute_clock

#: The only keys a stage-token holder ever gets. Notes, user, host and paths are not among them.
STAGE_KEYS = (
    "segment",
    "title",
    "speaker",
    "phase",
    "alert",
    "remaining_s",
    "elapsed_s",
    "allotted_s",
    "starts_in_s",
    "paused",
    "started",
    "ended",
    "seq",
    "message",
    "message_at",
    "message_seen",
)


def countdown(view: View) -> dict[str, Any]:
    """What the big number does from this snapshot on.

    `moving` numbers go down by one per second of real time (negative means
    overtime or lateness); the page shows them with the rounding of
    `countdown_text`. A number that is not moving is shown as `text`, which is
    exactly what the terminal shows.
    """
    text = countdown_text(view)
    if not view.started:
        if view.starts_in_s is not None and view.starts_in_s > 0:
            return {"moving": True, "value_s": round(view.starts_in_s, 3), "text": text}
        if view.offset_s >= 1:
            return {"moving": True, "value_s": round(-view.offset_s, 3), "text": text}
        return {"moving": False, "value_s": None, "text": text}
    if view.ended or view.paused:
        return {"moving": False, "value_s": None, "text": text}
    return {"moving": True, "value_s": round(view.remaining_s, 3), "text": text}


def stage_snapshot(view: View) -> dict[str, Any]:
    """The stage display's fields, and nothing else."""
    status = view.as_status()
    out = {key: status.get(key) for key in STAGE_KEYS}
    out["countdown"] = countdown(view)
    out["label"] = countdown_label(view, page=True)
    return out


def cohost_snapshot(
    view: View,
    session_title: str,
    owner: str,
    agenda_messages: tuple[str, ...] = (),
    allowed: Mapping[str, bool] | None = None,
) -> dict[str, Any]:
    """Everything `runofshow follow` shows: the status, every row of the agenda, notes, behind/ahead.

    For a control link's buttons, the presets the moderator's message prompt
    offers now, and whether adopt and later would be taken (`allowed`, from `possible`).
    """
    out = view.as_status()
    out["presets"] = list(view_presets(view, agenda_messages))
    out.update(allowed or {"can_adopt": False, "can_later": False})
    zone = view.segments[0].zone
    out["session"] = session_title
    out["zone"] = zone
    out["owner"] = owner
    out["countdown"] = countdown(view)
    out["label"] = countdown_label(view, page=True)
    out["offset_text"] = describe_offset(view.offset_s, ended=view.ended)
    out["projected_end_text"] = minute_clock(to_us(view.projected_end), zone)
    out["planned_end_text"] = minute_clock(to_us(view.planned_end), zone)
    # Once ended, the end said once, as the terminal's status line says it.
    out["ended_text"] = ended_text(view, zone) if view.ended else None
    out["message_marks"] = message_marks(view)
    out["notes"] = view.focus.segment.notes
    out["flex_text"] = flex_text(view)
    out["uncertain"] = view.uncertain
    upcoming = view.next_segment
    out["next"] = (
        None
        if upcoming is None
        else {
            "title": upcoming.segment.title,
            "speaker": upcoming.segment.speaker,
            "allotted_s": upcoming.allotted_s,
            # What it has left: a segment moved later, or left part-way, does not start from its whole length.
            "length": format_duration(upcoming.left_s),
        }
    )
    rows = []
    for row in view.segments:
        # The view's expected start, as the terminal's table has it: only for a segment `next` will still reach.
        rows.append(
            {
                "segment": row.number,
                "title": row.segment.title,
                "speaker": row.segment.speaker,
                "status": row.status,
                "planned": planned_cell(row.planned_start_us, row.planned_end_us, zone, row.adopted_s),
                "started": None if row.actual_start_us is None else minute_clock(row.actual_start_us, zone),
                "expected": None if row.expected_start_us is None else minute_clock(row.expected_start_us, zone),
                "start": start_cell(row.actual_start_us, row.expected_start_us, zone),
                "allotted_s": row.allotted_s,
                "actual_s": None if row.actual_s is None else round(row.actual_s, 3),
                "delta_s": None if row.delta_s is None else round(row.delta_s, 3),
                "skipped": row.skipped,
                "adopted_s": row.adopted_s,
                "later": row.laters > 0,
                "notes": row.segment.notes,
                **_took(row),
            }
        )
    out["rows"] = rows
    return out


def possible(state: State, reading: Reading) -> dict[str, bool]:
    """Whether "adopt" and "later" would be taken now, so a control page offers them only then.

    Asked of `decide` itself: the page offers exactly what the controller would do.
    """
    out = {}
    for key, command in (("can_adopt", Adopt()), ("can_later", Later())):
        try:
            decide(state, command, reading)
        except CommandError:
            out[key] = False
        else:
            out[key] = True
    return out


def _took(row: SegmentView) -> dict[str, str]:
    """The agenda table's "Took" and "+/−" cells, worded as in the terminal's table."""
    took, delta, tone = row_figures(row)
    return {"took": took, "delta": delta, "delta_class": tone}
