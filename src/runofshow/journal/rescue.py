"""Rescue files: records the journal could not take when the controller quit, kept until it can.

A rescue file is a small header naming the session, then the held records
exactly as they would have gone into the journal (each sealed with its
checksum). The next `run` on that journal merges them, in order, with no
`seq` twice, and removes the file once they are on disk.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from runofshow.domain.events import Event, ReplayError
from runofshow.domain.header import Header
from runofshow.journal.codec import crc_ok, encode
from runofshow.journal.file import FILE_MODE, fsync_dir
from runofshow.journal.places import state_dir

KIND = "runofshow-rescue"
#: The kind of rescue file that holds records a hub refused after a takeover (see `save_fenced`).
FENCED = "fenced"


def rescue_dirs() -> list[Path]:
    """Where rescue files go, in order of preference: the state folder, then the temporary one."""
    return [state_dir() / "rescue", Path(tempfile.gettempdir())]


def _name(header: Header, journal: Path, number: int, kind: str = "rescue") -> str:
    stem = journal.name.removesuffix(".jsonl")
    return f"{stem}.{header.session_id}.{kind}{'' if number == 1 else f'-{number}'}.jsonl"


def save_rescue(header: Header, journal: Path, after_seq: int, lines: Iterable[bytes]) -> tuple[Path | None, str]:
    """Write held records to the first writable rescue place; return the file (None if none took it) and why not."""
    body = encode({"type": "rescue", "magic": KIND, "session": header.session_id, "journal": str(journal),
                   "after": after_seq})  # fmt: skip
    return _save(header, journal, body + b"".join(lines), "rescue")


def save_fenced(
    header: Header, journal: Path, after_seq: int, lines: Iterable[bytes], *, by: str | None, at: str | None
) -> tuple[Path | None, str]:
    """Keep the records a hub refused because another controller took the room over after record `after_seq`.

    The same format as a rescue file, with who took over and when; never
    merged back by `run` (they would make the room's history fork), only
    listed by the report, so nothing written is lost.
    """
    body = encode({"type": "rescue", "magic": KIND, "session": header.session_id, "journal": str(journal),
                   "after": after_seq, "fenced_by": by, "fenced_at": at})  # fmt: skip
    return _save(header, journal, body + b"".join(lines), FENCED)


def save_copy(header: Header, journal: Path, image: bytes) -> tuple[Path | None, str]:
    """Save a whole journal whose file is gone (deleted, and it could not be written again) as a journal of its own."""
    return _save(header, journal, image, "saved")


def _save(header: Header, journal: Path, data: bytes, kind: str) -> tuple[Path | None, str]:
    problems: list[str] = []
    for folder in rescue_dirs():
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            for number in range(1, 1000):
                target = folder / _name(header, journal, number, kind)
                try:
                    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
                except FileExistsError:
                    continue
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                except OSError:
                    os.close(fd)
                    os.unlink(target)
                    raise
                os.close(fd)
                fsync_dir(folder)
                return target, ""
        except OSError as error:
            problems.append(f"{folder}: {error.strerror or error}")
    return None, "; ".join(problems)


#: A rescue file holds a few held records; anything much larger is not one of ours.
MAX_RESCUE_BYTES = 16 << 20


def _read_own(path: Path) -> tuple[bytes, float] | None:
    """A rescue file's bytes and time, if it is a regular file of this user's that no one else may write.

    The temporary folder is shared: a file planted there (a FIFO that would
    hang us, a huge file, records written by someone else) is not merged.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.geteuid()
            or info.st_mode & 0o022
            or info.st_size > MAX_RESCUE_BYTES
        ):
            return None
        return os.pread(fd, info.st_size, 0), info.st_mtime
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class Rescued:
    """One rescue file's records for a session."""

    path: Path
    events: list[tuple[Event, bytes]]
    #: The record after them that is sealed but cannot be replayed (its seq, and why), which ends the list.
    refused: tuple[object, str] | None = None
    #: Its header: for a fenced file, `fenced_by` and `fenced_at` say who took the room over, and when.
    about: dict[str, object] | None = None


def find_fenced(header: Header) -> list[Rescued]:
    """Every readable file of records a hub refused after a takeover of this session, oldest first."""
    return find_rescues(header, kind=FENCED)


def find_rescues(header: Header, *, kind: str = "rescue") -> list[Rescued]:
    """Every readable rescue file of this session, oldest first; damaged records end a file's list."""
    found: list[tuple[float, Rescued]] = []
    for folder in rescue_dirs():
        try:
            candidates = list(folder.glob(f"*.{header.session_id}.{kind}*.jsonl"))
        except OSError:
            continue
        for path in candidates:
            read = _read_own(path)
            if read is None:
                continue
            data, when = read
            lines = data.splitlines(keepends=True)
            try:
                first = json.loads(lines[0]) if lines else {}
            except ValueError:
                continue
            if not isinstance(first, dict) or first.get("magic") != KIND or first.get("session") != header.session_id:
                continue
            events: list[tuple[Event, bytes]] = []
            refused: tuple[object, str] | None = None
            for line in lines[1:]:
                if not line.endswith(b"\n") or not crc_ok(line.rstrip(b"\n")):
                    break
                try:
                    record = json.loads(line)
                    events.append((Event.from_json(record), line))
                except ReplayError as error:  # sealed, so not torn: the file is kept and the moderator told
                    refused = (record.get("seq"), str(error))
                    break
                except (ValueError, TypeError, KeyError):
                    break
            found.append((when, Rescued(path, events, refused, first)))
    return [rescued for _, rescued in sorted(found, key=lambda item: (item[0], str(item[1].path)))]
