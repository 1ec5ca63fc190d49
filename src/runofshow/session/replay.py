"""Reading a journal back: the codec's records folded into the state, as every reader does."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runofshow.domain.agenda.model import Agenda, AgendaError
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import KEYBOARD, Event, ReplayError
from runofshow.domain.fold import State
from runofshow.domain.header import Header
from runofshow.files import chunks, open_regular
from runofshow.journal.codec import DECODER, JOURNAL_FILE, MAX_LINE_BYTES, JournalError, Torn, crc_ok

#: How many bytes `replay` feeds at a time.
_REPLAY_CHUNK = 1 << 20


class Replayer:
    """Turns journal bytes, fed in any pieces, into events applied to one engine.

    Only whole lines are read, so a half-written record is never seen. A bad
    line is held back: if another line follows it, the journal is corrupt; if
    the file ends there, it was a torn write that recovery may cut off. A
    line longer than MAX_LINE_BYTES is a bad line too, and is not kept while
    the rest of it arrives: only its length is counted.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.header: Header | None = None
        self.agenda: Agenda | None = None
        self.engine: State | None = None
        self.good_size = 0
        self.lines = 0
        self._partial = b""
        #: The length so far of a line too long to keep, while the rest of it arrives (None when in none).
        self._overlong: int | None = None
        self._suspect: tuple[int, str] | None = None

    def feed(self, data: bytes) -> list[Event]:
        """Consume `data`; return the events it completed (already applied)."""
        if not data:
            return []
        if self._overlong is not None:
            end = data.find(b"\n")
            if end < 0:
                self._overlong += len(data)
                return []
            self._next_line()
            self._too_long(self._overlong + end)
            self._overlong = None
            data = data[end + 1 :]
        chunks = (self._partial + data).split(b"\n")
        self._partial = chunks.pop()
        applied: list[Event] = []
        decode = DECODER.raw_decode
        for line in chunks:
            self._next_line()
            if len(line) > MAX_LINE_BYTES:
                self._too_long(len(line))
                continue
            try:
                text = line.decode()
                record, end = decode(text)
                if end != len(text):
                    raise ValueError("extra data after the record")
            except (ValueError, RecursionError) as error:
                if self.header is None:
                    raise JournalError(f"{self.name}: not a runofshow journal (its first line is not JSON)") from None
                self._suspect = (self.lines, f"not JSON: {error}")
                continue
            event = self._checked(line, record)
            if event is not None:
                applied.append(event)
        if len(self._partial) > MAX_LINE_BYTES:
            if self.header is None:
                self._too_long(len(self._partial))  # raises: no journal starts so
            self._overlong, self._partial = len(self._partial), b""
        return applied

    def _too_long(self, length: int) -> None:
        """The line just ended (or still going on) is longer than any record: a bad line."""
        if self.header is None:
            raise JournalError(
                f"{self.name}: not a runofshow journal (its first line is longer than {MAX_LINE_BYTES:,} bytes)"
            )
        self._suspect = (self.lines, f"a line of {length:,} bytes, longer than any record")

    def take(self, line: bytes, record: object) -> Event | None:
        """One whole line (without its newline) that the caller has already parsed into `record`.

        Checked and applied exactly as a line of `feed` is, without parsing it
        again: for a network follower, which reads each message to sort
        records from heartbeats. Returns the event applied, if it was one.
        """
        self._next_line()
        return self._checked(line, record)

    def _next_line(self) -> None:
        self.lines += 1
        if self._suspect is not None:
            where, problem = self._suspect
            raise JournalError(
                f"{self.name}:{where}: corrupt record ({problem}) followed by more records; not changing it"
            )

    def _checked(self, line: bytes, record: object) -> Event | None:
        """Check a parsed line's checksum, then take it as the header or an event; None for a held-back line too."""
        if not crc_ok(line):
            if self.header is None:
                raise JournalError(f"{self.name}: its header is damaged (its checksum does not match)") from None
            self._suspect = (self.lines, "its checksum does not match its contents")
            return None
        try:
            event = self._take(record)
        except (ValueError, ReplayError) as error:
            if self.header is None:
                raise JournalError(f"{self.name}: not a runofshow journal ({error})") from None
            raise JournalError(f"{self.name}:{self.lines}: bad record: {error}") from None
        self.good_size += len(line) + 1
        return event

    def _take(self, record: object) -> Event | None:
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
        if self.header is None:
            self.header = Header.from_json(record)
            try:
                self.agenda = parse_agenda(self.header.agenda_text, self.header.agenda_path or "<journal agenda>")
            except AgendaError as error:
                raise ValueError(f"the agenda it carries is invalid: {error}") from None
            self.engine = State(self.agenda, self.header.mode, self.header.origin)
            return None
        event = Event.from_json(record)
        assert self.engine is not None
        self.engine.apply(event)
        return event

    def finish(self) -> Torn | None:
        """At the end of the file: say whether the last record was torn."""
        if self.header is None:
            if self._partial or self._suspect:
                raise JournalError(f"{self.name}: not a runofshow journal (its first line is not a header)")
            raise JournalError(f"{self.name}: empty file, not a runofshow journal")
        if self._suspect is not None:
            line, _ = self._suspect
            return Torn(line=line, offset=self.good_size, length=-1)
        if self._overlong is not None:
            return Torn(line=self.lines + 1, offset=self.good_size, length=self._overlong)
        if self._partial:
            return Torn(line=self.lines + 1, offset=self.good_size, length=len(self._partial))
        return None


@dataclass(frozen=True, slots=True)
class Replayed:
    """A journal read whole: its header, agenda, engine state, and any torn tail."""

    header: Header
    agenda: Agenda
    engine: State
    good_size: int
    size: int
    torn: Torn | None
    #: The records caused by someone other than the moderator's keyboard (a co-host, the API, the stage), in order.
    actions: tuple[Event, ...] = ()


def replay(path: str | Path) -> Replayed:
    """Read a journal and replay it, without changing the file.

    Only a regular file is read (a FIFO or a device is refused at once), a
    chunk at a time, and no more than MAX_JOURNAL_BYTES of it.
    """
    name = str(path)
    fd = open_regular(path, JOURNAL_FILE)
    try:
        return _replayed(name, chunks(fd, name, JOURNAL_FILE))
    finally:
        os.close(fd)


def replay_bytes(name: str, data: bytes) -> Replayed:
    """Replay a journal's bytes, read by the caller (a controller reads them through its locked descriptor)."""
    # In pieces, so the events of a long journal are never all held at once.
    view = memoryview(data)
    return _replayed(
        name, (bytes(view[offset : offset + _REPLAY_CHUNK]) for offset in range(0, len(data), _REPLAY_CHUNK))
    )


def _replayed(name: str, pieces: Iterable[bytes]) -> Replayed:
    replayer = Replayer(name)
    size = 0
    actions: list[Event] = []
    for piece in pieces:
        actions += [event for event in replayer.feed(piece) if event.actor != KEYBOARD]
        size += len(piece)
    torn = replayer.finish()
    assert replayer.header is not None and replayer.agenda is not None and replayer.engine is not None
    engine = replayer.engine
    return Replayed(replayer.header, replayer.agenda, engine, replayer.good_size, size, torn, tuple(actions))
