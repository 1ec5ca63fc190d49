"""Deciding on events: a command or the clock in, the event to record out.

Nothing here changes the state: the controller writes what these return to
the journal and then applies it, as every reader of the journal will.
"""

from __future__ import annotations

import math
from typing import Any

from runofshow.domain import events
from runofshow.domain.advice import advised_length
from runofshow.domain.agenda.model import MAX_SEGMENT
from runofshow.domain.commands import (
    NAMES,
    Adopt,
    Command,
    CommandError,
    End,
    Extend,
    Goto,
    Later,
    Message,
    Next,
    Pause,
    Previous,
    Resume,
    Seen,
    Skip,
    StaleCommand,
    Start,
    from_name,
)
from runofshow.domain.events import LIVE, MAX_MESSAGE, Payload, WarningLevel
from runofshow.domain.fold import State
from runofshow.domain.instants import Reading, to_us
from runofshow.domain.order import ahead, is_last, next_segment
from runofshow.words.timefmt import format_duration

#: The commands' names, as keys, the command line and the control API spell them.
COMMANDS = tuple(NAMES)

__all__ = ["COMMANDS", "ahead", "auto_adopt", "decide", "due_warnings", "event_for", "next_segment"]


def event_for(state: State, name: str, reading: Reading, **args: Any) -> Payload:
    """`decide` for a command given by name (`"goto", to=3`): for scripts, tests and the command line."""
    return decide(state, from_name(name, **args), reading)


#: Records that leave the running order and the clock as they were: a command sent on a picture
#: older than these is not stale (a warning or a message coming in between must not refuse `next`).
#: Any other type, one added later included, counts as a change.
QUIET_RECORDS = frozenset({"warning", "clock_jump", "suspend", "reopen", "detach", "message", "seen"})


def changes_order_or_clock(payload: Payload) -> bool:
    """Whether a record makes a picture taken before it stale (see QUIET_RECORDS)."""
    return payload.TYPE.value not in QUIET_RECORDS


def check_fresh(command: Command, seq: int, changed_seq: int) -> None:
    """Raise StaleCommand if `command` was sent on a picture older than the last change (record `changed_seq`).

    `seq` is the last record now. A seq from the future (another session's,
    or a journal started again) is stale too: the sender saw something else.
    """
    seen = command.if_seq
    if seen is None:
        return
    if seen > seq:
        raise StaleCommand(f"record {seen} is not in this session (it has {seq}); nothing was done")
    if seen < changed_seq:
        raise StaleCommand(
            f"the session changed since this was sent (record {changed_seq} after {seen}); nothing was done"
        )


def decide(state: State, command: Command, reading: Reading) -> Payload:
    """Validate `command` against the state now and return the event to record (its typed data).

    Raise CommandError, with a message for the moderator, if it makes no sense
    now. Whether it was sent on a stale picture (`if_seq`) is the
    controller's to check first (`check_fresh`): it knows which records changed the show.
    """
    if isinstance(command, Message):  # at any time: before the start, the stage may already show it
        return events.Message(_message(command.text), command.pinned and bool(command.text))
    if isinstance(command, Seen):
        shown = state.shown
        if shown is None:
            raise CommandError("no message is showing")
        if shown.seen_us is not None:
            raise CommandError("this message was seen already")
        return events.Seen(message=shown.seq)
    if state.ended:
        raise CommandError("the session has ended")
    if isinstance(command, Start):
        if state.started:
            raise CommandError("the session has already started")
        anchor = state.agenda.start if state.mode == LIVE else reading.wall
        return events.Start(anchor_us=to_us(anchor))
    if not state.started or state.current is None:
        raise CommandError("the session has not started yet")
    index = state.current
    number = index + 1
    last = len(state.agenda.segments)
    match command:
        case Pause():
            if state.paused:
                raise CommandError("already paused")
            return events.Pause(segment=number)
        case Resume():
            if not state.paused:
                raise CommandError("not paused")
            return events.Resume(segment=number)
        case Next() | Skip():
            if is_last(state, index):
                raise CommandError("this is the last segment; end the session instead")
            to = next_segment(state)
            if to is None:
                raise CommandError("every segment after this one has run or was skipped; end the session, or go to one")
            if isinstance(command, Skip):
                return events.Skip(segment=number, to=to + 1)
            return events.Next(from_=number, to=to + 1)
        case Previous():
            back = state.previous_target()
            if back is None:
                raise CommandError("this is the first segment")
            return events.Previous(from_=number, to=back + 1, undo=state.can_undo())
        case Goto(to=to):
            if not 1 <= to <= last:
                raise CommandError(f"there is no segment {to}; pick 1 to {last}")
            if to == number:
                raise CommandError(f"segment {to} is already current")
            return events.Goto(from_=number, to=to)
        case Extend(seconds=seconds):
            return events.Extend(segment=number, seconds=_extension(state, index, seconds))
        case Later(after=after):
            return _later(state, index, after)
        case Adopt():
            if not state.agenda.segments[index].flexible:
                raise CommandError(f"segment {number} is not flexible; only a flexible segment takes the advice")
            if state.segments[index].adopted_s is not None:
                raise CommandError(f"segment {number} already took the advice; use + and - to change it")
            length = advised_length(state, state.t_of(reading)[0])
            if length is None:
                raise CommandError("there is no advice to adopt: the show is not behind, or this segment cannot shrink")
            return events.Adopt(segment=number, seconds=float(length))
        case End():
            return events.End(segment=number)
    raise CommandError(f"unknown command {command!r}")


def _later(state: State, index: int, after: int | None) -> events.Later:
    to = next_segment(state)
    if to is None:
        raise CommandError("no segment is left to run after this one; extend it, or end the session")
    if after is None:
        after = to + 1
    elif not 1 <= after <= len(state.agenda.segments) or after == index + 1:
        raise CommandError(f"there is no other segment {after}; pick one still to run")
    elif not ahead(state, after - 1):
        raise CommandError(f"segment {after} is not still to run; pick one that is")
    return events.Later(segment=index + 1, after=after, to=to + 1)


def auto_adopt(state: State, reading: Reading) -> events.Adopt | None:
    """The adopted length to record on entering a flexible segment, when the agenda says `flex = "auto"`.

    Only right after the record that made the segment current, so a replay
    (which reads what was recorded) agrees, and a segment is resized once.
    """
    index = state.current
    if index is None or state.ended or state.entered_seq != state.seq or not state.agenda.session.flex_auto:
        return None
    if not state.agenda.segments[index].flexible:
        return None
    length = advised_length(state, state.t_of(reading)[0])
    if length is None or abs(length - state.allotted(index)) < 1:
        return None
    return events.Adopt(segment=index + 1, seconds=float(length), auto=True)


def _message(text: object) -> str:
    if not isinstance(text, str):
        raise CommandError("a message is text")
    if len(text) > MAX_MESSAGE:
        raise CommandError(f"a message is at most {MAX_MESSAGE} characters; this one is {len(text)}")
    return text


def _extension(state: State, index: int, seconds: object) -> float:
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds == 0:
        raise CommandError("extend needs a non-zero number of seconds")
    # Shortening stops at zero: a segment cannot be given less than no time.
    allotted = state.allotted(index)
    seconds = max(float(seconds), -allotted)
    if seconds == 0:
        raise CommandError("the segment has no time left to take away")
    # The agenda's own limit; far beyond it, instants such as the projected end overflow.
    if allotted + seconds > MAX_SEGMENT.total_seconds():
        raise CommandError(f"a segment can be given at most {format_duration(MAX_SEGMENT.total_seconds())}")
    return seconds


def due_warnings(state: State, reading: Reading) -> list[events.Warning]:
    """The warning events whose threshold has been crossed but not yet recorded.

    Each is stamped with the instant it was crossed, which may be earlier
    than now when it is noticed late (after a crash or a stall).
    """
    index = state.current
    running_since = state.running_since
    if index is None or state.ended or running_since is None:
        return []
    done = state.segments[index]
    segment = state.agenda.segments[index]
    t, _ = state.t_of(reading)
    elapsed = state.elapsed(index, t)
    allotted = state.allotted(index)
    due: list[tuple[float, WarningLevel, int]] = []
    thresholds = ((WarningLevel.WRAP_UP, segment.wrap_up_s), (WarningLevel.FINAL, segment.final_s))
    for level, threshold in (*thresholds, (WarningLevel.TIME_UP, 0)):
        if threshold is None or level in done.fired:
            continue
        at = allotted - threshold
        if elapsed >= at:
            due.append((at, level, 0))
    over = elapsed - allotted
    for minute in range(done.overtime_fired + 1, int(max(0.0, over) // 60) + 1):
        due.append((allotted + 60 * minute, WarningLevel.OVERTIME, minute))
    out = []
    for at, due_level, minute in sorted(due):
        crossed_t = max(running_since + (at - done.elapsed), running_since, done.changed_t)
        crossed_t = min(crossed_t, t)
        out.append(events.Warning(index + 1, due_level, minute, state.wall_at(crossed_t)))
    return out
