"""A room's controller gone silent, taken over, and fenced: worded once for the follow and moderator screens.

Every name here (user@host) came from a journal or the hub: a screen shows
these lines through its literal path (rich Text), never as markup.
"""

from __future__ import annotations

from typing import Any

from runofshow.domain.instants import to_pendulum
from runofshow.words.timefmt import clock_time, format_duration

#: How long a room's controller may say nothing (no record, no heartbeat) before it counts as silent, in seconds.
DEFAULT_SILENT_AFTER_S = 10.0
#: The longest silence a co-host may ask to wait for, in seconds (an hour).
MAX_SILENT_AFTER_S = 3600.0


def silent_line(holder: str | None, silent_s: float, *, key: str | None) -> str:
    """The follow screen's line for a silent controller; with `key`, how to take over."""
    who = holder or "the controller"
    line = f"{who} silent for {format_duration(silent_s)}"
    return f"{line}: press {key} to take over" if key else line


def takeover_question(holder: str | None, silent_s: float, room: str) -> tuple[str, str]:
    """The confirmation before taking a room over, and its detail: whose it is and how long it has been silent."""
    who = holder or "its controller"
    return (
        f"Take over room {room} from {who}, silent for {format_duration(silent_s)}?",
        "This terminal becomes the room's controller; if the other one comes back, it only follows.",
    )


def not_silent(holder: str | None, silent_s: float, silent_after_s: float) -> str:
    """Why a takeover is refused while the controller still speaks."""
    who = holder or "the controller"
    return (
        f"not taken over: {who} was heard {format_duration(silent_s)} ago; "
        f"a controller is silent after {format_duration(silent_after_s)}"
    )


def taken_over_line(by: str, at_us: int | None, epoch: int | None, zone: str = "UTC") -> str:
    """What a controller that came back sees: someone else controls the room now (the time in the session's zone)."""
    when = "" if at_us is None else f" at {clock_time(to_pendulum(at_us), zone)}"
    which = "" if epoch is None else f" (epoch {epoch})"
    return f"{by} took this session over{when}{which}; this screen only follows it now"


def fenced_rescue_line(count: int, where: str | None, problem: str | None) -> str:
    """Where the records the hub refused (written after the takeover) were kept."""
    if problem is not None:
        return f"the records written here after the takeover could not be kept ({problem})"
    if not count or where is None:
        return "nothing written here was lost"
    return f"{count} record(s) written here after the takeover are kept in {where}; the report lists them"


def fenced_exit_line(fenced: Any, room: str) -> str:
    """The exit message of a controller that was taken over: by whom, and where its own last records are."""
    who = fenced.by or "another controller"
    where = fenced_rescue_line(fenced.count, None if fenced.path is None else str(fenced.path), fenced.problem)
    return f"room {room} was taken over by {who}; {where}"
