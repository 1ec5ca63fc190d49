"""The report as text or file bytes in any registered format: one session, or several compared."""

from __future__ import annotations

from collections.abc import Sequence

from runofshow.report.compare import Compared
from runofshow.report.formats import FORMATS
from runofshow.report.model import SessionReport, compare
from runofshow.report.words import Shown

#: Width of the table when it is written to a file rather than a terminal.
FILE_WIDTH = 120


def render(sessions: Sequence[SessionReport], fmt: str, tz: str | None = None, *, width: int = FILE_WIDTH) -> str:
    """The report of one session, or the comparison of several, as text in `fmt` (a text format)."""
    content = _render(sessions, fmt, tz, width)
    if isinstance(content, bytes):
        raise ValueError(f"{fmt} is a binary format; use render_file")
    return content


def render_file(
    sessions: Sequence[SessionReport], fmt: str, tz: str | None = None, *, width: int = FILE_WIDTH
) -> bytes:
    """The report in `fmt` as the bytes of its file: text formats in UTF-8, xlsx as a workbook."""
    content = _render(sessions, fmt, tz, width)
    return content if isinstance(content, bytes) else content.encode("utf-8")


def _render(sessions: Sequence[SessionReport], fmt: str, tz: str | None, width: int) -> str | bytes:
    renderer = FORMATS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown format {fmt!r}")
    if len(sessions) == 1:
        s = sessions[0]
        return renderer.session(Shown(s, tz or s.timezone), width)
    return renderer.comparison(Compared(compare(sessions), tz), width)
