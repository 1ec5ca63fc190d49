"""Reading a file a user named: a regular file only, and never more of it than a bound.

Agendas, spreadsheets and journals all come through here. A FIFO would wait
forever for a writer, `/dev/zero` never ends, and a file of gigabytes would
be read whole before anything said no: each is refused in one line instead.
Files are opened non-blocking, so that opening a FIFO returns at once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from runofshow.errors import UserError

#: How much is read at a time.
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Expected:
    """What a file should be, in the words its messages use."""

    #: What it is, as in "is a directory, not an agenda file".
    noun: str
    #: The most bytes it may hold, and how that is said ("an agenda may be at most 1 MB").
    limit: int
    limit_text: str
    #: The exception each problem is raised as (its text is one line).
    error: Callable[[str], Exception] = UserError
    #: What a missing file is called.
    missing: str = "no such file"


def open_regular(path: str | Path, what: Expected) -> int:
    """A read-only descriptor on `path`, once it is known to be a regular file within the bound.

    Raise `what.error` naming the file otherwise: missing, not readable, a
    directory, a pipe or a device, or larger than `what.limit`.
    """
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise what.error(f"{name}: {what.missing}") from None
    except PermissionError:
        raise what.error(f"{name}: permission denied") from None
    except IsADirectoryError:
        raise what.error(f"{name}: is a directory, not {what.noun}") from None
    except OSError as error:
        raise what.error(f"{name}: cannot read: {error.strerror or error}") from None
    try:
        check_regular(fd, name, what)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_regular(fd: int, name: str, what: Expected) -> os.stat_result:
    """The file open as `fd`, if it is a regular file within the bound; else raise `what.error`."""
    try:
        info = os.fstat(fd)
    except OSError as error:
        raise what.error(f"{name}: cannot read: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise what.error(f"{name}: is a directory, not {what.noun}")
    if not stat.S_ISREG(info.st_mode):
        raise what.error(f"{name}: is not a regular file (a pipe or a device?), so not {what.noun}")
    if info.st_size > what.limit:
        raise what.error(f"{name}: file is {info.st_size:,} bytes; {what.limit_text}")
    return info


def chunks(fd: int, name: str, what: Expected) -> Iterator[bytes]:
    """The file open as `fd`, from its start, a chunk at a time; `what.error` once it passes the bound.

    A file that grows while it is read is cut off at the bound all the same.
    """
    offset = 0
    while True:
        try:
            chunk = os.pread(fd, CHUNK, offset)
        except OSError as error:
            raise what.error(f"{name}: cannot read: {error.strerror or error}") from None
        if not chunk:
            return
        offset += len(chunk)
        if offset > what.limit:
            raise what.error(f"{name}: file is over {what.limit:,} bytes; {what.limit_text}")
        yield chunk


def read_regular(path: str | Path, what: Expected) -> bytes:
    """The whole of the regular file at `path`, at most `what.limit` bytes; else raise `what.error`."""
    fd = open_regular(path, what)
    try:
        return b"".join(chunks(fd, str(path), what))
    finally:
        os.close(fd)
