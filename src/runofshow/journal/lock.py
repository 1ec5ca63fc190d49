"""The single-writer lock: an flock on the journal file itself, and who holds it."""

from __future__ import annotations

import fcntl
import os
import pwd
import socket
import stat
import time
from pathlib import Path

from runofshow.journal.codec import JournalError, user_name

LOCK_ATTEMPTS = 5


class JournalLocked(JournalError):
    """Another controller holds the journal."""


def lock_path(path: str | Path) -> Path:
    """The note beside a journal (symlinks resolved) that says who controls it; the lock is the journal's own."""
    path = Path(os.path.realpath(path))
    return path.with_name(path.name + ".lock")


class JournalLock:
    """An exclusive flock on the journal file itself, held by its one controller.

    The lock follows the file, not the name: a second controller that reaches
    the same journal through a symlink or a hard link meets it. The kernel
    drops it when the process dies, so a killed controller leaves no stale
    lock. Who holds it is written to a note beside the journal, for messages.

    A session that had to go on in another file (its journal deleted, moved
    away or replaced under it) keeps the lock on every file it wrote until it
    ends: the one it left may still be reachable by another name (a hard
    link, a rename), and no second controller may take that up meanwhile.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = lock_path(path)
        self.fd: int | None = None
        #: The locks on files this session wrote before the one it writes now, held until `release`.
        self._left: list[int] = []

    def acquire(self, journal: str | Path, fd: int) -> None:
        """Take the lock on the open journal `fd`, or raise JournalLocked naming the holder."""
        for attempt in range(LOCK_ATTEMPTS):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # `holder()` looks at the lock by taking it shared for an instant:
                # a few tries a few ms apart tell that apart from a real holder.
                if attempt + 1 < LOCK_ATTEMPTS:
                    time.sleep(0.01)
        else:
            who = _holder_of(fd, self.path)
            raise JournalLocked(
                f"{journal}: already in use by another runofshow ({who}); "
                f"quit it first, or watch it with: runofshow follow {journal}"
            ) from None
        self.adopt(fd, journal)

    def adopt(self, fd: int, journal: str | Path) -> None:
        """Hold the (already taken) lock on `fd`, the open `journal`, keeping any held before; note the holder."""
        old, self.fd = self.fd, os.dup(fd)
        if old is not None:
            self._left.append(old)
        self.path = lock_path(journal)
        info = os.fstat(fd)
        text = f"PID {os.getpid()} {user_name()}@{socket.gethostname()}\ninode {info.st_dev}:{info.st_ino}\n"
        try:
            # Never through a symlink, nor into a file that is not a note of ours: the folder may be shared.
            note_fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
            try:
                info = os.fstat(note_fd)
                if stat.S_ISREG(info.st_mode) and info.st_nlink == 1 and info.st_uid == os.geteuid():
                    os.ftruncate(note_fd, 0)
                    os.pwrite(note_fd, text.encode(), 0)
            finally:
                os.close(note_fd)
        except OSError:
            pass  # only messages use the note; the lock is the journal's own

    def release(self) -> None:
        """Let go of the lock, and of those on files left before (the note stays: it only says who held it last)."""
        for fd in [*self._left, *([] if self.fd is None else [self.fd])]:
            os.close(fd)
        self._left.clear()
        self.fd = None


def _holder_of(fd: int, note: Path) -> str:
    """Who holds the lock on the journal open as `fd`: from the note when it names this file, else the kernel."""
    info = os.fstat(fd)
    lines: list[str] = []
    try:
        note_fd = os.open(note, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            if stat.S_ISREG(os.fstat(note_fd).st_mode):
                lines = os.pread(note_fd, 400, 0).decode(errors="replace").splitlines()
        finally:
            os.close(note_fd)
    except OSError:
        pass
    if len(lines) >= 2 and lines[1] == f"inode {info.st_dev}:{info.st_ino}" and lines[0].strip():
        return lines[0].strip()
    if len(lines) == 1 and lines[0].strip():
        return lines[0].strip()  # a note from before inodes were noted
    pid = _pid_from_kernel(info.st_dev, info.st_ino)
    if pid is None:
        return "PID unknown"
    try:
        owner = pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
    except (OSError, KeyError):
        owner = "unknown"
    return f"PID {pid} {owner}@{socket.gethostname()}, through another name for this file"


def _pid_from_kernel(dev: int, ino: int) -> int | None:
    """The PID holding a flock on (dev, ino), from /proc/locks on Linux; None elsewhere."""
    wanted = f"{os.major(dev):02x}:{os.minor(dev):02x}:{ino}"
    try:
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    for row in table.splitlines():
        words = row.split()
        if len(words) >= 6 and words[1] == "FLOCK" and words[3] == "WRITE" and words[5] == wanted:
            try:
                return int(words[4])
            except ValueError:
                return None
    return None


def holder(path: str | Path) -> str | None:
    """Who holds the journal's lock now ("PID 123 user@host"), or None if no one."""
    try:
        fd = os.open(os.path.realpath(path), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO must not hang us
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder_of(fd, lock_path(path))
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
