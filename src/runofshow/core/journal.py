"""The durable, append-only session log: the single source of truth.

A journal is JSON Lines. Line 1 is a header that carries the whole agenda, so
the file alone is enough to follow or review a session; every later line is
one event (see docs/journal.md). Each record goes out in one `write` and is
fsynced before the command that made it is reported done.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import pwd
import socket
import time
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runofshow import __version__
from runofshow.core.agenda import Agenda, AgendaError, parse_agenda
from runofshow.core.clock import Reading, format_instant, parse_instant
from runofshow.core.events import LIVE, REHEARSAL, Event
from runofshow.core.state import ReplayError, State

FORMAT = 1
MAGIC = "runofshow-journal"
#: Tries at the lock, 10 ms apart, before another controller is named as its holder.
LOCK_ATTEMPTS = 5
_DECODER = json.JSONDecoder()


class JournalError(Exception):
    """A journal that cannot be used as asked; `str()` is one line for the user."""


class JournalLocked(JournalError):
    """Another controller holds the journal."""


@dataclass(frozen=True, slots=True)
class Header:
    """The first record: who runs which session, in which mode, on which agenda."""

    session_id: str
    tool: str
    mode: str
    agenda_path: str
    agenda_text: str
    wall_us: int
    mono: float
    boot: str | None
    user: str
    host: str
    format: int = FORMAT

    @property
    def origin(self) -> Reading:
        """The clock readings the journal's time axis starts from."""
        return Reading(mono=self.mono, awake=self.mono, wall_us=self.wall_us, boot=self.boot)

    @property
    def owner(self) -> str:
        """Whose session this is, as people say it: user@host."""
        return f"{self.user}@{self.host}"

    def to_json(self) -> dict[str, Any]:
        """The header record as written."""
        return {
            "type": "header",
            "magic": MAGIC,
            "format": self.format,
            "session": self.session_id,
            "tool": self.tool,
            "mode": self.mode,
            "wall": format_instant(self.wall_us),
            "mono": self.mono,
            "boot": self.boot,
            "user": self.user,
            "host": self.host,
            "agenda_path": self.agenda_path,
            "agenda": self.agenda_text,
        }

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> Header:
        """Parse a header record; raise ValueError if it is not one."""
        if record.get("type") != "header" or record.get("magic") != MAGIC:
            raise ValueError("not a runofshow journal header")
        version = record.get("format")
        if not isinstance(version, int) or version > FORMAT:
            raise ValueError(f"journal format {version} is newer than this runofshow ({__version__}) reads")
        mode = record.get("mode")
        if mode not in (LIVE, REHEARSAL):
            raise ValueError(f"unknown mode {mode!r}")
        text = record.get("agenda")
        mono = record.get("mono")
        if not isinstance(text, str) or not isinstance(mono, (int, float)):
            raise ValueError("header lacks the agenda or the clock readings")
        return cls(
            session_id=str(record.get("session", "")),
            tool=str(record.get("tool", "")),
            mode=mode,
            agenda_path=str(record.get("agenda_path", "")),
            agenda_text=text,
            wall_us=parse_instant(str(record.get("wall"))),
            mono=float(mono),
            boot=record.get("boot") if isinstance(record.get("boot"), str) else None,
            user=str(record.get("user", "")),
            host=str(record.get("host", "")),
            format=version,
        )


def new_header(agenda: Agenda, mode: str, reading: Reading) -> Header:
    """A header for a fresh session on `agenda`."""
    user = _user()
    return Header(
        session_id=uuid.uuid4().hex,
        tool=f"runofshow {__version__}",
        mode=mode,
        agenda_path=agenda.path,
        agenda_text=agenda.source,
        wall_us=reading.wall_us,
        mono=round(reading.mono, 6),
        boot=reading.boot,
        user=user,
        host=socket.gethostname(),
    )


_CRC_KEY = b',"crc":"'
_CRC_TAIL = len(_CRC_KEY) + 8 + 2  # ,"crc":"0123abcd"}


def _user() -> str:
    """The login name, for saying whose session (or lock) this is."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def encode(record: Mapping[str, Any]) -> bytes:
    """One record as one line of UTF-8 JSON, newline included, sealed with a CRC-32.

    The checksum covers the line as it would be without its own field, so a
    reader checks it without parsing again; a flipped bit anywhere in the
    record no longer passes for a different but valid value.
    """
    body = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    return body[:-1] + _CRC_KEY + b"%08x" % zlib.crc32(body) + b'"}\n'


def crc_ok(line: bytes) -> bool:
    """Whether a line's checksum matches (a line without one is accepted as written by hand)."""
    if line[-_CRC_TAIL : -_CRC_TAIL + len(_CRC_KEY)] != _CRC_KEY or not line.endswith(b'"}'):
        return _CRC_KEY not in line
    try:
        expected = int(line[-10:-2], 16)
    except ValueError:
        return False
    return zlib.crc32(line[:-_CRC_TAIL] + b"}") == expected


# ---------------------------------------------------------------------------
# Reading


@dataclass(frozen=True, slots=True)
class Torn:
    """A last record that was cut short (no newline, or not JSON)."""

    line: int
    offset: int
    length: int


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
        decode = _DECODER.raw_decode
        for line in chunks:
            self.lines += 1
            if self._suspect is not None:
                where, problem = self._suspect
                raise JournalError(
                    f"{self.name}:{where}: corrupt record ({problem}) followed by more records; not changing it"
                )
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
            if not crc_ok(line):
                if self.header is None:
                    raise JournalError(f"{self.name}: its header is damaged (its checksum does not match)") from None
                self._suspect = (self.lines, "its checksum does not match its contents")
                continue
            try:
                event = self._take(record)
            except (ValueError, ReplayError) as error:
                if self.header is None:
                    raise JournalError(f"{self.name}: not a runofshow journal ({error})") from None
                raise JournalError(f"{self.name}:{self.lines}: bad record: {error}") from None
            self.good_size += len(line) + 1
            if event is not None:
                applied.append(event)
        return applied

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


# ---------------------------------------------------------------------------
# Locking


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
    """

    def __init__(self, path: str | Path) -> None:
        self.path = lock_path(path)
        self.fd: int | None = None

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
        """Hold the (already taken) lock on `fd`, the open `journal`, letting go of any before; note the holder."""
        old, self.fd = self.fd, os.dup(fd)
        if old is not None:
            os.close(old)
        self.path = lock_path(journal)
        info = os.fstat(fd)
        text = f"PID {os.getpid()} {_user()}@{socket.gethostname()}\ninode {info.st_dev}:{info.st_ino}\n"
        try:
            note_fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                os.write(note_fd, text.encode())
            finally:
                os.close(note_fd)
        except OSError:
            pass  # only messages use the note; the lock is the journal's own

    def release(self) -> None:
        """Let go of the lock (the note stays: it only says who held it last)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _holder_of(fd: int, note: Path) -> str:
    """Who holds the lock on the journal open as `fd`: from the note when it names this file, else the kernel."""
    info = os.fstat(fd)
    try:
        lines = note.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
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
        fd = os.open(os.path.realpath(path), os.O_RDONLY | os.O_CLOEXEC)
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
