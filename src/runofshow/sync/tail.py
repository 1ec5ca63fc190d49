"""The records a journal file has past what a server has indexed, read by the server itself.

A server in a process of its own is not handed the records the controller
makes: it reads them from the file, each once, when it learns that there are
new ones (a note from the controller over a pipe, or a change to the file).
Only whole lines are read, each decoded once (its checksum checked) into the
event the pages fold; with a `limit`, only records up to the seq the
controller says is on disk.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from runofshow.domain.events import Event, ReplayError
from runofshow.journal.codec import DECODER, crc_ok
from runofshow.session.bus import DurableRecord
from runofshow.sync.offsets import JournalIndex, record_seq

#: The most bytes one look at the file reads.
READ_BYTES = 1 << 20


class JournalFile:
    """The served journal, open for reading by its name, with its index: catch-up chunks and the records past them."""

    def __init__(self, path: Path, index: JournalIndex) -> None:
        self.path = path
        self.index = index
        self.fd: int | None = None

    def open(self) -> None:
        """Open the journal (never locked: only its controller holds the lock)."""
        self.fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)

    def close(self) -> None:
        """Close it; closing twice is harmless."""
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def chunk(self, since: int) -> list[tuple[int, bytes]]:
        """The next indexed records after `since` (see `JournalIndex.chunk`); a file changed under it is indexed again."""
        assert self.fd is not None
        try:
            return self.index.chunk(self.fd, since)
        except LookupError:  # cut back or rewritten: index it again
            self.index.scan()
            return self.index.chunk(self.fd, since)

    def new_records(self, limit: int | None = None) -> tuple[list[DurableRecord], bool]:
        """The whole records past the index, up to seq `limit`, and whether there may be more now (see `read_new`)."""
        assert self.fd is not None
        return read_new(self.fd, self.index, limit)

    def reopen(self) -> None:
        """Open the journal again by its name (it was replaced, or cut back) and index it anew."""
        with contextlib.suppress(OSError):
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            self.close()
            self.fd = fd
        self.index.scan()

    def replaced(self) -> bool:
        """Whether the journal's name now leads to another file than the one open."""
        if self.fd is None:
            return False
        try:
            now, served = os.stat(self.path), os.fstat(self.fd)
        except OSError:
            return False
        return (now.st_dev, now.st_ino) != (served.st_dev, served.st_ino)


class TailProblem(Exception):
    """A whole line past the index that is not the next record: the file was rewritten, or is corrupt."""


def read_new(fd: int, index: JournalIndex, limit: int | None = None) -> tuple[list[DurableRecord], bool]:
    """The records after `index.end` in `fd` (up to seq `limit`), and whether there may be more to read now.

    Raises LookupError when the file is shorter than the index (cut back or
    replaced), and TailProblem when a whole line there is not the next record.
    """
    size = os.fstat(fd).st_size
    if size < index.end:
        raise LookupError("the journal is shorter than its index")
    data = os.pread(fd, min(size - index.end, READ_BYTES), index.end) if size > index.end else b""
    records: list[DurableRecord] = []
    last = index.last_seq
    start = 0
    while (newline := data.find(b"\n", start)) >= 0:
        line = data[start : newline + 1]
        seq = record_seq(line)
        if seq is None or seq != last + 1:
            raise TailProblem(f"record {seq} follows record {last}" if seq is not None else "a line that is no record")
        if limit is not None and seq > limit:
            return records, False  # written, not yet on disk for sure: the controller will say
        records.append(DurableRecord(seq, line, _event(line)))
        last = seq
        start = newline + 1
    more = start > 0 and index.end + len(data) < size
    return records, more


def _event(line: bytes) -> Event:
    """One record's event, decoded once; a line whose checksum or fields are wrong is a TailProblem."""
    body = line.rstrip(b"\n")
    try:
        record, end = DECODER.raw_decode(body.decode())
        if end != len(body) or not crc_ok(body) or not isinstance(record, dict):
            raise ValueError("its checksum or form is wrong")
        return Event.from_json(record)
    except (ValueError, ReplayError) as error:  # UnicodeDecodeError is a ValueError too
        raise TailProblem(f"a bad record: {error}") from None
