"""The journal codec at its edges: the header both ways, lines sealed and read back, and a reader fed in pieces.

Every reader (a report, a follower, a controller resuming) goes through
`Replayer`; what it accepts, what it holds back as a torn tail, and what it
refuses, with which words, is pinned here line by line.
"""

from __future__ import annotations

import getpass
import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from runofshow import __version__
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import Event, Pause, Start
from runofshow.domain.header import Header
from runofshow.domain.instants import Reading, parse_instant
from runofshow.journal.codec import JournalError, Torn, crc_ok, encode, new_header, user_name
from runofshow.session.replay import Replayer, replay

WALL = parse_instant("2021-10-08T08:55:00Z")
NAME = "session.jsonl"


def header_of(agenda: Agenda, **changes: Any) -> Header:
    fields: dict[str, Any] = {
        "session_id": "5e551011",
        "tool": "runofshow 0.1.0",
        "mode": "rehearsal",
        "agenda_path": "agendas/seed.toml",
        "agenda_text": agenda.source,
        "wall_us": WALL,
        "mono": 1000.25,
        "boot": "boot-1",
        "user": "dara",
        "host": "laptop",
    }
    return Header(**{**fields, **changes})


def record_of(header: Header, **changes: Any) -> dict[str, Any]:
    """The header's record with some keys changed (None: left out)."""
    record = {**header.to_json(), **changes}
    return {key: value for key, value in record.items() if value is not None}


START = Event(1, WALL + 60_000_000, 1060.25, "boot-1", Start(anchor_us=WALL + 60_000_000))
PAUSE = Event(2, WALL + 90_000_000, 1090.25, "boot-1", Pause(segment=1))


@pytest.fixture
def lines(agenda: Agenda) -> tuple[bytes, bytes, bytes]:
    """A journal's header, start and pause lines, newlines included."""
    return encode(header_of(agenda).to_json()), encode(START.to_json()), encode(PAUSE.to_json())


# -- the header -------------------------------------------------------------------


def test_the_header_is_written_with_the_documented_keys_in_order(agenda: Agenda) -> None:
    written = header_of(agenda).to_json()
    assert written == {
        "type": "header",
        "magic": "runofshow-journal",
        "format": 1,
        "session": "5e551011",
        "tool": "runofshow 0.1.0",
        "mode": "rehearsal",
        "wall": "2021-10-08T08:55:00.000000Z",
        "mono": 1000.25,
        "boot": "boot-1",
        "user": "dara",
        "host": "laptop",
        "agenda_path": "agendas/seed.toml",
        "agenda": agenda.source,
    }
    assert list(written) == list(json.loads(encode(written)))[:-1]  # as written, then the checksum


@pytest.mark.parametrize("changes", [{}, {"boot": None, "mode": "live", "agenda_path": ""}])
def test_a_header_reads_back_as_it_was_written(agenda: Agenda, changes: dict[str, Any]) -> None:
    header = header_of(agenda, **changes)
    assert Header.from_json(json.loads(encode(header.to_json()))) == header


def test_what_a_header_leaves_out_reads_as_empty(agenda: Agenda) -> None:
    bare = {"type": "header", "magic": "runofshow-journal", "format": 1, "mode": "live"}
    header = Header.from_json({**bare, "wall": "2021-10-08T08:55:00Z", "mono": 7, "agenda": agenda.source})
    assert (header.session_id, header.tool, header.agenda_path, header.user, header.host) == ("", "", "", "", "")
    assert (header.boot, header.mono, header.owner) == (None, 7.0, "@")


def test_a_boot_that_is_not_text_reads_as_none(agenda: Agenda) -> None:
    assert Header.from_json(record_of(header_of(agenda), boot=42)).boot is None


REFUSED_HEADERS: list[tuple[dict[str, Any], str]] = [
    ({"type": "start"}, "not a runofshow journal header"),
    ({"magic": "someone-elses-journal"}, "not a runofshow journal header"),
    ({"format": 2}, f"journal format 2 is newer than this runofshow ({__version__}) reads"),
    ({"format": "1"}, "format '1' is not a valid journal format"),
    ({"format": 0}, "format 0 is not a valid journal format"),
    ({"mode": "dress"}, "unknown mode 'dress'"),
    ({"agenda": 5}, "header lacks the agenda or the clock readings"),
    ({"mono": "1000"}, "the header's mono must be a number of seconds"),
]


@pytest.mark.parametrize(("changes", "message"), REFUSED_HEADERS)
def test_a_record_that_is_not_a_header_this_version_reads_is_refused(
    agenda: Agenda, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        Header.from_json(record_of(header_of(agenda), **changes))
    assert str(refused.value) == message


def test_a_new_header_says_who_made_it_with_what_and_when(agenda: Agenda, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "dara")
    monkeypatch.setattr(socket, "gethostname", lambda: "laptop")
    reading = Reading(mono=1234.567890123, awake=1000.0, wall_us=WALL, boot="boot-7")
    header = new_header(agenda, "live", reading)
    assert (header.tool, header.mode, header.user, header.host) == (
        f"runofshow {__version__}",
        "live",
        "dara",
        "laptop",
    )
    assert (header.agenda_path, header.agenda_text) == (agenda.path, agenda.source)
    assert (header.wall_us, header.mono, header.boot) == (WALL, 1234.56789, "boot-7")  # mono to the microsecond
    assert uuid.UUID(hex=header.session_id).hex == header.session_id
    assert new_header(agenda, "live", reading).session_id != header.session_id


@pytest.mark.parametrize("failure", [KeyError("uid 1234"), OSError("no login name")])
def test_a_user_without_a_login_name_is_unknown(monkeypatch: pytest.MonkeyPatch, failure: Exception) -> None:
    def getuser() -> str:
        raise failure

    monkeypatch.setattr(getpass, "getuser", getuser)
    assert user_name() == "unknown"


# -- one line ---------------------------------------------------------------------


def test_a_line_is_utf8_not_escapes() -> None:
    line = encode({"seq": 1, "type": "message", "data": {"text": "서울 — 5 min"}})
    assert "서울 — 5 min".encode() in line
    assert crc_ok(line.rstrip(b"\n"))


def test_a_checksum_that_is_not_hexadecimal_does_not_pass() -> None:
    line = encode({"seq": 1}).rstrip(b"\n")
    assert not crc_ok(line[:-10] + b'zzzzzzzz"}')


# -- a reader fed in pieces ---------------------------------------------------------


def test_a_reader_fed_in_pieces_applies_each_event_once_its_line_is_whole(lines: tuple[bytes, bytes, bytes]) -> None:
    head, start, pause = lines
    replayer = Replayer(NAME)
    assert replayer.feed(head[:40]) == []
    assert (replayer.header, replayer.agenda, replayer.engine) == (None, None, None)  # a follower is not ready yet
    assert replayer.feed(head[40:] + start[:10]) == []
    assert replayer.engine is not None and replayer.engine.seq == 0
    assert replayer.good_size == len(head)
    assert replayer.feed(b"") == []
    assert replayer.feed(start[10:] + pause) == [START, PAUSE]
    assert (replayer.engine.seq, replayer.engine.paused) == (2, True)
    assert (replayer.lines, replayer.good_size) == (3, len(head + start + pause))
    assert replayer.finish() is None


def test_the_agenda_is_named_by_its_path_or_as_the_journals(agenda: Agenda) -> None:
    for path, name in (("agendas/seed.toml", "agendas/seed.toml"), ("", "<journal agenda>")):
        replayer = Replayer(NAME)
        replayer.feed(encode(header_of(agenda, agenda_path=path).to_json()))
        assert replayer.agenda is not None and replayer.agenda.path == name


def test_a_last_line_cut_short_is_a_torn_tail(lines: tuple[bytes, bytes, bytes]) -> None:
    head, start, pause = lines
    replayer = Replayer(NAME)
    assert replayer.feed(head + start + pause[:-5]) == [START]
    assert replayer.finish() == Torn(line=3, offset=len(head + start), length=len(pause) - 5)


def test_a_last_line_that_is_not_json_is_a_torn_tail(lines: tuple[bytes, bytes, bytes]) -> None:
    head, start, _ = lines
    replayer = Replayer(NAME)
    replayer.feed(head + start + b'{"seq":2,"ty\n')
    assert replayer.finish() == Torn(line=3, offset=len(head + start), length=-1)


def test_a_last_line_with_a_bad_checksum_is_a_torn_tail(lines: tuple[bytes, bytes, bytes]) -> None:
    head, start, pause = lines
    replayer = Replayer(NAME)
    replayer.feed(head + start + pause.replace(b'"segment":1', b'"segment":2'))
    assert replayer.finish() == Torn(line=3, offset=len(head + start), length=-1)


BAD_MIDDLES: list[tuple[bytes, str]] = [
    (b'{"seq":1}{"seq":2}\n', "corrupt record (not JSON: extra data after the record)"),
    (
        b"\xff\xfe\n",
        "corrupt record (not JSON: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte)",
    ),
]


@pytest.mark.parametrize(("bad", "problem"), BAD_MIDDLES)
def test_a_bad_line_followed_by_more_is_corruption_not_a_torn_tail(
    lines: tuple[bytes, bytes, bytes], bad: bytes, problem: str
) -> None:
    head, start, _ = lines
    with pytest.raises(JournalError) as refused:
        Replayer(NAME).feed(head + bad + start)
    assert str(refused.value) == f"{NAME}:2: {problem} followed by more records; not changing it"


def test_a_bad_line_is_held_back_until_the_next_piece_shows_more(lines: tuple[bytes, bytes, bytes]) -> None:
    head, start, pause = lines
    replayer = Replayer(NAME)
    assert replayer.feed(head + start + b"not json\n") == [START]
    with pytest.raises(JournalError, match=rf"^{NAME}:3: corrupt record \(not JSON: "):
        replayer.feed(pause)


def test_a_record_that_is_not_an_object_is_a_bad_record(lines: tuple[bytes, bytes, bytes]) -> None:
    head, _, _ = lines
    with pytest.raises(JournalError) as refused:
        Replayer(NAME).feed(head + b"[1, 2]\n")
    assert str(refused.value) == f"{NAME}:2: bad record: not a JSON object"


FOREIGN_FIRST_LINES: list[tuple[bytes, str]] = [
    (b"hello\n", "not a runofshow journal (its first line is not JSON)"),
    (b"[1]\n", "not a runofshow journal (not a JSON object)"),
    (b'{"type":"start"}\n', "not a runofshow journal (not a runofshow journal header)"),
]


@pytest.mark.parametrize(("first", "message"), FOREIGN_FIRST_LINES)
def test_a_file_whose_first_line_is_no_header_is_not_a_journal(first: bytes, message: str) -> None:
    with pytest.raises(JournalError) as refused:
        Replayer(NAME).feed(first)
    assert str(refused.value) == f"{NAME}: {message}"


def test_a_header_of_a_newer_format_is_refused(agenda: Agenda) -> None:
    line = encode({**header_of(agenda).to_json(), "format": 2})
    with pytest.raises(JournalError) as refused:
        Replayer(NAME).feed(line)
    assert str(refused.value) == (
        f"{NAME}: not a runofshow journal (journal format 2 is newer than this runofshow ({__version__}) reads)"
    )


def test_a_header_carrying_an_invalid_agenda_is_refused(agenda: Agenda) -> None:
    with pytest.raises(JournalError) as refused:
        Replayer(NAME).feed(encode(header_of(agenda, agenda_text="[session]\ntitle = 3\n").to_json()))
    assert str(refused.value) == (
        f"{NAME}:1: bad record: the agenda it carries is invalid: "
        "agendas/seed.toml:2: [session] title: must be text in quotes, not int"
    )


def test_a_damaged_header_is_refused(lines: tuple[bytes, bytes, bytes]) -> None:
    head, _, _ = lines
    with pytest.raises(JournalError) as refused:
        Replayer(NAME).feed(head.replace(b'"user":"dara"', b'"user":"mara"'))
    assert str(refused.value) == f"{NAME}: its header is damaged (its checksum does not match)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file, not a runofshow journal"),
        (b'{"type":"hea', "not a runofshow journal (its first line is not a header)"),
    ],
)
def test_a_file_that_ends_before_its_header_is_not_a_journal(data: bytes, message: str) -> None:
    replayer = Replayer(NAME)
    replayer.feed(data)
    with pytest.raises(JournalError) as refused:
        replayer.finish()
    assert str(refused.value) == f"{NAME}: {message}"


def test_lines_taken_one_by_one_are_checked_and_applied_as_fed_ones_are(lines: tuple[bytes, bytes, bytes]) -> None:
    """A network follower parses each message itself and hands over the line and its record."""
    head, start, pause = (line.rstrip(b"\n") for line in lines)
    replayer = Replayer("follower")
    assert replayer.take(head, json.loads(head)) is None
    assert replayer.take(start, json.loads(start)) == START
    assert replayer.engine is not None and replayer.engine.seq == 1
    assert (replayer.lines, replayer.good_size) == (2, len(head) + len(start) + 2)
    damaged = pause.replace(b'"segment":1', b'"segment":2')
    assert replayer.take(damaged, json.loads(damaged)) is None  # held back
    with pytest.raises(JournalError) as refused:
        replayer.take(pause, json.loads(pause))
    assert str(refused.value) == (
        "follower:3: corrupt record (its checksum does not match its contents) followed by more records; not changing it"
    )


# -- a journal on disk ------------------------------------------------------------


def test_replaying_a_file_gives_its_sizes(tmp_path: Path, lines: tuple[bytes, bytes, bytes]) -> None:
    head, start, pause = lines
    path = tmp_path / NAME
    path.write_bytes(head + start + pause[:-1])
    replayed = replay(path)
    assert (replayed.good_size, replayed.size) == (len(head + start), len(head + start + pause) - 1)
    assert replayed.torn == Torn(line=3, offset=len(head + start), length=len(pause) - 1)
    assert replayed.engine.seq == 1


def test_a_journal_that_cannot_be_read_is_refused_saying_why(tmp_path: Path) -> None:
    for path, why in (
        (tmp_path / "gone.jsonl", "no such journal"),
        (tmp_path, "is a directory, not a journal"),
        (tmp_path / ("x" * 300), "cannot read: File name too long"),
    ):
        with pytest.raises(JournalError) as refused:
            replay(path)
        assert str(refused.value) == f"{path}: {why}"
