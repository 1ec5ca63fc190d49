"""Which segments are still to run, and in what order: the agenda's, until `later` moves one.

The fold keeps the run order (`State.order`); these read it. `next`, the
projection, the expected starts and the shrink advice all walk the same list,
so a segment moved later is counted once, where it will run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runofshow.domain.fold import State


def ahead(state: State, index: int) -> bool:
    """Whether `next`, pressed again and again, would still reach segment `index` (see docs/figures.md).

    A segment is ahead when it comes after the current one in the run order
    (before the start: any segment), has not finished and was not skipped.
    """
    if state.current is not None and state.rank(index) <= state.rank(state.current):
        return False
    done = state.segments[index]
    return not (done.finished or done.skipped)


def still_to_run(state: State) -> list[int]:
    """Every segment that `next`, pressed again and again, would still reach, in the order it would."""
    return [index for index in state.order if ahead(state, index)]


def next_segment(state: State) -> int | None:
    """The segment `next` moves to now: the first one that is ahead (so after the current one)."""
    return next((index for index in state.order if ahead(state, index)), None)


def is_last(state: State, index: int) -> bool:
    """Whether segment `index` comes last in the run order."""
    return state.rank(index) == len(state.agenda.segments) - 1


def moved(order: tuple[int, ...], index: int, after: int) -> tuple[int, ...]:
    """The run order with segment `index` taken out and put just after segment `after`."""
    rest = [i for i in order if i != index]
    at = rest.index(after) + 1
    return (*rest[:at], index, *rest[at:])
