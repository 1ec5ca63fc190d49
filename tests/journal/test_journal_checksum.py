"""Each record carries a CRC-32, so a changed character is refused rather than read as another value."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.journal.codec import JournalError, crc_ok, encode
from runofshow.session.controller import Controller
from runofshow.session.replay import replay


def write_some(open_controller: Callable[..., Controller], clock: FakeClock) -> None:
    controller = open_controller()
    controller.command("start")
    for _ in range(3):
        clock.advance(61.5)
        controller.command("next")
    controller.close()


def test_every_record_is_sealed_and_still_plain_json(
    open_controller: Callable[..., Controller], clock: FakeClock, journal: Path
) -> None:
    write_some(open_controller, clock)
    lines = journal.read_bytes().splitlines()
    assert len(lines) >= 6  # header, start, three nexts (and the warnings between), detach
    for line in lines:
        assert crc_ok(line)
        assert len(json.loads(line)["crc"]) == 8


@pytest.mark.parametrize("swap", [(b'"mono":1', b'"mono":2'), (b'"to":3', b'"to":4'), (b"61.5", b"62.5")])
def test_a_changed_value_mid_file_is_refused(
    open_controller: Callable[..., Controller], clock: FakeClock, journal: Path, swap: tuple[bytes, bytes]
) -> None:
    """Still valid JSON, still a valid record: only the checksum tells."""
    write_some(open_controller, clock)
    lines = journal.read_bytes().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines[1:-1], start=1) if swap[0] in line)
    lines[index] = lines[index].replace(swap[0], swap[1], 1)
    json.loads(lines[index])
    journal.write_bytes(b"".join(lines))
    before = journal.read_bytes()
    with pytest.raises(JournalError, match=rf"session.jsonl:{index + 1}: corrupt record \(its checksum"):
        replay(journal)
    with pytest.raises(JournalError):
        Controller.open(journal, clock)
    assert journal.read_bytes() == before


def test_a_changed_last_record_is_repaired_like_a_torn_one(
    open_controller: Callable[..., Controller], clock: FakeClock, journal: Path
) -> None:
    write_some(open_controller, clock)
    data = journal.read_bytes()
    records = data.count(b"\n") - 1
    last = data[:-1].rsplit(b"\n", 1)[1]
    assert b'"type":"detach"' in last
    journal.write_bytes(data.replace(last, last.replace(b'"detach"', b'"detacH"')))
    resumed = Controller.open(journal, clock)
    try:
        assert "last record was damaged" in resumed.notes[0]
        assert resumed.engine.seq == records  # the detach was cut off, and a reopen took its number
    finally:
        resumed.close()


def test_a_line_without_a_checksum_is_read_as_written_by_hand() -> None:
    line = json.dumps({"seq": 1, "type": "start"}).encode()
    assert crc_ok(line)
    assert crc_ok(encode({"seq": 1, "type": "start"}).rstrip(b"\n"))
    assert not crc_ok(encode({"seq": 1, "type": "start"}).rstrip(b"\n").replace(b"1", b"2", 1))
