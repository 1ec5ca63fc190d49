"""The durable, append-only session log: the single source of truth.

A journal is JSON Lines. Line 1 is a header that carries the whole agenda, so
the file alone is enough to follow or review a session; every later line is
one event (see docs/journal.md). Each record goes out in one `write` and is
fsynced before the command that made it is reported done.
"""

from __future__ import annotations

import getpass
import json
import socket
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runofshow import __version__
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.header import Header
from runofshow.domain.instants import Reading
from runofshow.errors import RunofshowError
from runofshow.files import Expected

#: Decodes one record's JSON; `raw_decode` tells where it ended.
DECODER = json.JSONDecoder()


class JournalError(RunofshowError):
    """A journal that cannot be used as asked; `str()` is one line for the user."""


#: The most a journal may hold: far more than a session of 7 days writes (about 100 bytes a record).
MAX_JOURNAL_BYTES = 64 << 20
#: The longest line: the header carries an agenda of up to 1 MB, escaped; a record is a few hundred bytes.
MAX_LINE_BYTES = 4 << 20
#: A journal as a file a user names: regular, and at most MAX_JOURNAL_BYTES.
JOURNAL_FILE = Expected(
    "a journal", MAX_JOURNAL_BYTES, "a journal may be at most 64 MiB", JournalError, "no such journal"
)


def new_header(agenda: Agenda, mode: str, reading: Reading) -> Header:
    """A header for a fresh session on `agenda`."""
    user = user_name()
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


def user_name() -> str:
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


@dataclass(frozen=True, slots=True)
class Torn:
    """A last record that was cut short (no newline, or not JSON)."""

    line: int
    offset: int
    length: int
