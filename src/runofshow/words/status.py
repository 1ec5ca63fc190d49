"""The status document that integrators read: `status --json`, `GET /api/v1/status` and every control reply.

It is `derive.status_json` (the figures, from the one derivation) plus what a
button panel such as Bitfocus Companion shows without computing anything:
feedback booleans (running, paused, wrap-up, final, overtime, message
showing, link up) and variables already worded (the big number as the
screens show it, behind/ahead, the projected end on the session's clock).
Described by `sync/schemas/status.schema.json`; see docs/control.md.
"""

from __future__ import annotations

from typing import Any

from runofshow.domain.derive import Urgency, View, status_json
from runofshow.domain.instants import to_us
from runofshow.words.display import countdown_text
from runofshow.words.timefmt import describe_offset, minute_clock

#: The status document's version: raised only when a key changes meaning (keys are only ever added).
STATUS_VERSION = 1


def status_document(view: View, extra: dict[str, Any] | None = None, *, link_up: bool) -> dict[str, Any]:
    """The whole document: `status_json(view, extra)`, its version, the feedback booleans and worded variables.

    `link_up`: whether a controller is there to carry out commands (for
    `status --json`, whether one holds the journal; for the server, whether
    its channel to the moderator's process is open).
    """
    state = status_json(view, extra)
    running = view.started and not view.ended
    upcoming = view.next_segment
    zone = view.segments[0].zone
    state.update(
        {
            "version": STATUS_VERSION,
            "running": running and not view.paused,
            "wrap_up": running and view.alert == Urgency.WRAP_UP,
            "final": running and view.alert == Urgency.FINAL,
            "overtime": running and view.alert == Urgency.OVERTIME,
            "message_showing": view.message is not None,
            "link_up": link_up,
            "remaining_ms": round(state["remaining_s"] * 1000),
            "countdown": countdown_text(view),
            "next_title": None if upcoming is None else upcoming.segment.title,
            "next_speaker": None if upcoming is None else upcoming.segment.speaker,
            "offset_text": describe_offset(view.offset_s, ended=view.ended),
            "projected_end_clock": minute_clock(to_us(view.projected_end), zone),
        }
    )
    return state
