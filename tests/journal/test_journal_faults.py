"""The journal under faults: kill -9, torn tails, flipped bytes, a second controller, a failing disk.

The kill -9 and second-controller tests use real child processes, because a
flock and an fsync only mean something between processes; the disk faults
patch `os.write` and `os.fsync` for the journal's descriptor alone.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from runofshow.clock import FakeClock, SystemClock
from runofshow.domain.events import REHEARSAL, Event
from runofshow.journal.codec import JournalError, Torn, encode
from runofshow.journal.lock import JournalLocked, holder, lock_path
from runofshow.session.controller import RETRY_DELAYS, Controller
from runofshow.session.replay import Replayer, replay
from tests.kit.show import assert_journal_matches, crash

OpenController = Callable[..., Controller]

# A controller on the system clock that pauses and resumes as fast as it can,
# printing "seq type" for every event it has been told is on disk.
WRITER = textwrap.dedent(
    """
    import sys
    from runofshow.agenda_file import bundled_agenda, load_agenda
    from runofshow.clock import SystemClock
    from runofshow.domain.events import REHEARSAL
    from runofshow.session.controller import Controller

    controller = Controller.open(sys.argv[1], SystemClock(), agenda=load_agenda(bundled_agenda()), mode=REHEARSAL)

    def acknowledged(ack):
        if ack.durable:
            sys.stdout.write("".join(f"{e.seq} {e.type}\\n" for e in (*ack.noticed, ack.event)))
            sys.stdout.flush()

    if not controller.engine.started:
        acknowledged(controller.command("start"))
    while True:
        acknowledged(controller.command("resume" if controller.engine.paused_since is not None else "pause"))
    """
)

# Try to take a journal that another process controls; print why not.
SECOND = textwrap.dedent(
    """
    import sys
    from runofshow.clock import SystemClock
    from runofshow.journal.lock import JournalLocked
    from runofshow.session.controller import Controller

    try:
        Controller.open(sys.argv[1], SystemClock())
    except JournalLocked as error:
        print(error)
        raise SystemExit(3)
    """
)

# Take a journal, say so, and hold it until killed.
HOLDER = textwrap.dedent(
    """
    import sys
    from runofshow.agenda_file import bundled_agenda, load_agenda
    from runofshow.clock import SystemClock
    from runofshow.domain.events import REHEARSAL
    from runofshow.session.controller import Controller

    controller = Controller.open(sys.argv[1], SystemClock(), agenda=load_agenda(bundled_agenda()), mode=REHEARSAL)
    controller.command("start")
    print("holding", flush=True)
    sys.stdin.read()
    """
)


def events_in(path: Path) -> list[Event]:
    """The events of a journal as a follower reads them (a torn tail is left out)."""
    replayer = Replayer(str(path))
    events = replayer.feed(path.read_bytes())
    replayer.finish()
    return events


# -- kill -9 ------------------------------------------------------------------------

LANES = 6
KILLS_PER_LANE = 6


def kill_at_random(path: Path, rng: random.Random) -> list[tuple[int, str]]:
    """Run the writer on `path`, SIGKILL it after a random number of acknowledgements, return those it printed."""
    wanted = rng.choice([0, 1, 3, rng.randint(5, 60), rng.randint(60, 300)])  # 0: during start-up
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    printed: list[str] = []
    # The child runs ahead while we read, so the kill lands at an arbitrary point of its loop.
    while len(printed) < wanted and (line := child.stdout.readline()):
        printed.append(line)
    child.kill()
    # The rest from the same buffered reader: `communicate` would read the pipe past what readline
    # buffered, and a line cut there ("18|5 pause") would read as an acknowledgement of record 5.
    assert child.stderr is not None
    rest, errors = child.stdout.read(), child.stderr.read()
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, f"the writer died on its own: {errors}"
    printed += rest.splitlines(keepends=True)
    return [(int(seq), kind) for seq, kind in (line.split() for line in printed if line.endswith("\n"))]


def kill_lane(folder: Path, lane: int) -> tuple[int, int]:
    """Kill writers on one journal again and again; check each time that what was acknowledged is there.

    Returns how many kills there were and how many acknowledged events were checked.
    """
    path = folder / f"lane-{lane}.jsonl"
    rng = random.Random(lane)
    checked = 0
    for trial in range(KILLS_PER_LANE):
        acknowledged = kill_at_random(path, rng)
        checked += len(acknowledged)
        where = f"lane {lane}, kill {trial + 1}"
        assert holder(path) is None, f"{where}: the dead writer still holds the lock"
        if not path.exists():
            assert acknowledged == [], f"{where}: acknowledged events but no journal"
            continue
        events = events_in(path)
        recorded = {event.seq: event.type for event in events}
        assert [event.seq for event in events] == list(range(1, len(events) + 1)), where
        missing = [(seq, kind) for seq, kind in acknowledged if recorded.get(seq) != kind]
        assert missing == [], f"{where}: acknowledged but not in the journal: {missing}"
    # After all that, a controller takes the journal over and goes on.
    if path.exists():
        controller = Controller.open(path, SystemClock())
        try:
            assert controller.command("pause" if controller.engine.paused_since is None else "resume").durable
            assert_journal_matches(controller)
        finally:
            controller.close()
    return KILLS_PER_LANE, checked


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_no_acknowledged_event(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=LANES) as pool:
        lanes = list(pool.map(lambda lane: kill_lane(tmp_path, lane), range(LANES)))
    assert sum(kills for kills, _ in lanes) >= 30
    assert sum(checked for _, checked in lanes) >= 100  # the kills did land while events were being written


# -- torn tails and flipped bytes ----------------------------------------------------


@pytest.fixture
def six_events(open_controller: OpenController, clock: FakeClock, journal: Path) -> bytes:
    """A journal of a header and six events, left as a crash leaves it (no detach)."""
    controller = open_controller(REHEARSAL)
    controller.command("start")
    clock.advance(61)  # segment 1's time's up is recorded by the next command
    controller.command("next")
    clock.advance(20)
    controller.command("pause")
    clock.advance(5)
    controller.command("resume")
    controller.command("extend", seconds=60)
    assert controller.engine.seq == 6
    crash(controller)
    return journal.read_bytes()


@pytest.mark.slow
def test_a_torn_tail_at_every_offset_recovers_to_the_records_before_it(
    six_events: bytes, journal: Path, clock: FakeClock, tmp_path: Path
) -> None:
    last = six_events.rindex(b"\n", 0, len(six_events) - 1) + 1  # where the sixth event begins
    for cut in range(last, len(six_events)):
        for leftover in tmp_path.glob("session.jsonl.torn-*"):
            leftover.unlink()
        journal.write_bytes(six_events[:cut])
        replayed = replay(journal)
        assert replayed.engine.seq == 5, cut
        assert replayed.torn == (None if cut == last else Torn(line=7, offset=last, length=cut - last)), cut
        clock.advance(1)
        controller = Controller.open(journal, clock)
        try:
            if cut > last:
                assert "last record was damaged" in controller.notes[0]
                (aside,) = tmp_path.glob("session.jsonl.torn-*")
                assert aside.read_bytes() == six_events[:cut]
            assert controller.engine.seq == 6  # the five kept, then the reopen
            assert controller.command("pause").event.seq == 7
            assert_journal_matches(controller)
        finally:
            controller.close()
        data = journal.read_bytes()
        assert data.startswith(six_events[:last]), cut
        assert [e.type for e in events_in(journal)[4:]] == ["resume", "reopen", "pause", "detach"], cut


@pytest.mark.slow
def test_a_flipped_byte_mid_file_is_refused_and_nothing_changes(
    six_events: bytes, journal: Path, clock: FakeClock, tmp_path: Path
) -> None:
    """Every byte of a middle record inverted in turn; each copy is refused and left as it is.

    An inverted ASCII byte is never valid UTF-8, so the line cannot parse. A
    flip that leaves valid JSON with plausible values (a digit for a digit)
    cannot be seen: format 1 has no checksum.
    """
    lines = six_events.splitlines(keepends=True)
    start = sum(len(line) for line in lines[:3])  # the third event, on line 4
    for offset in range(start, start + len(lines[3])):
        corrupt = bytearray(six_events)
        corrupt[offset] ^= 0xFF
        journal.write_bytes(corrupt)
        with pytest.raises(JournalError, match=f"{journal}:4: "):
            replay(journal)
        with pytest.raises(JournalError, match=f"{journal}:4: "):
            Controller.open(journal, clock)
        assert journal.read_bytes() == corrupt, offset
        assert holder(journal) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.jsonl", "session.jsonl.lock"]


# -- a second controller --------------------------------------------------------------


def test_a_second_process_is_refused_naming_the_holder(open_controller: OpenController, journal: Path) -> None:
    controller = open_controller(REHEARSAL)
    controller.command("start")
    before = journal.read_bytes()
    second = subprocess.run([sys.executable, "-c", SECOND, str(journal)], capture_output=True, text=True, timeout=60)
    assert second.returncode == 3, second.stderr
    message = second.stdout.strip()
    assert f"PID {os.getpid()} " in message
    assert str(journal) in message and "already in use" in message
    assert journal.read_bytes() == before
    assert lock_path(journal).read_text().startswith(f"PID {os.getpid()} ")
    assert controller.command("pause").durable  # the first controller never noticed


@pytest.fixture
def holding_child(journal: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process controlling `journal` until the test kills it."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(journal)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline() == "holding\n"
        yield child
    finally:
        child.kill()
        child.communicate(timeout=60)


def test_this_process_is_refused_while_another_holds_the_journal(
    holding_child: subprocess.Popen[str], journal: Path, clock: FakeClock
) -> None:
    before = journal.read_bytes()
    with pytest.raises(JournalLocked, match=f"PID {holding_child.pid} "):
        Controller.open(journal, clock)
    assert journal.read_bytes() == before
    assert holder(journal) is not None and holder(journal).startswith(f"PID {holding_child.pid} ")  # type: ignore[union-attr]
    holding_child.kill()
    holding_child.wait(timeout=60)
    assert holder(journal) is None  # the kernel let go with the process
    taken = Controller.open(journal, SystemClock())
    try:
        assert taken.engine.started and taken.command("pause").durable
    finally:
        taken.close()


# -- a failing disk -------------------------------------------------------------------


class Disk:
    """`os.write` and `os.fsync` on one descriptor, made to fail the way full or broken disks do."""

    FAULTS = {
        "enospc": errno.ENOSPC,  # nothing written
        "short": errno.ENOSPC,  # half a record written, then the disk is full
        "eio": errno.EIO,  # half a record written, then an I/O error
        "fsync": errno.EIO,  # the write goes through, the fsync fails
    }

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fd: int | None = None
        self.fault: str | None = None
        self.writes = 0
        self._write, self._fsync = os.write, os.fsync
        monkeypatch.setattr(os, "write", self.write)
        monkeypatch.setattr(os, "fsync", self.fsync)

    def _error(self) -> OSError:
        assert self.fault is not None
        code = self.FAULTS[self.fault]
        return OSError(code, os.strerror(code))

    def write(self, fd: int, data: bytes) -> int:
        if fd != self.fd or self.fault is None:
            return self._write(fd, data)
        self.writes += 1
        if self.fault == "enospc":
            raise self._error()
        if self.fault == "short":
            return self._write(fd, data[: len(data) // 2])
        if self.fault == "eio":
            self._write(fd, data[: len(data) // 2])
            raise self._error()
        return self._write(fd, data)

    def fsync(self, fd: int) -> None:
        if fd == self.fd and self.fault == "fsync":
            raise self._error()
        self._fsync(fd)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Disk:
    """A disk that works until a test sets `fault`."""
    return Disk(monkeypatch)


@pytest.mark.parametrize("cleared_by", ["poll", "command"])
@pytest.mark.parametrize("fault", list(Disk.FAULTS))
def test_a_failing_disk_holds_records_and_writes_them_once_in_order(
    open_controller: OpenController, clock: FakeClock, journal: Path, disk: Disk, fault: str, cleared_by: str
) -> None:
    controller = open_controller(REHEARSAL)
    disk.fd = controller.writer.fd
    controller.command("start")
    clock.advance(60)
    controller.command("next")
    durable = journal.read_bytes()

    disk.fault = fault
    held: list[Event] = []
    for name, wait in [("pause", 100), ("resume", 30), ("extend", 5), (None, 240), ("next", 10)]:
        clock.advance(wait)
        if name is None:
            held += controller.poll()
            continue
        ack = controller.command(name, seconds=30)
        assert not ack.durable
        held += [*ack.noticed, ack.event]
        # What is on disk: the durable records, then at most a prefix of the first held one.
        extra = journal.read_bytes()[len(durable) :]
        assert journal.read_bytes().startswith(durable) and encode(held[0].to_json()).startswith(extra)
        replay(journal)  # a torn tail at worst, never a corrupt journal

    # The show went on in memory: segment 3 has just begun, and segment 2 was counted in full.
    view = controller.view()
    assert (view.current, view.paused, view.elapsed_s) == (2, False, 0)
    second = view.segments[1]
    assert (second.actual_s, second.paused_s, second.allotted_s, second.status) == (355, 30, 330, "done")
    assert [e.type for e in held].count("warning") == 3  # wrap-up, final and time's up of segment 2
    reason = "No space left on device (wrote" if fault == "short" else os.strerror(Disk.FAULTS[fault])
    assert controller.journal_error is not None and controller.journal_error.startswith(reason)
    assert controller.journal_error.endswith(f"; {len(held)} record(s) held in memory")

    disk.fault = None
    clock.advance(10)
    if cleared_by == "poll":
        controller.poll()
    else:
        ack = controller.command("pause")
        assert ack.durable
        held.append(ack.event)
    assert controller.journal_error is None
    assert journal.read_bytes() == durable + b"".join(encode(e.to_json()) for e in held)
    assert_journal_matches(controller)
    controller.close()
    reopened = open_controller(None)
    assert reopened.notes[0].startswith("Resumed")  # no torn tail to repair


def test_retries_back_off_while_the_disk_stays_full(
    open_controller: OpenController, clock: FakeClock, journal: Path, disk: Disk
) -> None:
    controller = open_controller(REHEARSAL)
    disk.fd = controller.writer.fd
    controller.command("start")
    disk.fault = "enospc"
    controller.command("pause")
    assert disk.writes == 1
    attempts = []
    for _ in range(50 * 4):  # fifty seconds, a poll every quarter of a second
        clock.advance(0.25)
        before = disk.writes
        controller.poll()
        if disk.writes > before:
            attempts.append(round(clock.mono - 1000, 1))
    # One attempt per delay, each delay measured from the failed attempt before it.
    assert attempts == [1.0, 3.0, 8.0, 18.0, 28.0, 38.0, 48.0]
    assert controller.view().paused  # all the while the show was paused, as asked
    disk.fault = None
    clock.advance(RETRY_DELAYS[-1])
    controller.poll()
    assert controller.journal_error is None
    assert_journal_matches(controller)
