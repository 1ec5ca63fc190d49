"""The journal file on disk: created whole, appended one record at a time, checked and mended.

Everything here blocks on the disk. The controller never calls it from the
screen's event loop: `journal/writer.py` runs it on a thread of its own.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from runofshow.domain.header import Header
from runofshow.domain.instants import format_instant
from runofshow.journal.codec import JournalError, Torn, encode

#: New journals (and their rescue files) are readable by their owner alone.
FILE_MODE = 0o600


def fsync_dir(path: Path) -> None:
    """Make a new name in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_journal(path: Path) -> int:
    """The descriptor a controller reads, appends to and locks an existing journal through."""
    return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)


def names(path: Path, fd: int) -> bool:
    """Whether `path` still names the file open as `fd` (it may have been replaced before it was locked)."""
    try:
        there, mine = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino) and mine.st_nlink > 0


def write_new(path: Path, data: bytes) -> tuple[int, int] | None:
    """Put `data` at `path` as a new file, whole or not at all; return it flocked and open for appending.

    The file is written under a temporary name and linked into place, so no
    one ever sees half of it, and a name that exists meanwhile is never
    overwritten: then None is returned and nothing is changed. Two
    descriptors come back: the one that holds the lock (opened under the
    temporary name) and one opened by the real name for writing, so that
    watchers of the folder hear of each write under the journal's name.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fresh random name, never followed if someone put a symlink there: the folder may be shared.
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.new")
    fd = os.open(temp, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _write_all(fd, data)
            os.fsync(fd)
            os.link(temp, path)
        finally:
            os.unlink(temp)
        fsync_dir(path.parent)
        writing = open_journal(path)
    except FileExistsError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    if (os.fstat(writing).st_ino, os.fstat(writing).st_dev) != (os.fstat(fd).st_ino, os.fstat(fd).st_dev):
        os.close(writing)  # replaced in the instant between: take our own inode as it is, unnamed
        writing = os.dup(fd)
    return fd, writing


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


@dataclass(frozen=True, slots=True)
class Moved:
    """The journal now lives in another file: what happened, and where it went."""

    path: Path
    #: The descriptor holding the new file's lock (the writer has its own).
    lock_fd: int
    notice: str


class JournalFile:
    """Appends records, each in one write plus fsync, and holds them when the disk fails.

    A failed write may have left part of a record in the file, so before any
    later attempt the file is cut back to the end of the last record known to
    be durable. Held records go out in order, each exactly once.

    A copy of what is on disk is kept in memory (a journal is small: about a
    hundred bytes a record), so that a journal deleted, cut short or replaced
    under a running session can be written again.
    """

    def __init__(self, path: Path, fd: int, image: bytes) -> None:
        self.path = path
        self.fd = fd
        self.image = bytearray(image)
        #: (seq, line) of records not yet on disk, oldest first.
        self.held: list[tuple[int, bytes]] = []
        self.error: str | None = None
        self._dirty = False

    @property
    def good_size(self) -> int:
        """Bytes of the journal known to be on disk."""
        return len(self.image)

    def write_one(self) -> bool:
        """Write and fsync the oldest held record; False (and it stays held) if the disk refused."""
        _, line = self.held[0]
        try:
            if self._dirty:
                os.ftruncate(self.fd, self.good_size)
                os.fsync(self.fd)
                self._dirty = False
            written = os.write(self.fd, line)
            if written != len(line):
                self._dirty = True
                raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (wrote {written} of {len(line)} bytes)")
            os.fsync(self.fd)
        except OSError as error:
            self._dirty = True
            self.error = error.strerror or str(error)
            return False
        self.image += line
        self.held.pop(0)
        if not self.held:
            self.error = None
        return True

    def check(self) -> Moved | str | None:
        """Notice a journal deleted, replaced or cut short under us; mend it when that is safe.

        Returns what was done: the file it moved to, a notice when it was mended
        in place, or None when all is well.
        """
        try:
            mine = os.fstat(self.fd)
        except OSError:
            return None
        try:
            there = os.stat(self.path)
        except (FileNotFoundError, NotADirectoryError):
            there = None
        except OSError:
            return None
        if there is None:
            return self._write_again(self.path, f"{self.path.name} was deleted or moved away")
        if (there.st_dev, there.st_ino) != (mine.st_dev, mine.st_ino):
            return self._write_again(
                self._beside(), f"{self.path.name} was replaced by another file, which is left as it is"
            )
        if self._dirty or mine.st_size == self.good_size:
            return None
        if mine.st_size < self.good_size and os.pread(self.fd, mine.st_size, 0) == bytes(self.image[: mine.st_size]):
            cut = self.good_size - mine.st_size
            try:
                _write_all(self.fd, bytes(self.image[mine.st_size :]))
                os.fsync(self.fd)
            except OSError as error:
                self._dirty = True
                self.error = error.strerror or str(error)
                return f"{self.path.name} was cut short by {cut} bytes, and cannot be mended: {self.error}"
            return f"{self.path.name} was cut short by {cut} bytes; the records it lost were written again from memory"
        return self._write_again(self._beside(), f"{self.path.name} was changed by another program")

    def _beside(self) -> Path:
        stem = self.path.name.removesuffix(".jsonl")
        number = 1
        while True:
            candidate = self.path.with_name(f"{stem}-recovered{'' if number == 1 else f'-{number}'}.jsonl")
            if not candidate.exists():
                return candidate
            number += 1

    def _write_again(self, target: Path, what: str) -> Moved | str:
        try:
            made = write_new(target, bytes(self.image))
        except OSError as error:
            return f"{what}; it cannot be written again ({error.strerror or error}), so it will be saved on quit"
        if made is None:  # someone made one meanwhile: leave it, and go beside it
            return self._write_again(self._beside(), f"{what}, and another file took its name")
        lock_fd, fd = made
        os.close(self.fd)
        self.fd = fd
        self.path = target
        self._dirty = False
        return Moved(
            target, lock_fd, f"{what}; the session was written again from memory to {target.name}, and goes on there"
        )

    def cut_back(self) -> None:
        """Leave no part of a failed record at the end of the file (best effort: the next open cuts it too)."""
        if self._dirty:
            try:
                os.ftruncate(self.fd, self.good_size)
                os.fsync(self.fd)
                self._dirty = False
            except OSError:
                pass

    @property
    def reachable(self) -> bool:
        """Whether the journal still has a name on disk (a deleted file keeps its records only while open)."""
        try:
            return os.fstat(self.fd).st_nlink > 0
        except OSError:
            return False

    def close(self) -> None:
        """Close the file; held records, if any, stay unwritten (the caller saves them)."""
        try:
            os.close(self.fd)
        except OSError:
            pass


def create_journal(path: Path, header: Header) -> tuple[int, int] | None:
    """Write a new journal's header atomically; return (lock, writing) descriptors, or None if `path` exists."""
    return write_new(path, encode(header.to_json()))


def _new_file(path: Path, data: bytes) -> Path:
    """Write `data` to a new file at `path` (or `path-2`, …), never through a symlink nor over a file."""
    for number in range(1, 100):
        target = path if number == 1 else path.with_name(f"{path.name}-{number}")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
        except FileExistsError:
            continue
        try:
            _write_all(fd, data)
            os.fsync(fd)
        except OSError:
            os.unlink(target)  # a copy cut short by a full disk is no copy
            raise
        finally:
            os.close(fd)
        return target
    raise OSError(errno.EEXIST, f"{path}: too many files of that name")


def repair_torn_tail(path: Path, fd: int, data: bytes, torn: Torn, *, good_size: int, started_us: int, seq: int) -> str:
    """Copy the journal (`data`) aside, cut it back to its last good record (`good_size`), and say what was done.

    `started_us` names the copy after the session's start; `seq` is the last good record's.
    """
    stamp = format_instant(started_us)[:19].replace(":", "").replace("-", "")
    try:
        aside = _new_file(path.with_name(f"{path.name}.torn-{stamp}-{len(data)}"), data)
        os.ftruncate(fd, good_size)
        os.fsync(fd)
    except OSError as error:
        raise JournalError(
            f"{path}: its last record is damaged, and cannot be cut off: {error.strerror or error}"
        ) from None
    lost = len(data) - good_size
    return (
        f"{path}:{torn.line}: the last record was damaged ({lost} bytes), as a crash while it was "
        f"being written leaves it; a copy of the file is at {aside.name}, and the session goes on from "
        f"record {seq}"
    )
