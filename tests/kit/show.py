"""Test helpers for the core: an engine driven like the controller, and a simulated kill -9.

A plain module rather than conftest, so test modules (and the state machine,
which cannot take fixtures) can import it by name.
"""

from __future__ import annotations

from typing import Any

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.decide import auto_adopt, due_warnings, event_for
from runofshow.domain.derive import View, derive
from runofshow.domain.events import Event, Payload, decode_data
from runofshow.domain.fold import State
from runofshow.session.controller import Controller
from runofshow.session.replay import replay
from tests.kit import crash

__all__ = ["Show", "assert_journal_matches", "crash", "state_of"]


class Show:
    """An engine driven the way the controller drives it, minus the journal.

    Every command first records the warnings that came due, then the event the
    engine decides on, each stamped with the fake clock; `events` keeps them
    all, so a test can replay them into a fresh engine.
    """

    def __init__(self, agenda: Agenda, mode: str, clock: FakeClock) -> None:
        self.agenda = agenda
        self.mode = mode
        self.clock = clock
        self.origin = clock.read()
        self.engine = State(agenda, mode, self.origin)
        self.events: list[Event] = []

    def record(self, kind: str, data: dict[str, Any]) -> Event:
        """Stamp a record written out by hand, its data decoded as any reader's would be, and apply it."""
        return self.stamp(decode_data(kind, data))

    def stamp(self, payload: Payload) -> Event:
        """Stamp one event with the clock now and apply it."""
        reading = self.clock.read()
        event = Event(self.engine.seq + 1, reading.wall_us, reading.mono, reading.boot, payload)
        self.engine.apply(event)
        self.events.append(event)
        return event

    def poll(self) -> list[Event]:
        """Record the warnings that are due now."""
        return [self.stamp(warning) for warning in due_warnings(self.engine, self.clock.read())]

    def command(self, name: str, **args: Any) -> Event:
        """Poll, then decide on and record the event for `name` (CommandError propagates), and an automatic adopt."""
        self.poll()
        event = self.stamp(event_for(self.engine, name, self.clock.read(), **args))
        if (adopted := auto_adopt(self.engine, self.clock.read())) is not None:
            self.stamp(adopted)
        return event

    def view(self) -> View:
        """The view at the clock's current reading."""
        return derive(self.engine, self.clock.read())

    def warnings(self) -> list[tuple[int, str, int, str]]:
        """Every recorded warning as (segment, level, minute, crossed_at)."""
        return [
            (e.data["segment"], e.data["level"], e.data.get("minute", 0), e.data["crossed_at"])
            for e in self.events
            if e.type == "warning"
        ]

    def replayed(self) -> State:
        """A fresh engine fed the same events, as a follower would build it."""
        engine = State(self.agenda, self.mode, self.origin)
        for event in self.events:
            engine.apply(event)
        return engine


def state_of(engine: State) -> tuple[Any, ...]:
    """Everything a state holds (segments, undo stack, spans, time references), for comparing two states."""
    return engine.snapshot()


def assert_journal_matches(controller: Controller) -> None:
    """Replaying the controller's journal gives exactly the state it holds live."""
    replayed = replay(controller.path)
    assert replayed.torn is None
    assert state_of(replayed.engine) == state_of(controller.engine)
    reading = controller.clock.read()
    assert derive(replayed.engine, reading) == derive(controller.engine, reading)
