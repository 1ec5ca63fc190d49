"""Following a journal file on this machine: FileFollower woken by FileWatch, against a real controller."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runofshow.clock import FakeClock
from runofshow.commands.follow import _wait_for_header
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.derive import derive
from runofshow.session.controller import Controller
from runofshow.session.replay import Replayer, replay
from runofshow.sync.follower import FileFollower
from runofshow.sync.watch import FileWatch
from tests.kit import crash
from tests.kit.follow import SCRIPT, TIMEOUT_S, Driven, assert_same_state, play
from tests.kit.screens import link_words

OpenController = Callable[..., Controller]
Drive = Callable[..., Driven]


def tear_next_record(monkeypatch: pytest.MonkeyPatch, controller: Controller, keep: int) -> None:
    """Make the journal's next write stop after `keep` bytes, as a full disk or a crash mid-write would."""
    real_write = os.write
    torn = False

    def short_write(fd: int, data: bytes) -> int:
        nonlocal torn
        if torn or fd != controller.writer.fd:
            return real_write(fd, data)
        torn = True
        return real_write(fd, bytes(data)[:keep])

    monkeypatch.setattr(os, "write", short_write)


async def test_a_file_follower_equals_the_controller_after_every_command(
    open_controller: OpenController, clock: FakeClock, journal: Path, drive: Drive
) -> None:
    controller = open_controller("live")
    woken = drive(FileFollower(journal, clock))
    assert woken.watch is not None and woken.watch.uses_inotify
    polled = FileFollower(journal, clock)  # one polled by hand, right after each command
    await woken.reach(0)
    assert_same_state(woken.follower, controller, clock.read())
    for step in SCRIPT:
        play(controller, clock, step)
        polled.poll()
        assert_same_state(polled, controller, clock.read())
        await woken.reach(controller.engine.seq)
        assert_same_state(woken.follower, controller, clock.read())
        clock.advance(7)  # and they keep agreeing as time passes, without new records
        assert_same_state(woken.follower, controller, clock.read())
    assert controller.engine.ended
    assert [event.seq for event in woken.applied] == list(range(1, controller.engine.seq + 1))
    assert woken.follower.problem is None and polled.problem is None


async def test_a_torn_line_is_shown_only_once_it_is_whole(
    open_controller: OpenController, clock: FakeClock, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller = open_controller("live")
    for step in SCRIPT[:3]:
        play(controller, clock, step)
    follower = FileFollower(journal, clock)
    follower.poll()
    before = journal.stat().st_size
    tear_next_record(monkeypatch, controller, keep=17)  # the disk fills up in the middle of the next record
    clock.advance(5)
    ack = controller.command("next")
    assert not ack.durable and journal.stat().st_size == before + 17
    assert follower.poll() == []  # half a record is no record
    assert follower.problem is None and follower.engine.seq == ack.event.seq - 1
    clock.advance(1)  # the controller's retry: cut back to the last good record, write it whole
    controller.poll()
    assert controller.writer.healthy
    assert [event.seq for event in follower.poll()] == [ack.event.seq]
    assert_same_state(follower, controller, clock.read())
    assert follower.problem is None


async def test_a_torn_line_left_by_a_crash_and_cut_off_on_resume(
    open_controller: OpenController, clock: FakeClock, journal: Path, drive: Drive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The follower saw half a record; the resumed controller cuts it off and writes another in its place."""
    controller = open_controller("live")
    for step in SCRIPT[:4]:
        play(controller, clock, step)
    follower = FileFollower(journal, clock)
    follower.poll()
    tear_next_record(monkeypatch, controller, keep=40)
    clock.advance(5)
    controller.command("next")
    crash(controller)
    follower.poll()
    assert follower.engine.seq == 4 and follower.problem is None
    clock.advance(30)
    resumed = open_controller("live")  # repairs the torn tail, then writes a `reopen` record where it was
    assert any("last record was damaged" in note for note in resumed.notes)
    follower.poll()
    assert follower.problem is None
    assert_same_state(follower, resumed, clock.read())
    woken = drive(follower)
    play(resumed, clock, (5, "next", {}))
    await woken.reach(resumed.engine.seq)
    assert_same_state(follower, resumed, clock.read())


async def test_a_replaced_journal_is_reloaded(
    open_controller: OpenController, clock: FakeClock, journal: Path, tmp_path: Path, drive: Drive
) -> None:
    first = open_controller("live")
    for step in SCRIPT[:6]:
        play(first, clock, step)
    woken = drive(FileFollower(journal, clock))
    await woken.reach(first.engine.seq)
    first.close()
    old = tmp_path / "yesterday.jsonl"
    journal.rename(old)
    second = open_controller(mode="rehearsal")  # a new session on the same path: a new file, a new inode
    play(second, clock, (1, "start", {}))
    follower = woken.follower
    await woken.until(
        lambda: follower.ready and follower.header.session_id == second.header.session_id and follower.engine.seq == 1
    )
    assert_same_state(follower, second, clock.read())
    second.close()
    copy = tmp_path / "copy.jsonl"
    shutil.copyfile(old, copy)
    os.replace(copy, journal)  # renamed over it, as an editor or a restore would
    await woken.until(lambda: follower.header.session_id == first.header.session_id)
    assert follower.engine.seq == first.engine.seq and follower.problem is None
    assert_same_state(follower, first, clock.read())


async def test_a_journal_rewritten_in_place_is_reloaded(
    open_controller: OpenController, clock: FakeClock, journal: Path, tmp_path: Path, agenda: Agenda
) -> None:
    """`cp other.jsonl session.jsonl` keeps the inode: truncated, then written again, maybe before the next poll."""
    other = Controller.open(tmp_path / "other.jsonl", clock, agenda=agenda, mode="live")
    for step in SCRIPT[:8]:
        play(other, clock, step)
    other.close()
    controller = open_controller("live")
    for step in SCRIPT[:2]:
        play(controller, clock, step)
    follower = FileFollower(journal, clock)
    follower.poll()
    controller.close()
    inode = journal.stat().st_ino
    shutil.copyfile(tmp_path / "other.jsonl", journal)
    assert journal.stat().st_ino == inode and journal.stat().st_size > follower.replayer.good_size
    follower.poll()
    assert follower.problem is None
    assert follower.header.session_id == other.header.session_id
    assert_same_state(follower, other, clock.read())


async def test_a_truncated_journal_is_reloaded(
    open_controller: OpenController, clock: FakeClock, journal: Path, drive: Drive
) -> None:
    controller = open_controller("live")
    header_size = journal.stat().st_size
    for step in SCRIPT[:6]:
        play(controller, clock, step)
    woken = drive(FileFollower(journal, clock))
    follower = woken.follower
    await woken.reach(controller.engine.seq)
    crash(controller)
    os.truncate(journal, header_size)  # back to the header: nothing has happened
    await woken.until(lambda: follower.engine.seq == 0)
    assert not follower.engine.started and follower.problem is None
    resumed = open_controller("live")
    play(resumed, clock, (10, "start", {}))
    await woken.reach(resumed.engine.seq)
    assert_same_state(follower, resumed, clock.read())


async def test_waits_for_a_journal_that_does_not_exist_yet(
    clock: FakeClock, tmp_path: Path, drive: Drive, open_controller: OpenController, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "not-yet" / "session.jsonl"  # not even its folder
    follower = FileFollower(path, clock)
    watch = FileWatch(path)
    assert not watch.uses_inotify  # nothing to watch yet: it looks every 20 ms
    waiting = asyncio.create_task(_wait_for_header(follower, watch))
    await asyncio.sleep(0)  # one step: the first look, which finds nothing
    assert not waiting.done() and not follower.ready and follower.problem is None
    assert capsys.readouterr().err == f"Waiting for {path} to be written… (ctrl+c to stop)\n"
    controller = open_controller("live", path=path)
    await asyncio.wait_for(waiting, 10)
    assert follower.ready and follower.engine.seq == 0
    assert capsys.readouterr().err == ""  # said once, not once per look
    woken = drive(follower)
    play(controller, clock, SCRIPT[0])
    await woken.reach(1)
    assert_same_state(follower, controller, clock.read())
    watch.close()


async def test_stopping_a_watch_stops_it_even_as_a_change_arrives(
    journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen stops its watch on quit; the cancel must win whichever loop step it lands on.

    On Python 3.11, asyncio.wait_for swallows a cancel that arrives just as
    what it waits for completes, and the iteration then runs on for ever.
    """
    monkeypatch.setattr("runofshow.sync.watch.SAFETY_INTERVAL_S", 3600.0)
    journal.write_bytes(b"{}\n")
    for steps in range(8):
        watch = FileWatch(journal)
        woke = asyncio.Event()

        async def consume(watch: FileWatch = watch, woke: asyncio.Event = woke) -> None:
            async for _ in watch.changes():
                woke.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(woke.wait(), TIMEOUT_S)  # its first look
        for _ in range(3):
            await asyncio.sleep(0)  # loop steps, not time: let it settle into waiting
        with journal.open("ab") as file:
            file.write(b"{}\n")
        for _ in range(steps):
            await asyncio.sleep(0)  # the cancel lands a different number of steps after the change
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=TIMEOUT_S)
        watch.close()
        assert task in done and task.cancelled(), f"a cancel {steps} loop steps after a change was lost"


async def test_a_file_that_is_not_a_journal_is_a_problem_not_a_crash(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\nmilk\n")
    follower = FileFollower(path, clock)
    assert follower.poll() == []
    assert follower.problem is not None and "not a runofshow journal" in follower.problem
    assert not follower.ready


async def test_survives_the_moderator_quitting_and_resuming(
    open_controller: OpenController, clock: FakeClock, journal: Path, drive: Drive
) -> None:
    controller = open_controller("live")
    woken = drive(FileFollower(journal, clock))
    follower = woken.follower
    for step in SCRIPT[:5]:
        play(controller, clock, step)
    await woken.reach(controller.engine.seq)
    controller.close()  # the moderator quits: a `detach` record
    await woken.reach(controller.engine.seq)
    assert follower.engine.segments == controller.engine.segments
    assert_same_state(follower, controller, clock.read())
    clock.advance(90)
    resumed = open_controller("live")  # and comes back: a `reopen` record
    await woken.reach(resumed.engine.seq)
    assert_same_state(follower, resumed, clock.read())
    for step in SCRIPT[5:9]:
        play(resumed, clock, step)
        await woken.reach(resumed.engine.seq)
        assert_same_state(follower, resumed, clock.read())
    assert [event.type for event in woken.applied].count("reopen") == 1
    assert [event.seq for event in woken.applied] == list(range(1, resumed.engine.seq + 1))


async def test_says_when_no_controller_holds_the_journal(
    open_controller: OpenController, clock: FakeClock, journal: Path
) -> None:
    controller = open_controller("live")
    play(controller, clock, SCRIPT[0])
    follower = FileFollower(journal, clock)
    follower.poll()
    ok, text = link_words(follower)
    assert ok and f"controller PID {os.getpid()}" in text and text.startswith("following session.jsonl")
    crash(controller)  # the moderator's program is killed
    clock.advance(2)  # the lock is looked at every 2 s
    follower.poll()
    ok, text = link_words(follower)
    assert not ok and "NO CONTROLLER: the moderator's program stopped" in text
    resumed = open_controller("live")
    clock.advance(2)
    follower.poll()
    ok, text = link_words(follower)
    assert ok and "controller PID" in text
    play(resumed, clock, (1, "end", {}))
    resumed.close()
    clock.advance(2)
    follower.poll()
    ok, text = link_words(follower)
    assert ok and "the session has ended" in text  # an ended session needs no controller: not an alarm


@pytest.fixture(scope="module")
def whole_session(tmp_path_factory: pytest.TempPathFactory, agenda: Agenda) -> bytes:
    """The bytes of a journal that went through SCRIPT."""
    clock = FakeClock("2021-10-08T08:55:00Z")
    path = tmp_path_factory.mktemp("whole") / "session.jsonl"
    controller = Controller.open(path, clock, agenda=agenda, mode="live")
    for step in SCRIPT:
        play(controller, clock, step)
    controller.close()
    return path.read_bytes()


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=40))
def test_a_journal_written_in_any_pieces_shows_exactly_its_whole_records(
    whole_session: bytes, tmp_path: Path, cuts: list[int]
) -> None:
    path = tmp_path / "pieces.jsonl"
    path.unlink(missing_ok=True)
    follower = FileFollower(path, FakeClock("2021-10-08T10:40:00Z"))
    reading = follower.clock.read()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        written = 0
        for cut in [*cuts, len(whole_session)]:
            piece = whole_session[written : written + cut]
            os.write(fd, piece)
            written += len(piece)
            follower.poll()
            assert follower.problem is None
            whole = whole_session[: whole_session.rfind(b"\n", 0, written) + 1]
            if not whole:
                assert not follower.ready
                continue
            truth = Replayer("truth")
            truth.feed(whole)
            assert truth.engine is not None
            assert follower.engine.seq == truth.engine.seq == whole.count(b"\n") - 1
            assert derive(follower.engine, reading) == derive(truth.engine, reading)
    finally:
        os.close(fd)
    assert replay(path).engine.ended and follower.engine.ended
