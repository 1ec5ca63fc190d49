"""Records decoded once: each type's data becomes a typed payload, checked when read, written back byte for byte."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import (
    MAX_EXTEND_S,
    MAX_MESSAGE,
    Adopt,
    ClockJump,
    Detach,
    End,
    Event,
    EventType,
    Extend,
    Goto,
    Later,
    Message,
    Next,
    Pause,
    Payload,
    Previous,
    Reopen,
    ReplayError,
    Resume,
    Seen,
    Skip,
    Start,
    Suspend,
    Takeover,
    Warning,
    WarningLevel,
    decode_data,
)
from runofshow.journal.codec import JournalError, encode
from runofshow.session.controller import Controller
from runofshow.session.replay import replay

WALL = "2021-10-08T09:00:00.000000Z"
CROSSED = "2021-10-08T08:59:58.250000Z"

#: One payload of every type, and the `data` object the journal has always had for it.
WRITTEN: list[tuple[Payload, dict[str, Any]]] = [
    (Start(anchor_us=1633683600000000), {"anchor": WALL}),
    (Pause(segment=2), {"segment": 2}),
    (Resume(segment=2), {"segment": 2}),
    (Next(from_=1, to=3), {"from": 1, "to": 3}),
    (Skip(segment=2, to=3), {"segment": 2, "to": 3}),
    (Previous(from_=3, to=2, undo=True), {"from": 3, "to": 2, "undo": True}),
    (Goto(from_=2, to=5), {"from": 2, "to": 5}),
    (Extend(segment=2, seconds=-90.0), {"segment": 2, "seconds": -90.0}),
    (End(segment=10), {"segment": 10}),
    (
        Warning(segment=1, level=WarningLevel.WRAP_UP, minute=0, crossed_at_us=1633683598250000),
        {"segment": 1, "level": "wrap_up", "crossed_at": CROSSED},
    ),
    (
        Warning(segment=1, level=WarningLevel.OVERTIME, minute=2, crossed_at_us=1633683598250000),
        {"segment": 1, "level": "overtime", "minute": 2, "crossed_at": CROSSED},
    ),
    (ClockJump(seconds=-3600.5), {"seconds": -3600.5}),
    (Suspend(seconds=240.0), {"seconds": 240.0}),
    (Reopen(since_last_s=200.0, uncertain=False), {"since_last_s": 200.0, "uncertain": False}),
    (
        Reopen(since_last_s=12.5, uncertain=False, clock_jump_s=7.25),
        {"since_last_s": 12.5, "uncertain": False, "clock_jump_s": 7.25},
    ),
    (Detach(), {}),
    (Message(text="Kim: 5 min break"), {"text": "Kim: 5 min break"}),
    (Message(text="Doors close at 19:30", pinned=True), {"text": "Doors close at 19:30", "pinned": True}),
    (Seen(message=12), {"message": 12}),
    (Later(segment=3, after=4, to=4), {"segment": 3, "after": 4, "to": 4}),
    (Adopt(segment=8, seconds=1119.0), {"segment": 8, "seconds": 1119.0}),
    (Adopt(segment=8, seconds=1119.0, auto=True), {"segment": 8, "seconds": 1119.0, "auto": True}),
    (
        Takeover(epoch=2, by="ana@booth", from_="kim@stage", after=41, silent_s=12.5),
        {"epoch": 2, "by": "ana@booth", "from": "kim@stage", "after": 41, "silent_s": 12.5},
    ),
]


def test_every_event_type_has_one_payload_type() -> None:
    assert sorted({payload.TYPE for payload, _ in WRITTEN}) == sorted(EventType)


@pytest.mark.parametrize(("payload", "data"), WRITTEN, ids=lambda item: getattr(item, "TYPE", ""))
def test_a_payload_is_written_as_the_journal_always_had_it_and_read_back_the_same(
    payload: Payload, data: dict[str, Any]
) -> None:
    assert payload.to_json() == data
    assert json.dumps(payload.to_json()) == json.dumps(data)  # key order too: the line is byte for byte the same
    assert decode_data(payload.TYPE, data) == payload


def test_a_record_is_encoded_byte_for_byte_as_before() -> None:
    event = Event(3, 1633683662500000, 1362.5, "2b5e", Next(from_=1, to=2))
    assert encode(event.to_json()) == (
        b'{"seq":3,"type":"next","wall":"2021-10-08T09:01:02.500000Z","mono":1362.5,"boot":"2b5e",'
        b'"data":{"from":1,"to":2},"crc":"6b4851a6"}\n'
    )
    assert Event.from_json(json.loads(encode(event.to_json()))) == event


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    ("teleport", {}, "unknown event type 'teleport'"),
    ("start", {}, "start: anchor must be an instant"),
    ("start", {"anchor": "09:00"}, "start: anchor must be an instant"),
    ("start", {"anchor": 1633683600}, "start: anchor must be an instant"),
    ("pause", {}, "pause: segment must be a segment number"),
    ("pause", {"segment": 0}, "pause: segment must be a segment number"),
    ("pause", {"segment": True}, "pause: segment must be a segment number"),
    ("resume", {"segment": 1.0}, "resume: segment must be a segment number"),
    ("next", {"from": 1}, "next: to must be a segment number"),
    ("next", {"from": 1, "to": "2"}, "next: to must be a segment number"),
    ("skip", {"to": 2}, "skip: segment must be a segment number"),
    ("goto", {"from": 1, "to": -3}, "goto: to must be a segment number"),
    ("goto", {"from": 1, "to": 501}, "goto: to must be a segment number (1 to 500)"),
    ("previous", {"from": 2, "to": 1}, "previous: undo must be true or false"),
    ("previous", {"from": 2, "to": 1, "undo": 1}, "previous: undo must be true or false"),
    ("extend", {"segment": 1}, "extend: seconds must be a finite number"),
    ("extend", {"segment": 1, "seconds": "60"}, "extend: seconds must be a finite number"),
    ("extend", {"segment": 1, "seconds": True}, "extend: seconds must be a finite number"),
    ("extend", {"segment": 1, "seconds": math.nan}, "extend: seconds must be a finite number"),
    ("extend", {"segment": 1, "seconds": math.inf}, "extend: seconds must be a finite number"),
    ("extend", {"segment": 1, "seconds": MAX_EXTEND_S + 1}, "from -43200 to 43200"),
    ("extend", {"segment": 1, "seconds": -MAX_EXTEND_S - 1}, "from -43200 to 43200"),
    ("end", {"segment": None}, "end: segment must be a segment number"),
    ("warning", {"segment": 1, "level": "panic", "crossed_at": CROSSED}, "warning: level must be one of wrap_up"),
    ("warning", {"segment": 1, "level": "overtime", "crossed_at": CROSSED}, "warning: minute must be a whole number"),
    ("warning", {"segment": 1, "level": "overtime", "minute": 0, "crossed_at": CROSSED}, "at least 1"),
    ("warning", {"segment": 1, "level": "final"}, "warning: crossed_at must be an instant"),
    ("clock_jump", {}, "clock_jump: seconds must be a finite number"),
    ("clock_jump", {"seconds": -math.inf}, "clock_jump: seconds must be a finite number"),
    ("suspend", {"seconds": -1}, "suspend: seconds must be a finite number, at least 0"),
    ("reopen", {"uncertain": False}, "reopen: since_last_s must be a finite number"),
    ("reopen", {"since_last_s": 1.0, "uncertain": "no"}, "reopen: uncertain must be true or false"),
    ("reopen", {"since_last_s": 1.0, "uncertain": True, "clock_jump_s": None}, "reopen: clock_jump_s must be"),
    ("message", {}, f"message: text must be at most {MAX_MESSAGE} characters of text"),
    ("message", {"text": 3}, "message: text must be at most"),
    ("message", {"text": "x" * (MAX_MESSAGE + 1)}, "message: text must be at most"),
    ("message", {"text": "hi", "pinned": 1}, "message: pinned must be true or false"),
    ("seen", {}, "seen: message must be a whole number, at least 1"),
    ("seen", {"message": 0}, "seen: message must be a whole number, at least 1"),
    ("later", {"segment": 2, "to": 3}, "later: after must be a segment number"),
    ("later", {"segment": 2, "after": 3}, "later: to must be a segment number"),
    ("adopt", {"segment": 2, "seconds": -1}, "adopt: seconds must be a finite number from 0 to 43200"),
    ("adopt", {"segment": 2, "seconds": 60, "auto": "yes"}, "adopt: auto must be true or false"),
    ("takeover", {"epoch": 1, "by": "a", "from": "b", "after": 0, "silent_s": 1}, "takeover: epoch must be a whole"),
    ("takeover", {"epoch": 2, "by": 7, "from": "b", "after": 0, "silent_s": 1}, "takeover: by must be at most"),
    ("takeover", {"epoch": 2, "by": "a", "from": "b", "after": -1, "silent_s": 1}, "takeover: after must be"),
    ("takeover", {"epoch": 2, "by": "a", "from": "b", "after": 3, "silent_s": -1}, "takeover: silent_s must be"),
]


@pytest.mark.parametrize(("kind", "data", "message"), REFUSED)
def test_data_that_is_not_what_its_type_carries_is_refused_when_decoded(
    kind: str, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ReplayError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_data(kind, data)


def test_keys_a_type_does_not_know_are_ignored() -> None:
    assert decode_data("pause", {"segment": 1, "note": "from a later version"}) == Pause(segment=1)


def test_a_bad_record_is_refused_with_its_place(tmp_path: Path, agenda: Agenda, clock: FakeClock) -> None:
    """Decoding happens once, on the replay path: a bad record names file:line, exactly as before."""
    path = tmp_path / "journal.jsonl"
    controller = Controller.open(path, clock, agenda=agenda, mode="rehearsal")
    controller.command("start")
    controller.close()
    record = {"seq": 3, "type": "extend", "wall": WALL, "mono": 1060.0, "boot": "boot-1"}
    with path.open("ab") as journal:
        journal.write(encode({**record, "data": {"segment": 1, "seconds": 1e9}}))
    with pytest.raises(JournalError) as refused:
        replay(path)
    assert str(refused.value) == (f"{path}:4: bad record: extend: seconds must be a finite number from -43200 to 43200")


ACCEPTED_AT_THE_BOUNDS: list[tuple[str, dict[str, Any], Payload]] = [
    ("pause", {"segment": 500}, Pause(segment=500)),
    ("extend", {"segment": 1, "seconds": MAX_EXTEND_S}, Extend(segment=1, seconds=MAX_EXTEND_S)),
    ("extend", {"segment": 1, "seconds": -MAX_EXTEND_S}, Extend(segment=1, seconds=-MAX_EXTEND_S)),
    ("suspend", {"seconds": 0}, Suspend(seconds=0.0)),
    ("message", {"text": "x" * MAX_MESSAGE}, Message(text="x" * MAX_MESSAGE)),
]


@pytest.mark.parametrize(("kind", "data", "payload"), ACCEPTED_AT_THE_BOUNDS)
def test_data_at_its_bounds_is_accepted(kind: str, data: dict[str, Any], payload: Payload) -> None:
    assert decode_data(kind, data) == payload


#: What a refusal says, word for word: it ends up in "file:line: bad record: ..." before the user.
REFUSED_SAYING: list[tuple[str, dict[str, Any], str]] = [
    ("start", {"anchor": 1633683600}, "start: anchor must be an instant (ISO 8601 text) from the year 2000 to 2099"),
    (
        "start",
        {"anchor": "2021-10-08T09:00:00"},
        "start: anchor must be an instant (ISO 8601 text) from the year 2000 to 2099",
    ),
    ("pause", {"segment": 501}, "pause: segment must be a segment number (1 to 500)"),
    ("clock_jump", {"seconds": "1"}, "clock_jump: seconds must be a finite number"),
    ("suspend", {"seconds": -1}, "suspend: seconds must be a finite number, at least 0"),
    ("extend", {"segment": 1, "seconds": 1e9}, "extend: seconds must be a finite number from -43200 to 43200"),
    ("warning", {"segment": 1, "level": "panic"}, "warning: level must be one of wrap_up, final, time_up, overtime"),
    ("message", {"text": "x" * (MAX_MESSAGE + 1)}, "message: text must be at most 280 characters of text"),
]


@pytest.mark.parametrize(("kind", "data", "message"), REFUSED_SAYING)
def test_a_refusal_says_what_the_data_must_be(kind: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(ReplayError) as refused:
        decode_data(kind, data)
    assert str(refused.value) == message


RECORD = {"seq": 4, "type": "pause", "wall": WALL, "mono": 1060.5, "boot": "boot-1", "data": {"segment": 2}}

NOT_RECORDS: list[tuple[dict[str, Any], str]] = [
    ({"seq": None}, "no 'seq' in the record"),
    ({"mono": None}, "no 'mono' in the record"),
    ({"seq": 0}, "seq must be a positive whole number"),
    ({"seq": "4"}, "seq must be a positive whole number"),
    ({"seq": True}, "seq must be a positive whole number"),
    ({"type": 4}, "type and wall must be text"),
    ({"wall": 1633683600}, "type and wall must be text"),
    ({"mono": "1060.5"}, "mono must be a number of seconds"),
    ({"mono": math.inf}, "mono inf is not a number of seconds from 0 to 4e+09"),
    ({"mono": True}, "mono must be a number of seconds"),
    ({"boot": 5}, "boot must be text or null"),
    ({"data": [2]}, "data must be an object"),
]


@pytest.mark.parametrize(("changes", "message"), NOT_RECORDS)
def test_a_record_without_its_parts_is_refused_saying_which(changes: dict[str, Any], message: str) -> None:
    record = {key: value for key, value in {**RECORD, **changes}.items() if value is not None}
    with pytest.raises(ValueError) as refused:
        Event.from_json(record)
    assert str(refused.value) == message


def test_a_record_reads_a_whole_mono_as_seconds_and_no_data_as_none() -> None:
    event = Event.from_json({**RECORD, "mono": 1060, "boot": None})
    assert (event.mono, type(event.mono), event.boot) == (1060.0, float, None)
    detach = Event.from_json({key: value for key, value in RECORD.items() if key != "data"} | {"type": "detach"})
    assert detach.payload == Detach()


def test_a_record_made_from_its_parts_keeps_them() -> None:
    event = Event.from_data(4, "pause", 1633683660500000, 1060.5, "boot-1", {"segment": 2})
    assert event == Event(4, 1633683660500000, 1060.5, "boot-1", Pause(segment=2))
    assert Event.from_json(event.to_json()) == event
