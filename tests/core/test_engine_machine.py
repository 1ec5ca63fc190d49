"""Hypothesis drives a real controller on a real journal: commands, clock moves, suspends, crashes.

Beside the controller the machine keeps its own small model of the show —
which segment runs, whether it is paused, how much show time has passed and
how much of it was paused — advanced only by what the test itself does to the
clock. After every step:

- replaying the journal gives exactly the live engine's state and view;
- no elapsed time, pause or actual duration is negative;
- the actual durations add up to the running time minus the pauses;
- seq runs 1, 2, 3, … with no gap, and no warning repeats unless an
  extension or an undo re-armed it;
- after a poll, every threshold the running segment crossed since it was
  entered or resized has its record (none is lost, e.g. to an undo).
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from runofshow.core.agenda import bundled_agenda, load_agenda
from runofshow.core.clock import FakeClock, parse_instant
from runofshow.core.decide import COMMANDS, CommandError, due_warnings
from runofshow.core.events import LIVE, REHEARSAL, Event
from runofshow.core.journal import encode
from runofshow.core.session import Controller
from tests.kit.show import assert_journal_matches, crash

AGENDA = load_agenda(bundled_agenda())
SEGMENTS = len(AGENDA.segments)
#: What `poll` may record on its own, even just before a command that is then refused.
CLOCK_EVENTS = {"warning", "clock_jump", "suspend"}

seconds_to_extend = st.one_of(
    st.sampled_from([-10_000, -300, -60, -1, 0, 1, 30, 120, 600]),
    st.floats(allow_nan=True, allow_infinity=True),
)
some_time = st.floats(min_value=0, max_value=900, allow_nan=False)


class Session(RuleBasedStateMachine):
    """One session on the seed agenda, in a folder of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="runofshow-machine-"))
        self.path = self.folder / "session.jsonl"
        self.clock = FakeClock("2021-10-08T08:55:00Z")
        self.boots = 1
        self.controller: Controller | None = None
        # The model, kept from the outside.
        self.phase = "pending"  # pending, running, paused, ended
        self.current = 0  # 1-based, 0 before the start
        self.show_time = 0.0  # seconds since the start (until the end)
        self.paused_time = 0.0
        # Per segment: the seq after which each threshold it crosses must be recorded, and its remaining time then.
        self.armed: dict[int, tuple[int, float]] = {}

    @property
    def live(self) -> Controller:
        """The controller now in charge (a new one after each reopen)."""
        assert self.controller is not None
        return self.controller

    def teardown(self) -> None:
        if self.controller is not None and self.controller.lock.fd is not None:
            self.controller.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------

    def _pass(self, seconds: float) -> None:
        """Show time passes: the room's clock runs, whatever the machine does."""
        if self.phase in ("running", "paused"):
            self.show_time += seconds
        if self.phase == "paused":
            self.paused_time += seconds

    def _records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.path.read_bytes().splitlines()[1:]]

    def _command(self, name: str, **args: Any) -> None:
        before = self.live.engine.seq
        try:
            ack = self.live.command(name, **args)
        except CommandError:
            recorded = self._records()[before:]
            assert {r["type"] for r in recorded} <= CLOCK_EVENTS, "a refused command left a record"
            return
        assert ack.durable
        assert ack.event.type == name and ack.event.seq == self.live.engine.seq
        if name not in ("pause", "resume", "end"):  # it entered a segment or changed its length
            view = self.live.view()
            assert view.current is not None
            self.armed[view.current + 1] = (ack.event.seq, view.remaining_s)
        if name == "start":
            self.phase, self.current = "running", 1
        elif name in ("pause", "resume"):
            self.phase = "paused" if name == "pause" else "running"
        elif name == "end":
            self.phase = "ended"
        elif name in ("next", "skip", "previous", "goto"):
            self.phase = "running"
            self.current = {"next": self.current + 1, "skip": self.current + 1, "previous": self.current - 1}.get(
                name, args.get("to", 0)
            )

    def _reopen(self) -> Controller:
        self.controller = Controller.open(self.path, self.clock)
        return self.controller

    # -- rules -------------------------------------------------------------------

    @initialize(mode=st.sampled_from([LIVE, REHEARSAL]), lead=st.floats(0, 900))
    def open(self, mode: str, lead: float) -> None:
        self.clock.advance(lead)  # a live session may be opened before or after 09:00
        self.controller = Controller.open(self.path, self.clock, agenda=AGENDA, mode=mode)

    @rule()
    def start(self) -> None:
        self._command("start")

    @rule()
    def pause_or_resume(self) -> None:
        self._command("resume" if self.phase == "paused" else "pause")

    @rule(name=st.sampled_from(COMMANDS), to=st.integers(0, SEGMENTS + 1), seconds=seconds_to_extend)
    def command(self, name: str, to: int, seconds: float) -> None:
        self._command(name, to=to, seconds=seconds)

    @rule(wait=some_time)
    def next_by_mistake(self, wait: float) -> None:
        """A moderator presses next, notices a while later, and presses previous."""
        self._command("next")
        self.advance(wait)
        self.poll()
        self._command("previous")

    @rule(seconds=some_time)
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self._pass(seconds)

    @rule()
    def poll(self) -> None:
        self.live.poll()
        # At the reading the journal stores (mono to the microsecond), nothing due is left unrecorded.
        reading = self.clock.read()
        assert due_warnings(self.live.engine, replace(reading, mono=round(reading.mono, 6))) == []
        if self.phase == "running":
            self._no_crossing_missed()

    def _no_crossing_missed(self) -> None:
        """Every threshold the running segment crossed since it was entered or resized has its record."""
        segment = self.current
        since, then = self.armed[segment]
        now = self.live.view().remaining_s
        recorded = {
            (r["data"]["level"], r["data"].get("minute", 0))
            for r in self._records()[since:]
            if r["type"] == "warning" and r["data"]["segment"] == segment
        }
        plan = AGENDA.segments[segment - 1]
        crossed = [
            (level, 0)
            for level, threshold in (("wrap_up", plan.wrap_up_s), ("final", plan.final_s), ("time_up", 0))
            if threshold is not None and then > threshold >= now
        ]
        crossed += [("overtime", k) for k in range(1, int(-now // 60) + 1) if then > -60 * k]
        assert set(crossed) <= recorded, f"segment {segment}: crossed {crossed}, recorded {recorded}"

    @rule(seconds=st.floats(-7200, 7200).filter(lambda s: abs(s) >= 1.001))
    def step_wall(self, seconds: float) -> None:
        self.live.poll()
        before = self.live.view()
        self.clock.step_wall(seconds)
        after = self.live.view()
        assert (after.remaining_s, after.elapsed_s) == (before.remaining_s, before.elapsed_s)
        if self.phase != "pending":  # before a live start, the offset is to a wall-clock time
            assert after.offset_s == before.offset_s
        events = self.live.poll()
        assert [e.type for e in events] == ["clock_jump"]
        assert events[0].data["seconds"] == pytest.approx(seconds, abs=1e-3)

    @rule(seconds=st.floats(2.5, 3600))
    def suspend(self, seconds: float) -> None:
        self.live.poll()
        before = self.live.view()
        self.clock.suspend(seconds)
        self._pass(seconds)
        events = self.live.poll()
        assert events[0].type == "suspend" and events[0].data["seconds"] == pytest.approx(seconds, abs=1e-3)
        assert {e.type for e in events[1:]} <= {"warning"}
        if self.phase == "running":
            assert self.live.view().elapsed_s == pytest.approx(before.elapsed_s + seconds, abs=1e-3)

    @rule(downtime=st.floats(0, 3600), reboot=st.booleans(), torn=st.integers(0, 120))
    def crash_and_reopen(self, downtime: float, reboot: bool, torn: int) -> None:
        before = self.live.view()
        crash(self.live)
        fragment = b""
        if torn:
            reading = self.clock.read()
            record = Event(before.seq + 1, "pause", reading.wall_us, reading.mono, reading.boot, {"segment": 1})
            line = encode(record.to_json())
            fragment = line[: min(torn, len(line) - 1)]  # never the whole line: that would be a record
            with self.path.open("ab") as tail:
                tail.write(fragment)
        if reboot:
            self.boots += 1
            self.clock.reboot(downtime, boot=f"boot-{self.boots}")
        else:
            self.clock.advance(downtime)
        self._pass(downtime)
        resumed = self._reopen()
        if fragment:
            assert "last record was damaged" in resumed.notes[0]
        view = resumed.view()
        assert (view.current, view.paused, view.ended) == (before.current, before.paused, before.ended)
        if reboot:
            assert view.uncertain
        if self.phase == "running":
            assert view.elapsed_s == pytest.approx(before.elapsed_s + downtime, abs=1e-3)
        if self.phase == "paused":
            assert view.elapsed_s == before.elapsed_s

    @rule(gap=some_time)
    def quit_and_reopen(self, gap: float) -> None:
        self.live.close()
        self.clock.advance(gap)
        self._pass(gap)
        self._reopen()

    # -- invariants ---------------------------------------------------------------

    @invariant()
    def replay_equals_live(self) -> None:
        assert_journal_matches(self.live)

    @invariant()
    def the_model_agrees(self) -> None:
        view = self.live.view()
        assert view.started == (self.phase != "pending")
        assert view.ended == (self.phase == "ended")
        assert view.paused == (self.phase == "paused")
        assert (0 if view.current is None else view.current + 1) == self.current

    @invariant()
    def elapsed_is_never_negative(self) -> None:
        view = self.live.view()
        assert view.elapsed_s >= 0
        for row in view.segments:
            assert row.actual_s is None or row.actual_s >= 0
            assert row.paused_s >= 0
        assert math.isfinite(view.remaining_s) and math.isfinite(view.offset_s)

    @invariant()
    def actual_durations_add_up_to_the_running_time_minus_pauses(self) -> None:
        view = self.live.view()
        actual = sum(row.actual_s or 0.0 for row in view.segments)
        paused = sum(row.paused_s for row in view.segments)
        assert actual == pytest.approx(self.show_time - self.paused_time, abs=1e-3)
        assert paused == pytest.approx(self.paused_time, abs=1e-3)

    @invariant()
    def seq_has_no_gaps_and_warnings_do_not_repeat(self) -> None:
        records = self._records()
        assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
        assert self.live.engine.seq == len(records)
        fired: set[tuple[int, str, int]] = set()
        for record in records:
            data = record["data"]
            if record["type"] == "warning":
                key = (data["segment"], data["level"], data.get("minute", 0))
                assert key not in fired, f"{key} recorded twice with no extension or undo between"
                fired.add(key)
                # Stamped when it was crossed: never after it was noticed.
                assert parse_instant(data["crossed_at"]) <= parse_instant(record["wall"]) + 2
            rearmed = data.get("segment") if record["type"] == "extend" else None
            if record["type"] == "previous" and data.get("undo"):
                rearmed = data["from"]
            if rearmed is not None:
                fired = {key for key in fired if key[0] != rearmed}


Session.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestSession = Session.TestCase
