"""One controller per journal file, whatever the name it is reached by; a file changed under a session.

The lock tests use real processes: a flock only means something between them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import REHEARSAL
from runofshow.domain.instants import format_instant
from runofshow.journal.codec import JournalError
from runofshow.journal.lock import holder
from runofshow.session.controller import Controller
from runofshow.session.replay import replay
from tests.kit.show import assert_journal_matches

WAIT_S = 20.0

# Take a journal by the name given, say so, and hold it until killed.
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

# Try to take a journal by another name; print why not.
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
    print("took it")
    """
)


@pytest.fixture
def held(journal: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process controlling `journal` until the test ends."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(journal)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    try:
        assert child.stdout.readline() == "holding\n"
        yield child
    finally:
        child.kill()
        child.communicate(timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["symlink", "hard link", "symlinked folder", "relative symlink"])
def test_a_second_controller_through_another_name_is_refused_naming_the_holder(
    held: subprocess.Popen[str], journal: Path, tmp_path: Path, how: str
) -> None:
    before = journal.read_bytes()
    if how == "symlink":
        other = tmp_path / "elsewhere.jsonl"
        other.symlink_to(journal)
    elif how == "relative symlink":
        (tmp_path / "sub").mkdir()
        other = tmp_path / "sub" / "again.jsonl"
        other.symlink_to(Path("..") / journal.name)
    elif how == "hard link":
        (tmp_path / "sub").mkdir()
        other = tmp_path / "sub" / "linked.jsonl"
        os.link(journal, other)
    else:
        (tmp_path / "alias").symlink_to(tmp_path)
        other = tmp_path / "alias" / journal.name
    second = subprocess.run([sys.executable, "-c", SECOND, str(other)], capture_output=True, text=True, timeout=60)
    assert second.returncode == 3, second.stdout + second.stderr
    (line,) = second.stdout.splitlines()  # one clear line
    assert line.startswith(f"{other}: already in use by another runofshow (PID {held.pid} ")
    assert journal.read_bytes() == before
    assert (holder(other) or "").startswith(f"PID {held.pid} ")


@pytest.mark.slow
def test_the_lock_goes_with_the_process_whatever_the_name(
    held: subprocess.Popen[str], journal: Path, tmp_path: Path
) -> None:
    other = tmp_path / "linked.jsonl"
    os.link(journal, other)
    held.kill()
    held.wait(timeout=60)
    assert holder(other) is None and holder(journal) is None
    second = subprocess.run([sys.executable, "-c", SECOND, str(other)], capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and second.stdout == "took it\n"


# -- a journal changed under a running session -------------------------------------------


@pytest.fixture
def running(journal: Path, clock: FakeClock, agenda: Agenda) -> Iterator[tuple[Controller, threading.Event]]:
    """A controller as the screen opens it, with an event set when the journal reports something."""
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL, wait=False)
    noticed = threading.Event()
    controller.watch(lambda: noticed.set() if controller.journal_health.notice else None)
    controller.command("start")
    clock.advance(30)
    controller.command("pause")
    assert controller.settle(WAIT_S)
    yield controller, noticed
    controller.close()


@pytest.mark.slow
def test_a_deleted_journal_is_written_again_from_memory_and_said(
    running: tuple[Controller, threading.Event], journal: Path, clock: FakeClock
) -> None:
    controller, noticed = running
    before = journal.read_bytes()
    journal.unlink()
    assert noticed.wait(WAIT_S)  # within a few seconds (the writer looks every second)
    notice = controller.journal_health.notice or ""
    assert "was deleted" in notice and "written again from memory" in notice
    assert journal.read_bytes() == before and os.stat(journal).st_mode & 0o777 == 0o600
    assert holder(journal) is not None  # and it is locked again
    controller.command("resume")
    assert controller.settle(WAIT_S)
    assert_journal_matches(controller)


@pytest.mark.slow
def test_a_journal_cut_short_is_mended_in_place(running: tuple[Controller, threading.Event], journal: Path) -> None:
    controller, noticed = running
    before = journal.read_bytes()
    os.truncate(journal, 0)  # `: > session.jsonl` by mistake
    assert noticed.wait(WAIT_S)
    assert "cut short" in (controller.journal_health.notice or "")
    assert journal.read_bytes() == before
    controller.command("resume")
    assert controller.settle(WAIT_S)
    assert_journal_matches(controller)


@pytest.mark.slow
def test_a_replaced_journal_is_left_alone_and_the_session_goes_on_beside_it(
    running: tuple[Controller, threading.Event], journal: Path, tmp_path: Path
) -> None:
    controller, noticed = running
    before = journal.read_bytes()
    stranger = tmp_path / "stranger.jsonl"
    stranger.write_bytes(b"someone else's file\n")
    os.replace(stranger, journal)
    assert noticed.wait(WAIT_S)
    notice = controller.journal_health.notice or ""
    assert "replaced by another file" in notice and "session-recovered.jsonl" in notice
    assert journal.read_bytes() == b"someone else's file\n"  # never overwritten
    assert controller.path == tmp_path / "session-recovered.jsonl"
    assert controller.path.read_bytes() == before
    controller.command("resume")
    assert controller.settle(WAIT_S)
    assert_journal_matches(controller)


# -- another agenda's journal ----------------------------------------------------------------


OTHER = '[session]\ntitle = "Another show"\ndate = "2021-11-01"\ntimezone = "UTC"\n[[segments]]\nstart = "10:00"\nduration = "5m"\ntitle = "Hello"\n'


def test_another_agendas_journal_is_not_resumed_unasked(
    open_controller: Callable[..., Controller], journal: Path, clock: FakeClock
) -> None:
    first = open_controller(REHEARSAL)
    first.command("start")
    first.close()
    before = journal.read_bytes()
    other = parse_agenda(OTHER, "other.toml")
    with pytest.raises(JournalError, match="holds another agenda's session") as refused:
        Controller.open(journal, clock, agenda=other, mode=REHEARSAL)
    assert "\n" not in str(refused.value)
    asked: list[str] = []

    def no(question: str) -> bool:
        asked.append(question)
        return False

    with pytest.raises(JournalError, match="not resumed; nothing was changed"):
        Controller.open(journal, clock, agenda=other, mode=REHEARSAL, confirm=no)
    assert len(asked) == 1 and "'Another show'" in asked[0] and asked[0].endswith("resume that session?")
    assert journal.read_bytes() == before and holder(journal) is None
    resumed = Controller.open(journal, clock, agenda=other, mode=REHEARSAL, confirm=lambda q: True)
    try:
        assert resumed.agenda.session.title == first.agenda.session.title  # the journal's own session goes on
    finally:
        resumed.close()
    assert replay(journal).engine.seq == 4  # start, detach, reopen, detach


def test_the_same_agenda_edited_is_resumed_with_a_note(
    open_controller: Callable[..., Controller], journal: Path, clock: FakeClock, agenda: Agenda
) -> None:
    first = open_controller(REHEARSAL)
    first.close()
    edited = parse_agenda(agenda.source.replace('wrap_up = "2m"', 'wrap_up = "3m"', 1) + "\n# edited\n", agenda.path)
    resumed = Controller.open(journal, clock, agenda=edited, mode=REHEARSAL)
    try:
        assert any("has changed since this session began" in note for note in resumed.notes)
    finally:
        resumed.close()


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_journal_that_is_not_a_regular_file_is_refused(tmp_path: Path, clock: FakeClock, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "pipe.jsonl"
        os.mkfifo(path)
    else:
        path = tmp_path / "zero.jsonl"
        path.symlink_to("/dev/zero")  # would be read for ever
    with pytest.raises(JournalError, match="not a regular file"):
        Controller.open(path, clock)


def test_symlinks_planted_beside_a_journal_are_never_written_through(
    tmp_path: Path, clock: FakeClock, agenda: Agenda, journal: Path
) -> None:
    """In a shared folder, the lock note and the torn copy have names anyone can guess."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    (tmp_path / "session.jsonl.lock").symlink_to(victim)
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    controller.command("start")
    controller.writer.close()  # as kill -9 leaves it, but with a torn last record:
    controller.lock.release()
    with open(journal, "ab") as out:
        out.write(b'{"seq":2,"type":"pa')
    size = journal.stat().st_size
    stamp = replay(journal).header
    name = format_instant(stamp.wall_us)[:19].replace(":", "").replace("-", "")
    (tmp_path / f"session.jsonl.torn-{name}-{size}").symlink_to(victim)
    resumed = Controller.open(journal, clock)
    try:
        assert any("last record was damaged" in note for note in resumed.notes)
    finally:
        resumed.close()
    assert victim.read_text() == "precious\n"
    (copy,) = tmp_path.glob("session.jsonl.torn-*-2")
    assert not copy.is_symlink() and copy.stat().st_size == size


@pytest.mark.slow
def test_a_journal_lost_for_good_is_saved_whole_on_quit(
    tmp_path: Path, clock: FakeClock, agenda: Agenda, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    folder = tmp_path / "shows"
    folder.mkdir()
    journal = folder / "session.jsonl"
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL, wait=False)
    noticed = threading.Event()
    controller.watch(lambda: noticed.set() if controller.journal_health.notice else None)
    controller.command("start")
    assert controller.settle(WAIT_S)
    before = journal.read_bytes()
    shutil.rmtree(folder)
    folder.write_text("not a folder any more\n")  # so the journal cannot be written again where it was
    assert noticed.wait(WAIT_S)
    assert "cannot be written again" in (controller.journal_health.notice or "")
    controller.command("pause")
    controller.close()
    saved = controller.saved_copy
    assert saved is not None and saved.parent == tmp_path / "state" / "runofshow" / "rescue"
    assert controller.rescue_problem == "session.jsonl was deleted and could not be written again"
    assert saved.read_bytes().startswith(before) and os.stat(saved).st_mode & 0o777 == 0o600
    resumed = Controller.open(saved, clock)  # a journal of its own: the session goes on from it
    try:
        assert resumed.engine.paused_since is not None
    finally:
        resumed.close()
