"""How much of a journal a reader holds: never a line longer than any record, never a file larger than any journal."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import REHEARSAL
from runofshow.journal.codec import MAX_JOURNAL_BYTES, MAX_LINE_BYTES, JournalError
from runofshow.session.controller import Controller
from runofshow.session.replay import Replayer, replay
from runofshow.sync.follower import FileFollower

CHUNK = 1 << 20


@pytest.fixture
def started(journal: Path, clock: FakeClock, agenda: Agenda) -> bytes:
    """A rehearsal started and left: its journal's bytes."""
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    controller.command("start")
    controller.close()
    return journal.read_bytes()


def test_a_torn_line_longer_than_any_record_is_counted_not_kept(started: bytes) -> None:
    """A last line of 24 MiB, fed a MiB at a time: torn, with its length, and never held whole."""
    replayer = Replayer("show.jsonl")
    replayer.feed(started)
    tracemalloc.start()
    try:
        for _ in range(24):
            replayer.feed(b"x" * CHUNK)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    torn = replayer.finish()
    assert torn is not None and torn.line == 4 and torn.length == 24 * CHUNK
    assert torn.offset == len(started)
    assert peak < 4 * MAX_LINE_BYTES, f"{peak:,} bytes held for a torn line"


def test_a_line_longer_than_any_record_followed_by_records_is_corrupt(started: bytes) -> None:
    lines = started.splitlines(keepends=True)
    replayer = Replayer("show.jsonl")
    with pytest.raises(JournalError) as refused:
        for piece in (*lines[:2], b"y" * (MAX_LINE_BYTES + 1), b"\n", *lines[2:]):
            replayer.feed(piece)
    assert str(refused.value) == (
        f"show.jsonl:3: corrupt record (a line of {MAX_LINE_BYTES + 1:,} bytes, longer than any record) "
        "followed by more records; not changing it"
    )


def test_a_first_line_longer_than_any_header_is_no_journal() -> None:
    replayer = Replayer("show.jsonl")
    with pytest.raises(JournalError, match=r"^show.jsonl: not a runofshow journal \(its first line is longer than"):
        for _ in range(MAX_LINE_BYTES // CHUNK + 1):
            replayer.feed(b"{" * CHUNK)


def test_a_controller_cuts_off_a_long_torn_line_like_any_torn_one(
    started: bytes, journal: Path, clock: FakeClock
) -> None:
    with open(journal, "ab") as file:
        file.write(b"z" * (MAX_LINE_BYTES * 2))
    assert replay(journal).torn is not None
    controller = Controller.open(journal, clock)
    try:
        assert any("the last record was damaged" in note for note in controller.notes)
    finally:
        controller.close()
    assert journal.read_bytes().startswith(started) and replay(journal).torn is None


def test_a_controller_refuses_a_file_larger_than_any_journal(started: bytes, journal: Path, clock: FakeClock) -> None:
    with open(journal, "r+b") as file:
        file.truncate(MAX_JOURNAL_BYTES + 1)
    with pytest.raises(JournalError, match="a journal may be at most 64 MiB"):
        Controller.open(journal, clock)
    assert journal.stat().st_size == MAX_JOURNAL_BYTES + 1


def test_a_follower_says_a_line_longer_than_any_record_is_corrupt(started: bytes, journal: Path) -> None:
    with open(journal, "ab") as file:
        file.write(b"z" * (MAX_LINE_BYTES + 2))
    follower = FileFollower(journal, FakeClock())
    follower.poll()
    assert follower.ready and follower.engine.started
    assert follower.problem == f"{journal}:4: a line longer than any record; corrupt"
