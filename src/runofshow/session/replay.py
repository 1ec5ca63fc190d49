"""Reading a journal back: the codec's records folded into the state, as every reader does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runofshow.domain.agenda.model import Agenda, AgendaError
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import Event, ReplayError
from runofshow.domain.fold import State
from runofshow.domain.header import Header
from runofshow.journal.codec import DECODER, JournalError, Torn, crc_ok

#: How many bytes `replay` feeds at a time.
_REPLAY_CHUNK = 1 << 20


class Replayer:
    """Turns journal bytes, fed in any pieces, into events applied to one engine.

    Only whole lines are read, so a half-written record is never seen. A bad
    line is held back: if another line follows it, the journal is corrupt; if
    the file ends there, it was a torn write that recovery may cut off.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.header: Header | None = None
        self.agenda: Agenda | None = None
        self.engine: State | None = None
        self.good_size = 0
        self.lines = 0
        self._partial = b""
        self._suspect: tuple[int, str] | None = None

    def feed(self, data: bytes) -> list[Event]:
        """Consume `data`; return the events it completed (already applied)."""
        if not data:
            return []
        chunks = (self._partial + data).split(b"\n")
        self._partial = chunks.pop()
        applied: list[Event] = []
        decode = DECODER.raw_decode
        for line in chunks:
            self._next_line()
            try:
                text = line.decode()
                record, end = decode(text)
                if end != len(text):
                    raise ValueError("extra data after the record")
            except ValueError as error:
                if self.header is None:
                    raise JournalError(f"{self.name}: not a runofshow journal (its first line is not JSON)") from None
                self._suspect = (self.lines, f"not JSON: {error}")
                continue
            event = self._checked(line, record)
            if event is not None:
                applied.append(event)
        return applied

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


def replay(path: str | Path) -> Replayed:
    """Read a journal and replay it, without changing the file."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise JournalError(f"{name}: no such journal") from None
    except IsADirectoryError:
        raise JournalError(f"{name}: is a directory, not a journal") from None
    except OSError as error:
        raise JournalError(f"{name}: cannot read: {error.strerror or error}") from None
    return replay_bytes(name, data)


def replay_bytes(name: str, data: bytes) -> Replayed:
    """Replay a journal's bytes, read by the caller (a controller reads them through its locked descriptor)."""
    replayer = Replayer(name)
    # In pieces, so the events of a long journal are never all held at once.
    view = memoryview(data)
    for offset in range(0, len(data), _REPLAY_CHUNK):
        replayer.feed(bytes(view[offset : offset + _REPLAY_CHUNK]))
    torn = replayer.finish()
    assert replayer.header is not None and replayer.agenda is not None and replayer.engine is not None
    return Replayed(replayer.header, replayer.agenda, replayer.engine, replayer.good_size, len(data), torn)
