"""A session's identity, as its journal's first record carries it: whose, which mode, which agenda."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runofshow import __version__
from runofshow.domain.bounds import check_instant, check_mono
from runofshow.domain.events import LIVE, REHEARSAL
from runofshow.domain.instants import Reading, format_instant, parse_instant

#: The journal format this runofshow writes, and the newest it reads.
FORMAT = 1
MAGIC = "runofshow-journal"


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
        if type(version) is not int or version < 1:
            raise ValueError(f"format {version!r} is not a valid journal format")
        if version > FORMAT:
            raise ValueError(f"journal format {version} is newer than this runofshow ({__version__}) reads")
        mode = record.get("mode")
        if mode not in (LIVE, REHEARSAL):
            raise ValueError(f"unknown mode {mode!r}")
        text = record.get("agenda")
        if not isinstance(text, str) or "mono" not in record or type(record.get("wall")) is not str:
            raise ValueError("header lacks the agenda or the clock readings")
        mono = check_mono(record["mono"], "the header's mono")
        wall_us = check_instant(parse_instant(record["wall"]), "the header's wall")
        return cls(
            session_id=str(record.get("session", "")),
            tool=str(record.get("tool", "")),
            mode=mode,
            agenda_path=str(record.get("agenda_path", "")),
            agenda_text=text,
            wall_us=wall_us,
            mono=mono,
            boot=record.get("boot") if isinstance(record.get("boot"), str) else None,
            user=str(record.get("user", "")),
            host=str(record.get("host", "")),
            format=version,
        )
