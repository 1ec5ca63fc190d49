"""The show's state machine: commands in, events out, state derived from events.

The only way state changes is `Engine.apply(event)`. A live controller decides
on an event, writes it to the journal and applies it; a follower or a report
applies the same events read back from the journal. Both therefore hold the
same state by construction.

Time inside the engine is a private axis `t` in seconds since the journal was
created. Between two events of the same boot it advances by the monotonic
clock; across a reboot, where monotonic readings cannot be compared, by the
wall clock (and the state is flagged `uncertain`). Remaining time, offsets and
warnings are all computed on this axis, so a wall-clock step changes none of
them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pendulum

from runofshow.core.agenda import MAX_SEGMENT, Agenda, Segment, format_duration
from runofshow.core.clock import Reading, format_instant, parse_instant, to_pendulum, to_us
from runofshow.errors import RunofshowError

LIVE = "live"
REHEARSAL = "rehearsal"
#: A wall clock that disagrees with the monotonic clock by this much has been stepped.
JUMP_THRESHOLD_S = 1.0
#: Monotonic time that passed while the machine was not awake, above this, is a suspend.
SUSPEND_THRESHOLD_S = 2.0
#: How many moves `previous` can undo in a row.
UNDO_DEPTH = 64

COMMANDS = ("start", "pause", "resume", "next", "previous", "goto", "extend", "skip", "end")


class CommandError(RunofshowError):
    """A command that makes no sense now (e.g. pause before start); nothing was recorded."""


class ReplayError(Exception):
    """An event that cannot follow the ones before it: the journal is not a valid history."""


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


@dataclass(frozen=True, slots=True)
class Crossing:
    """A threshold crossing: wrap-up, final minute, time's up, or a further overtime minute."""

    level: str
    minute: int
    crossed_us: int

    @property
    def label(self) -> str:
        """Short human name, e.g. "wrap-up" or "+3 min"."""
        return {"wrap_up": "wrap-up", "final": "final", "time_up": "time's up"}.get(self.level, f"+{self.minute} min")


@dataclass(slots=True)
class SegmentState:
    """What has happened to one segment so far."""

    elapsed: float = 0.0
    paused_s: float = 0.0
    extended_s: float = 0.0
    first_start_t: float | None = None
    first_start_us: int | None = None
    last_end_t: float | None = None
    last_end_us: int | None = None
    skipped: bool = False
    pauses: int = 0
    extensions: int = 0
    fired: set[str] = field(default_factory=set)
    overtime_fired: int = 0
    warnings: list[Crossing] = field(default_factory=list)
    changed_t: float = 0.0


@dataclass(frozen=True, slots=True)
class _Entry:
    """How the current segment was entered, so that `previous` can undo it."""

    came_from: int
    to: int
    elapsed: float
    paused_s: float
    first_start_t: float | None
    first_start_us: int | None
    last_end_t: float | None
    last_end_us: int | None


@dataclass(frozen=True, slots=True)
class Flex:
    """What one flexible segment must shrink to for the show to end on time."""

    number: int
    allotted_s: float
    shrink_to_s: float


@dataclass(frozen=True, slots=True)
class SegmentView:
    """One agenda row at one instant: plan, what happened, and how they compare."""

    segment: Segment
    status: str
    zone: str
    planned_start_us: int
    planned_end_us: int
    allotted_s: float
    actual_start_us: int | None
    actual_end_us: int | None
    actual_s: float | None
    delta_s: float | None
    paused_s: float
    extended_s: float
    pauses: int
    extensions: int
    skipped: bool
    warnings: tuple[Crossing, ...]

    # Instants are kept as integers and made into pendulum objects only when
    # asked for: the live screen builds a view every second.

    @property
    def number(self) -> int:
        """1-based, as in `check`."""
        return self.segment.number

    @property
    def planned_start(self) -> pendulum.DateTime:
        """Start on the planned timeline, in the session's zone."""
        return to_pendulum(self.planned_start_us).in_tz(self.zone)

    @property
    def planned_end(self) -> pendulum.DateTime:
        """End on the planned timeline, in the session's zone."""
        return to_pendulum(self.planned_end_us).in_tz(self.zone)

    @property
    def actual_start(self) -> pendulum.DateTime | None:
        """When it first started (UTC), or None if it never ran."""
        return None if self.actual_start_us is None else to_pendulum(self.actual_start_us)

    @property
    def actual_end(self) -> pendulum.DateTime | None:
        """When it last stopped being current (UTC), or None."""
        return None if self.actual_end_us is None else to_pendulum(self.actual_end_us)


@dataclass(frozen=True, slots=True)
class View:
    """Everything a screen, a follower or a report shows, derived at one instant."""

    mode: str
    now: pendulum.DateTime
    now_us: int
    started: bool
    ended: bool
    paused: bool
    phase: str
    alert: str
    current: int | None
    elapsed_s: float
    remaining_s: float
    allotted_s: float
    offset_s: float
    planned_start: pendulum.DateTime
    planned_end: pendulum.DateTime
    projected_end: pendulum.DateTime
    starts_in_s: float | None
    flex: tuple[Flex, ...]
    unrecoverable_s: float
    segments: tuple[SegmentView, ...]
    uncertain: bool
    last_event_us: int | None
    seq: int

    @property
    def segment(self) -> SegmentView | None:
        """The current segment's row, if the show is under way."""
        return None if self.current is None else self.segments[self.current]

    @property
    def focus(self) -> SegmentView:
        """The segment the show is about: the current one, or the first before the start."""
        return self.segments[0 if self.current is None else self.current]

    def as_status(self) -> dict[str, Any]:
        """The state as one flat JSON object, for `status --json` and `follow --json`."""
        focus = self.focus
        if self.started and not self.ended:
            remaining, elapsed, allotted = self.remaining_s, self.elapsed_s, self.allotted_s
        else:
            # Before the start, the first segment as planned; after the end, the last one as it ran.
            elapsed = focus.actual_s or 0.0
            allotted = focus.allotted_s
            remaining = allotted - elapsed
        return {
            "segment": focus.number,
            "title": focus.segment.title,
            "speaker": focus.segment.speaker,
            "phase": self.phase,
            "alert": self.alert,
            "remaining_s": round(remaining, 3),
            "elapsed_s": round(elapsed, 3),
            "allotted_s": round(allotted, 3),
            "offset_s": round(self.offset_s, 3),
            "projected_end": self.projected_end.isoformat(),
            "planned_end": self.planned_end.isoformat(),
            "starts_in_s": None if self.starts_in_s is None else round(self.starts_in_s, 3),
            "mode": self.mode,
            "paused": self.paused,
            "started": self.started,
            "ended": self.ended,
            "now": self.now.isoformat(),
            "seq": self.seq,
            "flex": [{"segment": f.number, "shrink_to_s": f.shrink_to_s} for f in self.flex],
            "unrecoverable_s": round(self.unrecoverable_s, 3),
        }

    @property
    def next_segment(self) -> SegmentView | None:
        """The row that `next` would move to."""
        index = 1 if self.current is None else self.current + 1
        if self.ended or index >= len(self.segments):
            return None
        return self.segments[index]


class Engine:
    """The timing state of one session, folded from its events."""

    def __init__(self, agenda: Agenda, mode: str, origin: Reading) -> None:
        if mode not in (LIVE, REHEARSAL):
            raise ValueError(f"mode must be {LIVE!r} or {REHEARSAL!r}")
        self.agenda = agenda
        self.mode = mode
        self.segments = [SegmentState() for _ in agenda.segments]
        self.started = False
        self.ended = False
        self.current: int | None = None
        self.running_since: float | None = None
        self.paused_since: float | None = None
        self.start_t = 0.0
        self.end_t: float | None = None
        self.end_us: int | None = None
        self.anchor_t = 0.0
        self.anchor_us: int | None = None
        self.uncertain = False
        self.clock_jumps: list[float] = []
        self.suspends: list[float] = []
        self.reopens = 0
        self.seq = 0
        self.last_event_us: int | None = None
        self._undo: list[_Entry] = []
        #: Whether the latest `previous` was an undo (its time went back), for readers that follow spans.
        self.last_previous_undid = False
        # The reference instant: where the `t` axis, monotonic and wall time last met.
        self.ref_t = 0.0
        self.ref_mono = origin.mono
        self.ref_us = origin.wall_us
        self.ref_boot = origin.boot

    # -- time ----------------------------------------------------------------

    def t_of(self, reading: Reading | Event) -> tuple[float, bool]:
        """Position of a reading on the `t` axis, and whether it had to use the wall clock."""
        same_boot = reading.boot == self.ref_boot and (reading.boot is not None or reading.mono >= self.ref_mono)
        if same_boot:
            return self.ref_t + max(0.0, reading.mono - self.ref_mono), False
        return self.ref_t + max(0.0, (reading.wall_us - self.ref_us) / 1e6), True

    def wall_at(self, t: float) -> int:
        """The wall instant (epoch µs) that corresponds to `t`, by the latest reference."""
        return self.ref_us + round((t - self.ref_t) * 1e6)

    def elapsed(self, index: int, t: float) -> float:
        """Running time of segment `index` at `t`, pauses excluded."""
        state = self.segments[index]
        if index == self.current and self.running_since is not None:
            return state.elapsed + max(0.0, t - self.running_since)
        return state.elapsed

    def allotted(self, index: int) -> float:
        """Planned length plus every extension, never below zero."""
        return max(0.0, self.agenda.segments[index].duration_s + self.segments[index].extended_s)

    def planned_start_t(self, index: int) -> float:
        """Where segment `index` starts on the planned timeline, on the `t` axis."""
        return self.anchor_t + self.agenda.offset_of(self.agenda.segments[index])

    def planned_end_t(self, index: int) -> float:
        """Where segment `index` ends on the planned timeline, on the `t` axis."""
        return self.planned_start_t(index) + self.agenda.segments[index].duration_s

    # -- applying events -------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one event into the state. Raise ReplayError if it cannot happen now."""
        if event.seq != self.seq + 1:
            raise ReplayError(f"seq {event.seq} follows {self.seq}; records are missing or repeated")
        t, by_wall = self.t_of(event)
        handler = _HANDLERS.get(event.type)
        if handler is None:
            raise ReplayError(f"unknown event type {event.type!r}")
        handler(self, event, t)
        if by_wall:
            self.uncertain = True
        self.seq = event.seq
        self.ref_t, self.ref_mono, self.ref_us, self.ref_boot = t, event.mono, event.wall_us, event.boot
        self.last_event_us = event.wall_us

    def _need_running_session(self, event: Event) -> int:
        if not self.started or self.ended or self.current is None:
            raise ReplayError(f"{event.type} while the session is not under way")
        return self.current

    def _segment_number(self, event: Event, key: str) -> int:
        value = event.data.get(key)
        if not isinstance(value, int) or not 1 <= value <= len(self.segments):
            raise ReplayError(f"{event.type}: {key} must be a segment number")
        return value - 1

    def _on_start(self, event: Event, t: float) -> None:
        if self.started:
            raise ReplayError("start after the session started")
        anchor = event.data.get("anchor")
        anchor_us = parse_instant(anchor) if isinstance(anchor, str) else event.wall_us
        self.started = True
        self.start_t = t
        self.anchor_us = anchor_us
        self.anchor_t = t - (event.wall_us - anchor_us) / 1e6
        self._enter(0, t, event.wall_us)

    def _on_pause(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        if self.running_since is None:
            raise ReplayError("pause while paused")
        self.segments[index].elapsed += max(0.0, t - self.running_since)
        self.segments[index].pauses += 1
        self.running_since = None
        self.paused_since = t

    def _on_resume(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        if self.paused_since is None:
            raise ReplayError("resume while running")
        self._close_pause(index, t)
        self.running_since = t

    def _close_pause(self, index: int, t: float) -> None:
        if self.paused_since is not None:
            length = max(0.0, t - self.paused_since)
            self.segments[index].paused_s += length
            self.paused_since = None

    def _leave(self, index: int, t: float, wall_us: int) -> None:
        state = self.segments[index]
        if self.running_since is not None:
            state.elapsed += max(0.0, t - self.running_since)
            self.running_since = None
        self._close_pause(index, t)
        state.last_end_t = t
        state.last_end_us = wall_us

    def _enter(self, index: int, t: float, wall_us: int) -> None:
        state = self.segments[index]
        if state.first_start_t is None:
            state.first_start_t = t
            state.first_start_us = wall_us
        state.last_end_t = None
        state.last_end_us = None
        state.skipped = False
        self.current = index
        self.running_since = t

    def _move(self, event: Event, t: float, to: int, *, skip: bool) -> None:
        came_from = self._need_running_session(event)
        if to == came_from:
            raise ReplayError(f"{event.type} to the segment that is already current")
        target = self.segments[to]
        entry = _Entry(
            came_from=came_from,
            to=to,
            elapsed=target.elapsed,
            paused_s=target.paused_s,
            first_start_t=target.first_start_t,
            first_start_us=target.first_start_us,
            last_end_t=target.last_end_t,
            last_end_us=target.last_end_us,
        )
        self._leave(came_from, t, event.wall_us)
        if skip:
            self.segments[came_from].skipped = True
        self._enter(to, t, event.wall_us)
        self._undo.append(entry)
        del self._undo[:-UNDO_DEPTH]

    def _on_next(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        if index + 1 >= len(self.segments):
            raise ReplayError("next from the last segment")
        self._move(event, t, index + 1, skip=False)

    def _on_skip(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        if index + 1 >= len(self.segments):
            raise ReplayError("skip of the last segment")
        self._move(event, t, index + 1, skip=True)

    def _on_goto(self, event: Event, t: float) -> None:
        self._move(event, t, self._segment_number(event, "to"), skip=False)

    def can_undo(self) -> bool:
        """Whether `previous` now would undo the move that led here."""
        if self.current is None or not self._undo:
            return False
        entry = self._undo[-1]
        return entry.to == self.current and entry.came_from == self.current - 1

    def _on_previous(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        if index == 0:
            raise ReplayError("previous from the first segment")
        self.last_previous_undid = self.can_undo()
        if not self.last_previous_undid:
            self._move(event, t, index - 1, skip=False)
            return
        # Undo: the segment left behind returns to how it was, and the time
        # spent since then goes back to the segment that was interrupted.
        entry = self._undo.pop()
        here = self.segments[index]
        back = self.segments[index - 1]
        self._leave(index, t, event.wall_us)
        back.elapsed += max(0.0, here.elapsed - entry.elapsed)
        back.paused_s += max(0.0, here.paused_s - entry.paused_s)
        back.changed_t = t
        here.elapsed, here.paused_s = entry.elapsed, entry.paused_s
        here.first_start_t, here.first_start_us = entry.first_start_t, entry.first_start_us
        here.last_end_t, here.last_end_us = entry.last_end_t, entry.last_end_us
        self.current = index - 1
        self._rearm(index, t)  # its thresholds are ahead again: crossing them for real must be recorded
        back.last_end_t = None
        back.last_end_us = None
        back.skipped = False
        self.running_since = t

    def _on_extend(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        seconds = event.data.get("seconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            raise ReplayError("extend: seconds must be a number")
        state = self.segments[index]
        state.extended_s += seconds
        state.extensions += 1
        state.changed_t = t
        self._rearm(index, t)

    def _rearm(self, index: int, t: float) -> None:
        """After an extension, thresholds that are ahead again may fire again."""
        state = self.segments[index]
        segment = self.agenda.segments[index]
        remaining = self.allotted(index) - self.elapsed(index, t)
        for level, threshold in (("wrap_up", segment.wrap_up_s), ("final", segment.final_s), ("time_up", 0)):
            if threshold is not None and remaining > threshold:
                state.fired.discard(level)
        state.overtime_fired = min(state.overtime_fired, int(max(0.0, -remaining) // 60))

    def _on_end(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        self._leave(index, t, event.wall_us)
        self.ended = True
        self.end_t = t
        self.end_us = event.wall_us
        self.current = index

    def _on_warning(self, event: Event, t: float) -> None:
        index = self._segment_number(event, "segment")
        level = event.data.get("level")
        minute = event.data.get("minute", 0)
        crossed = event.data.get("crossed_at")
        if level not in ("wrap_up", "final", "time_up", "overtime") or not isinstance(minute, int):
            raise ReplayError("warning: bad level or minute")
        state = self.segments[index]
        if level == "overtime":
            state.overtime_fired = max(state.overtime_fired, minute)
        else:
            state.fired.add(level)
        crossed_us = parse_instant(crossed) if isinstance(crossed, str) else event.wall_us
        state.warnings.append(Crossing(level, minute if level == "overtime" else 0, crossed_us))

    def _on_clock_jump(self, event: Event, t: float) -> None:
        seconds = event.data.get("seconds", 0.0)
        self.clock_jumps.append(float(seconds) if isinstance(seconds, (int, float)) else 0.0)

    def _on_suspend(self, event: Event, t: float) -> None:
        seconds = event.data.get("seconds", 0.0)
        self.suspends.append(float(seconds) if isinstance(seconds, (int, float)) else 0.0)

    def _on_reopen(self, event: Event, t: float) -> None:
        self.reopens += 1

    def _on_detach(self, event: Event, t: float) -> None:
        pass

    # -- deciding on events (controller side) -----------------------------------

    def event_for(self, command: str, reading: Reading, **args: Any) -> tuple[str, dict[str, Any]]:
        """Validate `command` against the state now and return the event to record.

        Raise CommandError, with a message for the moderator, if it makes no sense.
        """
        if command not in COMMANDS:
            raise CommandError(f"unknown command {command!r}")
        if self.ended:
            raise CommandError("the session has ended")
        if command == "start":
            if self.started:
                raise CommandError("the session has already started")
            anchor = self.agenda.start if self.mode == LIVE else reading.wall
            return "start", {"anchor": format_instant(to_us(anchor))}
        if not self.started or self.current is None:
            raise CommandError("the session has not started yet")
        index = self.current
        number = index + 1
        last = len(self.segments)
        if command == "pause":
            if self.running_since is None:
                raise CommandError("already paused")
            return "pause", {"segment": number}
        if command == "resume":
            if self.paused_since is None:
                raise CommandError("not paused")
            return "resume", {"segment": number}
        if command in ("next", "skip"):
            if number == last:
                raise CommandError("this is the last segment; end the session instead")
            if command == "skip":
                return "skip", {"segment": number, "to": number + 1}
            return "next", {"from": number, "to": number + 1}
        if command == "previous":
            if number == 1:
                raise CommandError("this is the first segment")
            return "previous", {"from": number, "to": number - 1, "undo": self.can_undo()}
        if command == "goto":
            to = args.get("to")
            if type(to) is not int or not 1 <= to <= last:
                raise CommandError(f"there is no segment {to}; pick 1 to {last}")
            if to == number:
                raise CommandError(f"segment {to} is already current")
            return "goto", {"from": number, "to": to}
        if command == "extend":
            seconds = args.get("seconds")
            if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds == 0:
                raise CommandError("extend needs a non-zero number of seconds")
            # Shortening stops at zero: a segment cannot be given less than no time.
            seconds = max(float(seconds), -self.allotted(index))
            if seconds == 0:
                raise CommandError("the segment has no time left to take away")
            # The agenda's own limit; far beyond it, instants such as the projected end overflow.
            if self.allotted(index) + seconds > MAX_SEGMENT.total_seconds():
                raise CommandError(f"a segment can be given at most {format_duration(MAX_SEGMENT.total_seconds())}")
            return "extend", {"segment": number, "seconds": seconds}
        return "end", {"segment": number}

    def due_warnings(self, reading: Reading) -> list[dict[str, Any]]:
        """The warning events whose threshold has been crossed but not yet recorded.

        Each is stamped with the instant it was crossed, which may be earlier
        than now when it is noticed late (after a crash or a stall).
        """
        index = self.current
        if index is None or self.ended or self.running_since is None:
            return []
        state = self.segments[index]
        segment = self.agenda.segments[index]
        t, _ = self.t_of(reading)
        elapsed = self.elapsed(index, t)
        allotted = self.allotted(index)
        due: list[tuple[float, str, int]] = []
        for level, threshold in (("wrap_up", segment.wrap_up_s), ("final", segment.final_s), ("time_up", 0)):
            if threshold is None or level in state.fired:
                continue
            at = allotted - threshold
            if elapsed >= at:
                due.append((at, level, 0))
        over = elapsed - allotted
        for minute in range(state.overtime_fired + 1, int(max(0.0, over) // 60) + 1):
            due.append((allotted + 60 * minute, "overtime", minute))
        out = []
        for at, level, minute in sorted(due):
            crossed_t = max(self.running_since + (at - state.elapsed), self.running_since, state.changed_t)
            crossed_t = min(crossed_t, t)
            data: dict[str, Any] = {"segment": index + 1, "level": level}
            if level == "overtime":
                data["minute"] = minute
            data["crossed_at"] = format_instant(self.wall_at(crossed_t))
            out.append(data)
        return out

    # -- deriving what to show ---------------------------------------------------

    def view(self, reading: Reading) -> View:
        """Everything derived at the instant of `reading`, from the state and the clock."""
        t, _ = self.t_of(reading)
        agenda = self.agenda
        now_us = reading.wall_us
        anchor_us = self.anchor_us
        if anchor_us is None:
            anchor_us = to_us(agenda.start) if self.mode == LIVE else now_us
        planned_t0 = self.anchor_t if self.started else t - (now_us - anchor_us) / 1e6

        rows = []
        for index, (segment, state) in enumerate(zip(agenda.segments, self.segments)):
            start_us = anchor_us + agenda.offset_of(segment) * 1_000_000
            ran = state.first_start_t is not None
            actual_s = self.elapsed(index, t) if ran else None
            if index == self.current and not self.ended:
                status = "current"
            elif state.skipped:
                status = "skipped"
            elif ran:
                status = "done"
            else:
                status = "pending"
            end_us = state.last_end_us
            rows.append(
                SegmentView(
                    segment=segment,
                    status=status,
                    zone=agenda.session.timezone,
                    planned_start_us=start_us,
                    planned_end_us=start_us + segment.duration_s * 1_000_000,
                    allotted_s=self.allotted(index),
                    actual_start_us=state.first_start_us,
                    actual_end_us=end_us,
                    actual_s=actual_s,
                    delta_s=None if actual_s is None else actual_s - segment.duration_s,
                    paused_s=state.paused_s
                    + (
                        max(0.0, t - self.paused_since)
                        if index == self.current and self.paused_since is not None
                        else 0.0
                    ),
                    extended_s=state.extended_s,
                    pauses=state.pauses,
                    extensions=state.extensions,
                    skipped=state.skipped,
                    warnings=tuple(state.warnings),
                )
            )

        planned_end_t = planned_t0 + agenda.duration_s
        starts_in = None
        elapsed = remaining = allotted = 0.0
        if not self.started:
            offset = max(0.0, (now_us - anchor_us) / 1e6) if self.mode == LIVE else 0.0
            if self.mode == LIVE and now_us < anchor_us:
                starts_in = (anchor_us - now_us) / 1e6
            projected_t = planned_end_t + offset
            phase = alert = "pending"
        elif self.ended:
            assert self.end_t is not None
            offset = self.end_t - planned_end_t
            projected_t = self.end_t
            phase = alert = "done"
        else:
            assert self.current is not None
            index = self.current
            elapsed = self.elapsed(index, t)
            allotted = self.allotted(index)
            remaining = allotted - elapsed
            offset = t + max(0.0, remaining) - self.planned_end_t(index)
            # Segments ahead may carry changes already (after an undo, or a go-to back).
            ahead = sum(state.extended_s for state in self.segments[index + 1 :])
            projected_t = planned_end_t + offset + ahead
            segment = agenda.segments[index]
            if remaining <= 0:
                alert = "overtime"
            elif segment.final_s is not None and remaining <= segment.final_s:
                alert = "final"
            elif segment.wrap_up_s is not None and remaining <= segment.wrap_up_s:
                alert = "wrap_up"
            else:
                alert = "running"
            phase = "paused" if self.paused_since is not None else alert

        late = projected_t - planned_end_t
        flex, unrecoverable = self._flex_plan(t, late) if not self.ended else ((), 0.0)
        return View(
            mode=self.mode,
            now=reading.wall,
            now_us=now_us,
            started=self.started,
            ended=self.ended,
            paused=self.paused_since is not None,
            phase=phase,
            alert=alert,
            current=self.current,
            elapsed_s=elapsed,
            remaining_s=remaining,
            allotted_s=allotted,
            offset_s=offset,
            planned_start=to_pendulum(anchor_us),
            planned_end=to_pendulum(anchor_us + agenda.duration_s * 1_000_000),
            projected_end=to_pendulum(now_us + round((projected_t - t) * 1e6)),
            starts_in_s=starts_in,
            flex=flex,
            unrecoverable_s=unrecoverable,
            segments=tuple(rows),
            uncertain=self.uncertain,
            last_event_us=self.last_event_us,
            seq=self.seq,
        )

    def _flex_plan(self, t: float, offset: float) -> tuple[tuple[Flex, ...], float]:
        """Shrink the flexible segments still ahead, in proportion to their slack, to absorb `offset`."""
        if offset <= 0:
            return (), 0.0
        first = 0 if self.current is None else self.current
        slack: list[tuple[int, float, float]] = []
        for index in range(first, len(self.segments)):
            segment = self.agenda.segments[index]
            if not segment.flexible or self.segments[index].skipped:
                continue
            allotted = self.allotted(index)
            used = self.elapsed(index, t) if index == self.current else 0.0
            room = allotted - max(used, float(segment.min_duration_s))
            if room > 0:
                slack.append((index, allotted, room))
        total = sum(room for _, _, room in slack)
        absorbed = min(offset, total)
        plan = tuple(
            Flex(index + 1, allotted, math.floor(allotted - room * absorbed / total)) for index, allotted, room in slack
        )
        return plan, max(0.0, offset - absorbed)


_HANDLERS = {
    "start": Engine._on_start,
    "pause": Engine._on_pause,
    "resume": Engine._on_resume,
    "next": Engine._on_next,
    "skip": Engine._on_skip,
    "goto": Engine._on_goto,
    "previous": Engine._on_previous,
    "extend": Engine._on_extend,
    "end": Engine._on_end,
    "warning": Engine._on_warning,
    "clock_jump": Engine._on_clock_jump,
    "suspend": Engine._on_suspend,
    "reopen": Engine._on_reopen,
    "detach": Engine._on_detach,
}
