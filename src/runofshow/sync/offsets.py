"""Where each record of a journal starts, by `seq`, so catch-up reads only what a follower lacks.

The server keeps one index per journal: two arrays of 8-byte integers (16
bytes a record, about 3 MB for a 200k-record journal), built by one scan when
serving starts and grown by each record the writer makes durable. A follower
that asks for everything after seq N is sent the bytes from the offset of
N+1, in chunks of at most CHUNK_BYTES, never the whole file at once.
"""

from __future__ import annotations

import json
import os
from array import array
from bisect import bisect_right
from pathlib import Path

#: The most bytes one catch-up read takes into memory (a record longer than this is read whole).
CHUNK_BYTES = 16 * 1024
#: How much of the file one scan step reads.
SCAN_BYTES = 1024 * 1024
_SEQ_PREFIX = b'{"seq":'


def record_seq(line: bytes) -> int | None:
    """The `seq` of one journal line, or None if it is not a whole record.

    Records are written with `seq` first, so the common case needs no JSON
    parse; anything else falls back to one.
    """
    if line.startswith(_SEQ_PREFIX):
        end = line.find(b",", len(_SEQ_PREFIX))
        digits = line[len(_SEQ_PREFIX) : end]
        if end > 0 and digits.isdigit() and line.rstrip().endswith(b"}"):
            return int(digits)
    try:
        record = json.loads(line)
        seq = record["seq"]
    except (ValueError, KeyError, TypeError):
        return None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


class JournalIndex:
    """The header line and the byte offset of every durable record after it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        #: The header line, without its newline ("" until scanned).
        self.header = ""
        self._seqs = array("q")
        self._starts = array("q")
        #: The offset just after the last indexed record: where the next one starts.
        self.end = 0

    @property
    def last_seq(self) -> int:
        """The newest seq indexed (0 when there is none)."""
        return self._seqs[-1] if self._seqs else 0

    def __len__(self) -> int:
        return len(self._seqs)

    def scan(self) -> None:
        """Index the file from its first byte: whole lines only, up to the first that is not a record."""
        self._seqs = array("q")
        self._starts = array("q")
        self.header = ""
        self.end = 0
        with open(self.path, "rb") as file:
            first = file.readline()
            if not first.endswith(b"\n"):
                return
            self.header = first.decode(errors="replace").rstrip("\n")
            offset = len(first)
            carry = b""
            while True:
                block = file.read(SCAN_BYTES)
                if not block:
                    break
                data = carry + block
                start = 0
                while True:
                    newline = data.find(b"\n", start)
                    if newline < 0:
                        break
                    seq = record_seq(data[start:newline])
                    if seq is None or seq <= self.last_seq:
                        self.end = offset  # a record cut short by a failed write: the rest comes live
                        return
                    self._seqs.append(seq)
                    self._starts.append(offset)
                    offset += newline + 1 - start
                    start = newline + 1
                carry = data[start:]
        self.end = offset

    def add(self, line: bytes) -> int | None:
        """Index a record just made durable (it starts where the last ended); its seq, or None if known."""
        seq = record_seq(line)
        if seq is None or seq <= self.last_seq:
            return None
        self._seqs.append(seq)
        self._starts.append(self.end)
        self.end += len(line)
        return seq

    def chunk(self, fd: int, since: int) -> list[tuple[int, bytes]]:
        """The next records after `since` from `fd`, at most about CHUNK_BYTES of them, as (seq, line).

        An empty list means the follower has every indexed record. A chunk
        whose first line is not the record the index expects raises
        LookupError: the file changed under the index, which must be rebuilt.
        """
        first = bisect_right(self._seqs, since)
        if first >= len(self._seqs):
            return []
        start = self._starts[first]
        count = len(self._starts)
        limit = start + CHUNK_BYTES
        # Records first .. k-2 end where record k-1 starts, within the limit; the last ends at `end`.
        k = bisect_right(self._starts, limit, lo=first + 1)
        stop_index = count if k == count and self.end <= limit else k - 1
        stop_index = max(first + 1, stop_index)  # at least one record, however long
        stop = self._starts[stop_index] if stop_index < count else self.end
        data = os.pread(fd, stop - start, start)
        lines = data.split(b"\n")
        if len(data) != stop - start or lines[-1] != b"":
            raise LookupError("the journal is shorter than its index")
        out = list(zip(self._seqs[first:stop_index], lines[:-1]))
        if len(out) != stop_index - first or record_seq(out[0][1]) != out[0][0]:
            raise LookupError("the journal's records are not where the index has them")
        return out
