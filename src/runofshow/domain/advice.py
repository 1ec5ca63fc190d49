"""The projection and the shrink advice: how late the show will end, and what the flexible segments can give.

`derive` shows these; `decide` records an adopted length from the same
numbers, so the length adopted is exactly the advice on screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from runofshow.domain.fold import State
from runofshow.domain.order import still_to_run
from runofshow.words.timefmt import whole_seconds


@dataclass(frozen=True, slots=True)
class Flex:
    """What one flexible segment must shrink to for the show to end on time (whole seconds)."""

    number: int
    allotted_s: float
    shrink_to_s: int


def idle_before(state: State, index: int) -> float:
    """The planned time with nothing scheduled just before segment `index` (a break in the agenda)."""
    if index == 0:
        return 0.0
    agenda = state.agenda
    before = agenda.segments[index - 1]
    return float(agenda.offset_of(agenda.segments[index]) - agenda.offset_of(before) - before.duration_s)


def left(state: State, index: int, t: float) -> float:
    """What segment `index` still has of its allotment: all of it if it never ran, the rest if left part-way."""
    return max(0.0, state.allotted(index) - state.elapsed(index, t))


def projected_offset(state: State, t: float) -> float:
    """How late (negative: early) the show will end if every segment still to run takes what it has left.

    Now, what is left of the current segment, and every segment `next` would
    still reach, each once, against the plan's end. The show must be under way.
    """
    assert state.current is not None
    remaining = state.allotted(state.current) - state.elapsed(state.current, t)
    projected_t = t + max(0.0, remaining) + sum(idle_before(state, j) + left(state, j, t) for j in still_to_run(state))
    return projected_t - (state.anchor_t + state.agenda.duration_s)


def flex_plan(state: State, t: float, late: int) -> tuple[tuple[Flex, ...], int, dict[int, int]]:
    """Shrink the flexible segments still to run, in proportion to their slack, to absorb `late` whole seconds.

    Returns the plan, what it cannot absorb, and the seconds each segment gives.
    Each gives whole seconds, never more than its slack, and together exactly
    what can be absorbed (largest remainders), so the advice adds up. A
    segment that adopted its advised length has given its share: it is not
    asked again, so the others' advice stays what it was.
    """
    if late <= 0:
        return (), 0, {}
    ahead = still_to_run(state)
    candidates = ahead if state.current is None else [state.current, *ahead]
    slack: list[tuple[int, int]] = []
    for index in candidates:
        segment = state.agenda.segments[index]
        if not segment.flexible or state.segments[index].adopted_s is not None:
            continue
        room = math.floor(state.allotted(index) - max(state.elapsed(index, t), float(segment.min_duration_s)))
        if room > 0:
            slack.append((index, room))
    total = sum(room for _, room in slack)
    absorbed = min(late, total)
    if absorbed == 0:
        return (), late, {}
    shares = [(index, room * absorbed / total) for index, room in slack]
    cuts = {index: math.floor(share) for index, share in shares}
    by_remainder = sorted(shares, key=lambda item: (-(item[1] - math.floor(item[1])), item[0]))
    for index, _ in by_remainder[: absorbed - sum(cuts.values())]:
        cuts[index] += 1
    plan = tuple(
        Flex(index + 1, state.allotted(index), whole_seconds(state.allotted(index) - cuts[index])) for index, _ in slack
    )
    return plan, late - absorbed, cuts


def advised_length(state: State, t: float) -> int | None:
    """The length the shrink advice gives the current segment now (whole seconds); None when it gives none.

    None too once it adopted a length: the advice no longer counts on it.
    """
    if state.current is None or state.ended or not state.started:
        return None
    plan, _, _ = flex_plan(state, t, whole_seconds(projected_offset(state, t)))
    return next((flex.shrink_to_s for flex in plan if flex.number == state.current + 1), None)
