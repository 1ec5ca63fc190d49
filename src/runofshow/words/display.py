"""What the big number shows, when it next changes, and how far off plan the show is: for every front end."""

from __future__ import annotations

import math

from runofshow.domain.derive import RowStatus, SegmentView, Urgency, View
from runofshow.domain.instants import to_us
from runofshow.words.timefmt import describe_offset, format_duration, format_length, minute_clock, whole_seconds


def countdown_text(view: View) -> str:
    """The big number: m:ss left (rounded up), +m:ss over (rounded down), or the wait before a live start.

    Rounding up while counting down means 0:00 appears exactly when time is
    up; rounding down in overtime means +0:01 appears one second later.
    """
    if not view.started:
        if view.starts_in_s is not None and view.starts_in_s > 0:
            return format_duration(math.ceil(view.starts_in_s - 1e-9))
        if view.offset_s >= 1:  # a live session past its planned start: how late it is
            return "+" + format_duration(math.floor(view.offset_s + 1e-9))
        return format_duration(view.focus.allotted_s)
    if view.ended:
        # Start to end, pauses included: how long the audience was there.
        return format_duration(view.total_s)
    remaining = view.remaining_s
    if remaining > 0:
        return format_duration(math.ceil(remaining - 1e-9))
    return "+" + format_duration(math.floor(-remaining + 1e-9))


#: The words over the big number, by what it shows: (on the terminal, on a browser page). The
#: terminal says what the number counts, shouts an alarm and names the key that starts the show;
#: a page, which starts nothing, names the state and leaves the number to speak.
_LABELS: dict[str, tuple[str, str]] = {
    "starts_in": ("starts in", "starts in"),
    "late": ("LATE · space starts it", "late start"),
    "waiting": ("space starts it", "not started"),
    "ended": ("session ended · total", "session ended"),
    "paused": ("PAUSED · left", "paused"),
    "paused_over": ("PAUSED · over", "paused"),
    "over": ("TIME'S UP · over by", "time's up · over by"),
    Urgency.WRAP_UP: ("WRAP UP · left", "wrap up"),
    Urgency.FINAL: ("FINAL MINUTE · left", "final minute"),
    "left": ("left", "left"),
}


def countdown_label(view: View, *, page: bool = False) -> str:
    """The words over the big number `countdown_text` shows: on the terminal, or on a browser `page`."""
    return _LABELS[_showing(view)][page]


def _showing(view: View) -> str:
    """What the big number is showing now, as a key of `_LABELS`."""
    if not view.started:
        if view.starts_in_s is not None and view.starts_in_s > 0:
            return "starts_in"
        return "late" if view.offset_s >= 1 else "waiting"
    if view.ended:
        return "ended"
    if view.paused:
        return "paused_over" if view.remaining_s <= 0 else "paused"
    if view.remaining_s <= 0:
        return "over"
    return view.alert if view.alert in (Urgency.WRAP_UP, Urgency.FINAL) else "left"


def seconds_to_next_change(view: View) -> float:
    """How long until the big number next changes, from the view's own figures."""
    if not view.started:
        if view.starts_in_s is not None and view.starts_in_s > 0:
            return _to_boundary(view.starts_in_s)
        if view.offset_s > 0:  # late for a live start: the lateness grows every second
            return _to_boundary(-view.offset_s)
        return math.inf
    if view.ended or view.paused:
        return math.inf
    return _to_boundary(view.remaining_s)


def _to_boundary(value: float) -> float:
    fraction = value - math.floor(value)
    return fraction if fraction > 1e-6 else 1.0


def row_figures(row: SegmentView) -> tuple[str, str, str]:
    """An agenda row's "Took" and "+/−" cells, and "over", "under" or "" for one worth colouring.

    A segment moved later that is still to run says "later" for its "+/−": it has not run its time yet.

    Worded once for the terminal's table and the co-host page.
    """
    delta_s = row.delta_s or 0.0
    if row.status is RowStatus.CURRENT:
        took, delta = "▶ now", ""
    elif row.actual_s is not None:
        took = format_duration(row.actual_s)
        # Rounded as "Took" and the report round it, so that 10:01 is never beside 0:00.
        delta = format_duration(delta_s, signed=True)
    else:
        took, delta = "", ""
    if row.skipped:
        took = f"skip {took}".strip()
    elif row.laters and row.expected_start_us is not None:
        # Moved later and still to run: what it ran so far, and no verdict before it has run the rest.
        return took, "later", ""
    late = row.status in (RowStatus.DONE, RowStatus.SKIPPED) and whole_seconds(delta_s) != 0
    return took, delta, ("over" if delta_s > 0 else "under") if late else ""


def planned_cell(start_us: int, end_us: int, zone: str, adopted_s: float | None = None) -> str:
    """An agenda row's "Planned" cell, "18:11–18:21", for the terminal's table and the co-host page.

    A segment that adopted the shrink advice shows its start and the length
    adopted instead: "18:51 →18m39s".
    """
    if adopted_s is not None:
        return f"{minute_clock(start_us, zone)} →{format_length(adopted_s)}"
    return f"{minute_clock(start_us, zone)}–{minute_clock(end_us, zone)}"


def message_marks(view: View) -> str:
    """What the moderator and co-hosts see beside the message: "pinned", and "✓ seen" once the speaker said got it."""
    marks = ("pinned" if view.message_pinned else "", "✓ seen" if view.message_seen else "")
    return "  ".join(mark for mark in marks if mark)


def start_cell(started_us: int | None, expected_us: int | None, zone: str) -> str:
    """An agenda row's "Start" cell: when it started, "~18:26" when it is ahead and expected then, else "".

    The expected start is the view's (`SegmentView.expected_start_us`): only
    segments that `next` will still reach have one (docs/figures.md).
    """
    if started_us is not None:
        return minute_clock(started_us, zone)
    if expected_us is not None:
        return f"~{minute_clock(expected_us, zone)}"
    return ""


def flex_advice(view: View) -> tuple[str, str, str]:
    """The shrink advice in three parts, for a screen that styles each: the lead, the segments, and the loss.

    ("To end on time, shrink ", "#8 to 19m04s, #9 to 7m56s", "; 2m can't be recovered"),
    the last "" when the slack absorbs it all; ("Nothing flexible is left: ", "",
    "4m14s can't be recovered") when behind with no flexible segment left to give;
    all three "" when the show needs no shrinking (docs/figures.md). Joined, they
    are `flex_text`.
    """
    if not view.flex:
        if view.unrecoverable_s >= 1:  # behind, and no flexible segment left to give: say so, every time
            return "Nothing flexible is left: ", "", f"{format_length(view.unrecoverable_s)} can't be recovered"
        return "", "", ""
    shrink = ", ".join(f"#{f.number} to {format_length(f.shrink_to_s)}" for f in view.flex)
    lost = f"; {format_length(view.unrecoverable_s)} can't be recovered" if view.unrecoverable_s >= 1 else ""
    return "To end on time, shrink ", shrink, lost


def flex_text(view: View) -> str:
    """The shrink advice as one sentence, or "" when none is needed: for the co-host page and `status`."""
    return "".join(flex_advice(view))


def ended_text(view: View, zone: str) -> str:
    """Once the session has ended, when and how far off plan, said once: "ended 19:34, 4:15 late (plan 19:30)"."""
    how = describe_offset(view.offset_s, ended=True).removeprefix("ended ")
    end, plan = minute_clock(to_us(view.projected_end), zone), minute_clock(to_us(view.planned_end), zone)
    return f"ended {end}, {how} (plan {plan})"
