"""How a room's journal maps onto a JetStream stream: names, subjects and sequence numbers.

One stream per room, named `RUNOFSHOW_<room>`, holding the one subject
`runofshow.<room>`. Its first message is the journal's header line; the
record with journal seq N is stream message N + 1, its bytes exactly the
journal line without the newline. So a controller that has published
record N expects the stream's last sequence to be N + 1 when it publishes
record N + 1 (`Nats-Expected-Last-Sequence`): a second writer, or a
controller that was taken over, fails that check instead of appending.
Each message also carries `Nats-Msg-Id: <session id>:<seq>`, so a record
sent again after a lost acknowledgement is stored once.
Heartbeats (not stored) go to `runofshow-beat.<room>`. Commands for the room's
controller (from `serve --hub`'s control API) are NATS requests on
`runofshow-control.<room>`, answered by the controller once the record is on disk.
"""

from __future__ import annotations

import re

#: What a room may be called: it becomes part of a stream name and a subject.
ROOM_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: Every room's stream name starts with this.
STREAM_PREFIX = "RUNOFSHOW_"
#: Every room's subject starts with this.
SUBJECT_PREFIX = "runofshow."
#: Heartbeats of a room's controller: core NATS, never stored.
BEAT_PREFIX = "runofshow-beat."
#: Commands for a room's controller: core NATS request and reply, never stored.
CONTROL_PREFIX = "runofshow-control."
#: The default port of a NATS server.
DEFAULT_PORT = 4222


class RoomNameError(ValueError):
    """A room name that cannot be a stream name and a subject."""


def check_room(room: str) -> str:
    """`room` if it can name a stream and a subject; RoomNameError, in words for a person, if not."""
    if not ROOM_PATTERN.fullmatch(room):
        raise RoomNameError(f"room {room!r}: use 1 to 64 letters, digits, '-' or '_'")
    return room


def stream_name(room: str) -> str:
    """The JetStream stream holding `room`'s journal."""
    return STREAM_PREFIX + check_room(room)


def subject(room: str) -> str:
    """The one subject of `room`'s stream."""
    return SUBJECT_PREFIX + check_room(room)


def beat_subject(room: str) -> str:
    """Where `room`'s controller says it is alive when it has nothing to record."""
    return BEAT_PREFIX + check_room(room)


def control_subject(room: str) -> str:
    """Where `room`'s controller takes commands (request and reply)."""
    return CONTROL_PREFIX + check_room(room)


def room_of_stream(name: str) -> str | None:
    """The room a stream holds, or None for a stream that is not a room's."""
    if not name.startswith(STREAM_PREFIX):
        return None
    room = name[len(STREAM_PREFIX) :]
    return room if ROOM_PATTERN.fullmatch(room) else None


def stream_seq(seq: int) -> int:
    """The stream sequence of journal record `seq` (the header is stream message 1)."""
    return seq + 1


def journal_seq(stream_sequence: int) -> int:
    """The journal seq of stream message `stream_sequence` (0: the header)."""
    return stream_sequence - 1


def message_id(session: str, seq: int) -> str:
    """The `Nats-Msg-Id` of record `seq` of session `session` (its header's id): stored once however often sent."""
    return f"{session}:{seq}"
