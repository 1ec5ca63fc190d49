"""Load and validate an agenda file into frozen dataclasses.

Everything a user can get wrong in an agenda ends in one `AgendaError` whose
text is a single line naming the file, the line, the segment and the field.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from runofshow.domain.agenda.model import MAX_FILE_BYTES, Agenda, AgendaError
from runofshow.domain.agenda.parse import decode_agenda, parse_agenda


def load_agenda(path: str | Path) -> Agenda:
    """Read and validate the agenda at `path`; raise AgendaError on any mistake.

    Only a regular file of at most MAX_FILE_BYTES is read: a FIFO would wait
    forever for a writer, and /dev/zero never ends.
    """
    name = str(path)
    try:
        # Non-blocking, so that opening a FIFO with no writer returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise AgendaError(f"{name}: no such file") from None
    except PermissionError:
        raise AgendaError(f"{name}: permission denied") from None
    except OSError as error:
        raise AgendaError(f"{name}: cannot read: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise AgendaError(f"{name}: is a directory, not an agenda file")
        if not stat.S_ISREG(info.st_mode):
            raise AgendaError(f"{name}: is not a regular file (a pipe or a device?); give an agenda file")
        if info.st_size > MAX_FILE_BYTES:
            raise AgendaError(f"{name}: file is {info.st_size:,} bytes; an agenda may be at most 1 MB")
        chunks: list[bytes] = []
        left = MAX_FILE_BYTES + 1  # a file that grows while it is read is still cut off here
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 16))):
            chunks.append(chunk)
            left -= len(chunk)
        raw = b"".join(chunks)
    except OSError as error:
        raise AgendaError(f"{name}: cannot read: {error.strerror or error}") from None
    finally:
        os.close(fd)
    return parse_agenda(decode_agenda(raw, name), name)


def bundled_agenda() -> Path:
    """The seed agenda shipped inside the package (or beside it in a checkout)."""
    name = "sse-alliances-2021-10-08.toml"
    packaged = Path(__file__).resolve().parent / "agendas" / name
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "agendas" / name
