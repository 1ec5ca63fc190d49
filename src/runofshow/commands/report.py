"""`runofshow report`: load the journals, pick the format, and write the report where it was asked for.

Nothing here reads the clock: a report of a finished journal is the same every time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from runofshow.domain.agenda.values import zone
from runofshow.errors import UserError
from runofshow.report.compare import Compared
from runofshow.report.formats import FORMATS
from runofshow.report.formats.table import compare_table, session_table
from runofshow.report.model import compare, load
from runofshow.report.rendering import render, render_file
from runofshow.report.words import Shown


def run_report(journals: Sequence[str], fmt: str = "table", output: str | None = None, tz: str | None = None) -> int:
    """Print (or write to `output`) the report of one journal, or the comparison of several."""
    if tz is not None:
        try:
            tz = zone(tz).name
        except ValueError as error:
            raise UserError(f"--tz: {error}") from None
    # realpath, not Path.resolve: a symlink loop is then a file that cannot be written, said in one line below.
    if output not in (None, "-") and os.path.realpath(output) in {os.path.realpath(j) for j in journals}:
        raise UserError(f"{output}: is a journal being reported on; write the report to another file")
    sessions = [load(path) for path in journals]
    if output is None and fmt == "table":
        # A terminal gets colour and its own width; a pipe gets plain text.
        shown = (
            session_table(Shown(sessions[0], tz or sessions[0].timezone))
            if len(sessions) == 1
            else compare_table(Compared(compare(sessions), tz))
        )
        _guard_pipe(lambda: Console().print(shown))
        return 0
    if FORMATS[fmt].binary:
        if output in (None, "-") and sys.stdout.isatty():
            raise UserError(f"{fmt} is a binary file; give -o FILE.{fmt}")
        data = render_file(sessions, fmt, tz)
        if output is None or output == "-":
            _guard_pipe(lambda: (sys.stdout.buffer.write(data), sys.stdout.flush()))
            return 0
        try:
            Path(output).write_bytes(data)
        except OSError as error:
            raise UserError(f"{output}: cannot write: {error.strerror or error}") from None
        return 0
    text = render(sessions, fmt, tz)
    if output is None or output == "-":
        _guard_pipe(lambda: (sys.stdout.write(text), sys.stdout.flush()))
        return 0
    try:
        Path(output).write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        raise UserError(f"{output}: cannot write: {error.strerror or error}") from None
    return 0


def _guard_pipe(write: Callable[[], object]) -> None:
    """Let `report | head` end quietly when the reader stops reading."""
    try:
        write()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
