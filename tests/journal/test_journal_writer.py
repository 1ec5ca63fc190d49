"""The journal's writer thread: commands never wait for the disk, a stalled disk is noticed, order is kept.

A fake disk blocks `os.fsync` on the journal's descriptor until the test lets
it go, so the hang is exact and nothing here sleeps to wait: each test waits
on an event the writer sets.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import REHEARSAL
from runofshow.domain.link import LinkState
from runofshow.journal.codec import encode
from runofshow.journal.writer import PENDING_SHOW_S, STALL_S
from runofshow.session.controller import Controller
from runofshow.session.replay import replay
from runofshow.tui.words import banner_text, describe_link
from tests.kit.show import assert_journal_matches

#: Generous bounds for a loaded machine; a pass never waits this long.
WAIT_S = 20.0


class StuckDisk:
    """`os.fsync` on one descriptor blocks until `release()`; it says when a call is stuck."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fds: set[int] = set()
        self.stuck = threading.Event()
        self._go = threading.Event()
        self._go.set()
        self._fsync = os.fsync
        self.calls = 0
        monkeypatch.setattr(os, "fsync", self.fsync)

    def block(self) -> None:
        self._go.clear()
        self.stuck.clear()

    def release(self) -> None:
        self._go.set()

    def fsync(self, fd: int) -> None:
        if fd in self.fds and not self._go.is_set():
            self.calls += 1
            self.stuck.set()
            assert self._go.wait(WAIT_S), "the test never let the disk go"
        self._fsync(fd)


@pytest.fixture
def stuck(monkeypatch: pytest.MonkeyPatch) -> Iterator[StuckDisk]:
    disk = StuckDisk(monkeypatch)
    yield disk
    disk.release()


@pytest.fixture
def screen_controller(journal: Path, clock: FakeClock, agenda: Agenda) -> Iterator[Callable[[], Controller]]:
    """Controllers opened the way the screen opens them: commands never wait for the disk."""
    opened: list[Controller] = []

    def open_() -> Controller:
        controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL, wait=False)
        opened.append(controller)
        return controller

    yield open_
    for controller in opened:
        controller.close()


def test_a_command_takes_effect_at_once_while_fsync_hangs(
    screen_controller: Callable[[], Controller], clock: FakeClock, stuck: StuckDisk, journal: Path
) -> None:
    controller = screen_controller()
    stuck.fds.add(controller.writer.fd)
    stuck.block()
    ack = controller.command("start")
    assert stuck.stuck.wait(WAIT_S)  # the writer is inside fsync, and stays there
    assert controller.view().started  # applied at once: the engine is the truth in memory
    assert not ack.on_disk and controller.pending == 1 and controller.durable_seq == 0
    while not controller.journal_health.shows_pending:  # shown once it has waited long enough to see
        controller.writer.settle(0.05)
    link = controller.link()
    assert link.healthy and link.pending == 1
    assert describe_link(link, 0, "UTC") == "journal … 1 pending session.jsonl"
    clock.advance(10)
    paused = controller.command("pause")  # queued behind the stuck record, and decided at once too
    assert controller.view().paused and controller.pending == 2
    view = controller.view()
    assert view.elapsed_s == 10  # timing went on: it is computed from the clock
    stuck.release()
    assert controller.settle(WAIT_S)
    assert ack.on_disk and paused.on_disk and controller.pending == 0 and controller.durable_seq == 2
    assert [line for line in journal.read_bytes().splitlines(keepends=True)[1:]] == [
        encode(ack.event.to_json()),
        encode(paused.event.to_json()),
    ]
    assert_journal_matches(controller)


@pytest.mark.slow
def test_a_hung_disk_is_reported_within_two_seconds_and_clears(
    screen_controller: Callable[[], Controller], stuck: StuckDisk
) -> None:
    controller = screen_controller()
    changes: list[tuple[float, str | None]] = []
    stalled = threading.Event()
    answered = threading.Event()

    def changed() -> None:
        problem = controller.journal_error
        changes.append((time.monotonic(), problem))
        if problem is not None and "not answering" in problem:
            stalled.set()
        elif stalled.is_set() and problem is None and controller.pending == 0:
            answered.set()

    controller.watch(changed)
    stuck.fds.add(controller.writer.fd)
    stuck.block()
    began = time.monotonic()
    controller.command("start")
    assert stalled.wait(WAIT_S)
    noticed = time.monotonic() - began
    assert STALL_S <= noticed < 2.0 + 0.5  # said within 2 s (half a second for a loaded machine)
    health = controller.journal_health
    assert health.stalled_s is not None and health.pending == 1
    assert controller.journal_error is not None and controller.journal_error.startswith("journal not answering")
    link = controller.link()
    assert link.state is LinkState.STALLED and not link.healthy
    assert describe_link(link, 0, "UTC").startswith("JOURNAL NOT ANSWERING: journal not answering")
    assert "Timing goes on" in banner_text(link, 0, "UTC", following=False)
    # Before the stall, the screen was woken once the record had waited long enough to show as pending.
    shown = [t - began for t, problem in changes if problem is None]
    assert shown and PENDING_SHOW_S <= shown[0] < STALL_S
    stuck.release()
    assert answered.wait(WAIT_S)
    assert controller.journal_error is None and controller.journal_health.durable_seq == 1


@pytest.mark.slow
def test_quitting_on_a_hung_disk_saves_what_is_not_on_disk(
    screen_controller: Callable[[], Controller],
    stuck: StuckDisk,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    controller = screen_controller()
    controller.command("start")
    assert controller.settle(WAIT_S)
    stuck.fds.add(controller.writer.fd)
    stuck.block()
    pause = controller.command("pause")
    assert stuck.stuck.wait(WAIT_S)
    began = time.monotonic()
    controller.close()  # does not wait for ever
    assert time.monotonic() - began < 10
    assert controller.rescue_problem == "the journal did not answer"
    assert controller.rescued is not None and controller.rescued.parent == tmp_path / "state" / "runofshow" / "rescue"
    lines = controller.rescued.read_bytes().splitlines(keepends=True)
    assert lines[1] == encode(pause.event.to_json()) and len(lines) == 3  # the pause, then the detach
    assert os.stat(controller.rescued).st_mode & 0o777 == 0o600
    stuck.release()


def test_records_reach_disk_in_order_under_a_burst(screen_controller: Callable[[], Controller], journal: Path) -> None:
    controller = screen_controller()
    controller.command("start")
    acks = [controller.command("pause" if i % 2 == 0 else "resume") for i in range(300)]
    assert controller.settle(WAIT_S)
    assert all(ack.on_disk for ack in acks)
    replayed = replay(journal)
    assert replayed.torn is None and replayed.engine.seq == 301
    assert_journal_matches(controller)


def test_journals_are_created_for_their_owner_alone(open_controller: Callable[..., Controller], journal: Path) -> None:
    open_controller(REHEARSAL)
    assert os.stat(journal).st_mode & 0o777 == 0o600
