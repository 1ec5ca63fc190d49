"""When each segment was running or paused: the spans a report draws, kept by the fold as it goes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Span = tuple[int, int]
"""A stretch of time as two instants in epoch microseconds."""

_TSpan = tuple[float, float]


class Spans:
    """When each segment was running or paused, on the `t` axis, kept as events are applied.

    Noted after each event from the state it leaves, so the spans agree with
    the durations even across a wall-clock step; an undo hands the spans since
    the undone move back to the segment before, as it hands back the time.
    """

    __slots__ = ("runs", "paused", "entered", "now", "since", "origin")

    def __init__(self, count: int) -> None:
        self.runs: list[list[_TSpan]] = [[] for _ in range(count)]
        self.paused: list[list[_TSpan]] = [[] for _ in range(count)]
        self.entered = [0.0] * count
        self.now: tuple[int, bool] | None = None
        self.since = 0.0
        self.origin: tuple[float, int] | None = None  # (t, wall µs) of the start

    def note(self, t: float, wall_us: int, state: tuple[int, bool] | None, started: bool, undo: bool) -> None:
        if self.origin is None and started:
            self.origin = (t, wall_us)
        if state == self.now and not undo:
            return
        before = self.now
        self.close(t)
        if undo and before is not None and state is not None:
            here, back = before[0], state[0]
            cut = self.entered[here]
            for spans in (self.runs, self.paused):
                # A span that went on from an earlier visit (left and entered again at one instant) is cut there.
                moved = [(max(a, cut), b) for a, b in spans[here] if b > cut]
                spans[here] = [(a, min(b, cut)) for a, b in spans[here] if a < cut]
                spans[back] = merge_spans(spans[back] + moved)
        if state is not None and (before is None or before[0] != state[0]):
            self.entered[state[0]] = t
        self.now, self.since = state, t

    def close(self, t: float) -> None:
        if self.now is not None and t > self.since:
            index, running = self.now
            spans = (self.runs if running else self.paused)[index]
            if spans and spans[-1][1] == self.since:  # going on after an undo
                spans[-1] = (spans[-1][0], t)
            else:
                spans.append((self.since, t))
        self.now = None

    def closed_at(self, index: int, t: float) -> tuple[list[_TSpan], list[_TSpan]]:
        """Segment `index`'s spans with the one under way ended at `t`, leaving these unchanged."""
        runs, paused = list(self.runs[index]), list(self.paused[index])
        if self.now is not None and self.now[0] == index and t > self.since:
            spans = runs if self.now[1] else paused
            if spans and spans[-1][1] == self.since:
                spans[-1] = (spans[-1][0], t)
            else:
                spans.append((self.since, t))
        return runs, paused

    def instants(self, spans: list[_TSpan]) -> tuple[Span, ...]:
        """Spans on the `t` axis as wall instants, counted from the start."""
        if self.origin is None:
            return ()
        t0, us0 = self.origin
        return tuple((us0 + round((a - t0) * 1e6), us0 + round((b - t0) * 1e6)) for a, b in spans)

    def snapshot(self) -> tuple[Any, ...]:
        return (self.runs, self.paused, self.entered, self.now, self.since, self.origin)


def merge_spans(spans: Sequence[_TSpan], tolerance: float = 0.0) -> list[_TSpan]:
    """Spans in order, with those that overlap or lie within `tolerance` of each other joined."""
    merged: list[_TSpan] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] <= tolerance:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
