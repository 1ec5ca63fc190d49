"""Load and validate an agenda file into frozen dataclasses.

Everything a user can get wrong in an agenda ends in one `AgendaError` whose
text is a single line naming the file, the line, the segment and the field.
"""

from __future__ import annotations

from pathlib import Path

from runofshow.domain.agenda.model import MAX_FILE_BYTES, Agenda, AgendaError
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.files import Expected, read_regular

AGENDA_FILE = Expected("an agenda file", MAX_FILE_BYTES, "an agenda may be at most 1 MB", AgendaError)


def decode_agenda(raw: bytes, name: str) -> str:
    """Decode an agenda's bytes as UTF-8, naming the line of the first bad byte."""
    if len(raw) > MAX_FILE_BYTES:
        raise AgendaError(f"{name}: file is {len(raw):,} bytes; an agenda may be at most 1 MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise AgendaError(
            f"{name}:{line}: not UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def load_agenda(path: str | Path) -> Agenda:
    """Read and validate the agenda at `path`; raise AgendaError on any mistake.

    Only a regular file of at most MAX_FILE_BYTES is read: a FIFO would wait
    forever for a writer, and /dev/zero never ends.
    """
    name = str(path)
    return parse_agenda(decode_agenda(read_regular(path, AGENDA_FILE), name), name)


def bundled_agenda() -> Path:
    """The seed agenda shipped inside the package (or beside it in a checkout)."""
    name = "sse-alliances-2021-10-08.toml"
    packaged = Path(__file__).resolve().parent / "agendas" / name
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "agendas" / name
