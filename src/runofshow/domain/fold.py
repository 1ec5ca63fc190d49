"""The fold: events in, the show's state out. The only way state changes is `State.apply(event)`.

A live controller decides on an event, writes it to the journal and applies
it; a follower or a report applies the same events read back from the
journal. Both therefore hold the same state by construction.

Time here is a private axis `t` in seconds since the journal was created.
Between two events of the same boot it advances by the monotonic clock; across
a reboot, where monotonic readings cannot be compared, by the wall clock (and
the state is flagged `uncertain`). Remaining time, offsets and warnings are all
computed on this axis, so a wall-clock step changes none of them.

Everything is read through properties and methods; only `apply` changes it.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import astuple, replace
from enum import Enum
from typing import Any, assert_never

from runofshow.domain.agenda.model import Agenda
from runofshow.domain.bounds import check_follows
from runofshow.domain.events import (
    LIVE,
    REHEARSAL,
    Adopt,
    ClockJump,
    Detach,
    End,
    Event,
    EventType,
    Extend,
    Goto,
    Later,
    Message,
    Next,
    Pause,
    Previous,
    Reopen,
    ReplayError,
    Resume,
    Seen,
    Skip,
    Start,
    Suspend,
    Takeover,
    Warning,
)
from runofshow.domain.instants import Reading
from runofshow.domain.order import moved
from runofshow.domain.progress import Entry, SegmentState, Shown
from runofshow.domain.spans import Span, Spans

#: How many moves `previous` can undo in a row.
UNDO_DEPTH = 64


class Phase(Enum):
    """Where the show is: each phase is one state, so no contradictory mix can be represented."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class State:
    """The timing state of one session, folded from its events."""

    def __init__(self, agenda: Agenda, mode: str, origin: Reading) -> None:
        if mode not in (LIVE, REHEARSAL):
            raise ValueError(f"mode must be {LIVE!r} or {REHEARSAL!r}")
        self._agenda = agenda
        self._mode = mode
        self._segments = [SegmentState() for _ in agenda.segments]
        self._phase = Phase.NOT_STARTED
        self._current: int | None = None
        # When the current stretch of running or pausing began, on the `t` axis.
        self._since = 0.0
        self._start_t = 0.0
        self._end_t: float | None = None
        self._end_us: int | None = None
        self._anchor_t = 0.0
        self._anchor_us: int | None = None
        self._uncertain = False
        self._clock_jumps: list[float] = []
        self._suspends: list[float] = []
        self._reopens = 0
        #: Each takeover: its seq, when (wall µs), and what it says.
        self._takeovers: list[tuple[int, int, Takeover]] = []
        self._seq = 0
        self._last_event_us: int | None = None
        self._last_type: str | None = None
        self._undo: list[Entry] = []
        self._shown: Shown | None = None
        # The run order (indices), the agenda's until `later` moves one, and each segment's place in it.
        self._order = tuple(range(len(agenda.segments)))
        self._rank = list(self._order)
        # The record that made the current segment current (entering it, or coming back by an undo).
        self._entered_seq = 0
        self._spans = Spans(len(agenda.segments))
        # The reference instant: where the `t` axis, monotonic and wall time last met.
        self._ref_t = 0.0
        self._ref_mono = origin.mono
        self._ref_us = origin.wall_us
        self._ref_boot = origin.boot
        # The header's wall instant: every record is stamped within the session's bounds of it.
        self._origin_us = origin.wall_us

    # -- what it holds -----------------------------------------------------------

    @property
    def agenda(self) -> Agenda:
        """The agenda the session runs."""
        return self._agenda

    @property
    def mode(self) -> str:
        """`live` (planned from the agenda's start) or `rehearsal` (planned from its own start)."""
        return self._mode

    @property
    def phase(self) -> Phase:
        """Not started, running, paused or ended."""
        return self._phase

    @property
    def started(self) -> bool:
        """Whether `start` has been recorded."""
        return self._phase is not Phase.NOT_STARTED

    @property
    def ended(self) -> bool:
        """Whether `end` has been recorded."""
        return self._phase is Phase.ENDED

    @property
    def paused(self) -> bool:
        """Whether the current segment is paused."""
        return self._phase is Phase.PAUSED

    @property
    def current(self) -> int | None:
        """The index of the current segment (the last one, once ended), or None before the start."""
        return self._current

    @property
    def running_since(self) -> float | None:
        """Where the current run began on the `t` axis, while running."""
        return self._since if self._phase is Phase.RUNNING else None

    @property
    def paused_since(self) -> float | None:
        """Where the current pause began on the `t` axis, while paused."""
        return self._since if self._phase is Phase.PAUSED else None

    @property
    def segments(self) -> tuple[SegmentState, ...]:
        """What has happened to each segment, in agenda order."""
        return tuple(self._segments)

    @property
    def start_t(self) -> float:
        """Where the session started on the `t` axis (0 before the start)."""
        return self._start_t

    @property
    def end_t(self) -> float | None:
        """Where it ended on the `t` axis."""
        return self._end_t

    @property
    def end_us(self) -> int | None:
        """When it ended (epoch µs)."""
        return self._end_us

    @property
    def anchor_t(self) -> float:
        """Where the planned timeline begins on the `t` axis."""
        return self._anchor_t

    @property
    def anchor_us(self) -> int | None:
        """When the planned timeline begins (epoch µs), once started."""
        return self._anchor_us

    @property
    def uncertain(self) -> bool:
        """Whether some time was counted by the wall clock (after a reboot)."""
        return self._uncertain

    @property
    def clock_jumps(self) -> list[float]:
        """The wall-clock steps recorded, in seconds."""
        return list(self._clock_jumps)

    @property
    def suspends(self) -> list[float]:
        """The suspends recorded, in seconds."""
        return list(self._suspends)

    @property
    def reopens(self) -> int:
        """How many times the journal was reopened by a controller."""
        return self._reopens

    @property
    def takeovers(self) -> list[tuple[int, int, Takeover]]:
        """Each takeover recorded: its seq, its wall instant (µs) and its record's data, oldest first."""
        return list(self._takeovers)

    @property
    def epoch(self) -> int:
        """Which controller this is of the session: 1 for the one that began it, one more for each takeover."""
        return 1 + len(self._takeovers)

    @property
    def holder(self) -> str | None:
        """Who controls the session since its last takeover (None: the header's owner still does)."""
        return self._takeovers[-1][2].by if self._takeovers else None

    @property
    def seq(self) -> int:
        """The sequence number of the last event applied."""
        return self._seq

    @property
    def last_event_us(self) -> int | None:
        """When the last event was recorded (epoch µs)."""
        return self._last_event_us

    @property
    def last_type(self) -> str | None:
        """The type of the last event applied, e.g. `detach` for a controller that quit."""
        return self._last_type

    @property
    def ref_t(self) -> float:
        """The last event's place on the `t` axis."""
        return self._ref_t

    @property
    def message(self) -> tuple[str, int] | None:
        """The moderator's message now shown, and when it was sent (epoch µs); None when there is none."""
        return None if self._shown is None else (self._shown.text, self._shown.sent_us)

    @property
    def shown(self) -> Shown | None:
        """The message now showing, with the segment it belongs to, whether it is pinned and when it was seen."""
        return self._shown

    @property
    def order(self) -> tuple[int, ...]:
        """Every segment's index in the order the show runs them: the agenda's, with the `later` moves."""
        return self._order

    def rank(self, index: int) -> int:
        """Where segment `index` comes in the run order (0 first)."""
        return self._rank[index]

    @property
    def entered_seq(self) -> int:
        """The seq of the record that made the current segment current (0 before the start)."""
        return self._entered_seq

    @property
    def last_reading(self) -> Reading:
        """The clock as the last event read it (the origin before any): a report's "now", and what a step is measured from."""
        return Reading(mono=self._ref_mono, awake=self._ref_mono, wall_us=self._ref_us, boot=self._ref_boot)

    def snapshot(self) -> tuple[Any, ...]:
        """Everything that decides what this state shows and does next, for comparing two states."""
        rest = {name: value for name, value in vars(self).items() if name not in ("_agenda", "_segments", "_spans")}
        segments = tuple(astuple(segment) for segment in self._segments)
        return self._agenda.source, segments, self._spans.snapshot(), deepcopy(sorted(rest.items()))

    # -- time ----------------------------------------------------------------

    def t_of(self, reading: Reading | Event) -> tuple[float, bool]:
        """Position of a reading on the `t` axis, and whether it had to use the wall clock."""
        same_boot = reading.boot == self._ref_boot and (reading.boot is not None or reading.mono >= self._ref_mono)
        if same_boot:
            return self._ref_t + max(0.0, reading.mono - self._ref_mono), False
        return self._ref_t + max(0.0, (reading.wall_us - self._ref_us) / 1e6), True

    def wall_at(self, t: float) -> int:
        """The wall instant (epoch µs) that corresponds to `t`, by the latest reference."""
        return self._ref_us + round((t - self._ref_t) * 1e6)

    def elapsed(self, index: int, t: float) -> float:
        """Running time of segment `index` at `t`, pauses excluded."""
        state = self._segments[index]
        if index == self._current and self._phase is Phase.RUNNING:
            return state.elapsed + max(0.0, t - self._since)
        return state.elapsed

    def paused_for(self, index: int, t: float) -> float:
        """Paused time of segment `index` at `t`, the pause under way included."""
        state = self._segments[index]
        if index == self._current and self._phase is Phase.PAUSED:
            return state.paused_s + max(0.0, t - self._since)
        return state.paused_s

    def allotted(self, index: int) -> float:
        """Planned length plus every extension (and an adopted length's change), never below zero."""
        state = self._segments[index]
        return max(0.0, self._agenda.segments[index].duration_s + state.extended_s + state.adjusted_s)

    def planned_start_t(self, index: int) -> float:
        """Where segment `index` starts on the planned timeline, on the `t` axis."""
        return self._anchor_t + self._agenda.offset_of(self._agenda.segments[index])

    def planned_end_t(self, index: int) -> float:
        """Where segment `index` ends on the planned timeline, on the `t` axis."""
        return self.planned_start_t(index) + self._agenda.segments[index].duration_s

    def can_undo(self) -> bool:
        """Whether `previous` now would undo the move that led here."""
        if self._current is None or not self._undo:
            return False
        entry = self._undo[-1]
        return entry.to == self._current and (entry.forward or entry.came_from == self._current - 1)

    def previous_target(self) -> int | None:
        """Where `previous` now goes: back along the move it undoes, else to the segment before."""
        if self._current is None:
            return None
        if self.can_undo():
            return self._undo[-1].came_from
        return self._current - 1 if self._current > 0 else None

    def spans(self, index: int, t: float | None = None) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
        """When segment `index` ran and was paused, as wall instants, the stretch under way ended at `t`.

        `t` defaults to the last event, which is where a report ends.
        """
        runs, paused = self._spans.closed_at(index, self._ref_t if t is None else t)
        return self._spans.instants(runs), self._spans.instants(paused)

    # -- applying events -------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one event into the state. Raise ReplayError if it cannot happen now.

        Its data was decoded and checked when the record was read or made: only
        what depends on the state (a segment number past the agenda's end, a
        pause while paused) is refused here.
        """
        if event.seq != self._seq + 1:
            raise ReplayError(f"seq {event.seq} follows {self._seq}; records are missing or repeated")
        t, by_wall = self.check(event)
        current = self._current
        undid = self._fold(event, t)
        if self._current != current:
            self._entered_seq = event.seq
        shown = self._shown
        moved_on = self._current is not None and self._current != shown.segment if shown else False
        if shown is not None and (event.type == EventType.END or (moved_on and not shown.pinned)):
            self._shown = None  # a message belongs to its segment, unless pinned; the end clears every one
        if by_wall:
            self._uncertain = True
        self._seq = event.seq
        self._ref_t, self._ref_mono, self._ref_us, self._ref_boot = t, event.mono, event.wall_us, event.boot
        self._last_event_us = event.wall_us
        self._last_type = event.type
        where = None
        if self._phase in (Phase.RUNNING, Phase.PAUSED) and self._current is not None:
            where = (self._current, self._phase is Phase.RUNNING)
        self._spans.note(t, event.wall_us, where, self.started, undid)

    def check(self, event: Event | Reading) -> tuple[float, bool]:
        """Where a record read at `event` would sit (as `t_of`); ReplayError if no session can have written it.

        Its clocks are held to the bounds of `domain.bounds`: within the
        session's days, and on one boot, a monotonic clock that never goes back.
        """
        t, by_wall = self.t_of(event)
        try:
            check_follows(
                self._origin_us, self.last_reading, Reading(event.mono, event.mono, event.wall_us, event.boot), t
            )
        except ValueError as error:
            raise ReplayError(str(error)) from None
        return t, by_wall

    def _fold(self, event: Event, t: float) -> bool:
        """Apply one event's typed data; return whether it undid a move (the time since goes back too)."""
        match event.payload:
            case Start(anchor_us=anchor_us):
                self._on_start(event, t, anchor_us)
            case Pause():
                self._on_pause(event, t)
            case Resume():
                self._on_resume(event, t)
            case Next(to=to) | Skip(to=to):
                self._on_next(event, t, to)
            case Later(after=after, to=to):
                self._on_later(event, t, self._index(event, "after", after), self._index(event, "to", to))
            case Adopt(seconds=seconds):
                self._on_adopt(event, t, seconds)
            case Goto(to=to):
                self._move(event, t, self._index(event, "to", to))
            case Previous():
                return self._on_previous(event, t)
            case Extend(seconds=seconds):
                self._on_extend(event, t, seconds)
            case End():
                self._on_end(event, t)
            case Warning(segment=number, level=level, minute=minute, crossed_at_us=crossed_us):
                self._segments[self._index(event, "segment", number)].note(level, minute, crossed_us)
            case ClockJump(seconds=seconds):
                self._clock_jumps.append(seconds)
            case Suspend(seconds=seconds):
                self._suspends.append(seconds)
            case Reopen():
                self._reopens += 1
            case Message(text=text, pinned=pinned):
                here = 0 if self._current is None else self._current
                self._shown = Shown(text, event.wall_us, event.seq, here, pinned) if text else None
            case Seen(message=seq):
                if self._shown is None or self._shown.seq != seq or self._shown.seen_us is not None:
                    raise ReplayError(f"seen: message {seq} is not showing, or was seen already")
                self._shown = replace(self._shown, seen_us=event.wall_us)
            case Detach():
                pass
            case Takeover():
                self._on_takeover(event)
            case unknown:
                assert_never(unknown)
        return False

    def _on_takeover(self, event: Event) -> None:
        """A new epoch: checked to follow the last one, and to take over from a record this journal has."""
        assert isinstance(event.payload, Takeover)
        if event.payload.epoch != self.epoch + 1:
            raise ReplayError(f"takeover: epoch {event.payload.epoch} does not follow epoch {self.epoch}")
        if event.payload.after >= event.seq:
            raise ReplayError(f"takeover: after must be a record before this one ({event.seq})")
        self._takeovers.append((event.seq, event.wall_us, event.payload))

    def _on_later(self, event: Event, t: float, after: int, to: int) -> None:
        index = self._need_running_session(event)
        here = self._rank[index]
        if index in (after, to) or self._rank[after] <= here or self._rank[to] <= here:
            raise ReplayError("later: after and to must be other segments, later in the run order")
        before = self._order
        self._move(event, t, to, order=before)
        self._segments[index].laters += 1
        self._set_order(moved(before, index, after))

    def _set_order(self, order: tuple[int, ...]) -> None:
        self._order = order
        for rank, index in enumerate(order):
            self._rank[index] = rank

    def _on_adopt(self, event: Event, t: float, seconds: float) -> None:
        index = self._need_running_session(event)
        state = self._segments[index]
        state.adjusted_s = seconds - (self._agenda.segments[index].duration_s + state.extended_s)
        state.adopted_s = seconds
        state.changed_t = t
        self._rearm(index, t)

    def _need_running_session(self, event: Event) -> int:
        if self._phase not in (Phase.RUNNING, Phase.PAUSED) or self._current is None:
            raise ReplayError(f"{event.type} while the session is not under way")
        return self._current

    def _index(self, event: Event, key: str, number: int) -> int:
        """The index of segment `number`, which the record names as `key`; refused past the agenda's end."""
        if number > len(self._segments):
            raise ReplayError(f"{event.type}: {key} must be a segment number (1 to {len(self._segments)})")
        return number - 1

    def _on_start(self, event: Event, t: float, anchor_us: int) -> None:
        if self.started:
            raise ReplayError("start after the session started")
        self._start_t = t
        self._anchor_us = anchor_us
        self._anchor_t = t - (event.wall_us - anchor_us) / 1e6
        self._enter(0, t, event.wall_us)

    def _on_pause(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        if self._phase is not Phase.RUNNING:
            raise ReplayError("pause while paused")
        self._segments[index].add(t - self._since, running=True)
        self._segments[index].pauses += 1
        self._phase, self._since = Phase.PAUSED, t

    def _on_resume(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        if self._phase is not Phase.PAUSED:
            raise ReplayError("resume while running")
        self._segments[index].add(t - self._since, running=False)
        self._phase, self._since = Phase.RUNNING, t

    def _leave(self, index: int, t: float, wall_us: int) -> None:
        """Stop the clock of segment `index` (the current one); the phase is for the caller to set."""
        self._segments[index].leave(t, wall_us, t - self._since, running=self._phase is Phase.RUNNING)

    def _enter(self, index: int, t: float, wall_us: int) -> None:
        self._segments[index].enter(t, wall_us)
        self._current = index
        self._phase, self._since = Phase.RUNNING, t

    def _move(self, event: Event, t: float, to: int, order: tuple[int, ...] | None = None) -> None:
        came_from = self._need_running_session(event)
        if to == came_from:
            raise ReplayError(f"{event.type} to the segment that is already current")
        kind = event.type
        forward, skip = kind in (EventType.NEXT, EventType.SKIP, EventType.LATER), kind == EventType.SKIP
        entry = self._segments[to].entry(came_from, to, forward=forward, skip=skip, order=order)
        self._leave(came_from, t, event.wall_us)
        left = self._segments[came_from]
        if skip:
            left.skipped = True
            left.skips += 1
        elif kind == EventType.NEXT or (kind != EventType.LATER and left.elapsed >= self.allotted(came_from)):
            left.finished = True
        self._enter(to, t, event.wall_us)
        self._undo.append(entry)
        del self._undo[:-UNDO_DEPTH]

    def _on_next(self, event: Event, t: float, number: int) -> None:
        index = self._need_running_session(event)
        if self._rank[index] + 1 >= len(self._segments):
            raise ReplayError(
                "skip of the last segment" if event.type == EventType.SKIP else "next from the last segment"
            )
        # Journals written before `next` passed over finished segments name the one after: both are history.
        to = self._index(event, "to", number)
        if self._rank[to] <= self._rank[index]:
            raise ReplayError(f"{event.type}: to must be a later segment")
        self._move(event, t, to)

    def _on_previous(self, event: Event, t: float) -> bool:
        """Move back; return whether it was an undo (the time since the move goes back too)."""
        index = self._need_running_session(event)
        if index == 0 and not self.can_undo():  # the first segment may have been reached by a `later`
            raise ReplayError("previous from the first segment")
        if not self.can_undo():
            self._move(event, t, index - 1)
            return False
        # Undo: the segment left behind returns to how it was, and the time
        # spent since then goes back to the segment that was interrupted.
        entry = self._undo.pop()
        self._leave(index, t, event.wall_us)
        ran, paused = self._segments[index].put_back(entry)
        self._segments[entry.came_from].take_back(entry, ran, paused, t)
        if entry.order is not None:
            self._set_order(entry.order)
        self._current = entry.came_from
        self._phase, self._since = Phase.RUNNING, t
        self._rearm(index, t)  # its thresholds are ahead again: crossing them for real must be recorded
        return True

    def _on_extend(self, event: Event, t: float, seconds: float) -> None:
        index = self._need_running_session(event)
        state = self._segments[index]
        state.extended_s += seconds
        state.extensions += 1
        state.changed_t = t
        self._rearm(index, t)

    def _rearm(self, index: int, t: float) -> None:
        """After an extension or an undo, thresholds that are ahead again may fire again."""
        segment = self._agenda.segments[index]
        remaining = self.allotted(index) - self.elapsed(index, t)
        self._segments[index].rearm(remaining, segment.wrap_up_s, segment.final_s)

    def _on_end(self, event: Event, t: float) -> None:
        index = self._need_running_session(event)
        self._leave(index, t, event.wall_us)
        self._phase = Phase.ENDED
        self._end_t = t
        self._end_us = event.wall_us
        self._current = index
