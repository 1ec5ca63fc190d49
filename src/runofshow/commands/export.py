"""`runofshow export`: an agenda as a sheet (csv, xlsx), calendar invitations (ics) or a speaker briefing (md)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from runofshow.agenda_file import load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.agenda.model import Agenda
from runofshow.errors import UserError
from runofshow.words.text import literal

FORMATS = ("csv", "xlsx", "ics", "md")
BINARY = ("xlsx",)


def render(agenda: Agenda, fmt: str, *, speaker: str | None = None, link: str | None = None) -> bytes:
    """The export of `agenda` in `fmt`, as the bytes of the file."""
    from runofshow.interop import words

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    names = words.speakers(agenda)
    if speaker is not None:
        if fmt not in ("ics", "md"):
            raise UserError("--speaker goes with --format ics or md")
        found = words.match_speaker(agenda, speaker)
        if found is None:
            listed = ", ".join(literal(n) for n in names) or "none"
            raise UserError(f'{literal(agenda.path)}: no speaker "{literal(speaker)}"; the speakers are: {listed}')
        names = [found]
    if fmt == "csv":
        from runofshow.interop.table import to_csv

        return to_csv(agenda).encode("utf-8")
    if fmt == "xlsx":
        from runofshow.interop.xlsx import agenda_workbook

        return agenda_workbook(agenda)
    if fmt == "ics":
        from runofshow.interop.ics import calendar

        segments = [s for s in agenda.segments if speaker is None or s.speaker in names]
        return calendar(agenda, segments, SystemClock().read().wall, link)
    from runofshow.interop.briefing import briefing

    return briefing(agenda, names, link).encode("utf-8")


def served_speaker_link(agenda: Agenda) -> str | None:
    """The speakers' (stage) link of this agenda's session, live or today's rehearsal, while `run --serve` serves it."""
    from runofshow.domain.events import LIVE, REHEARSAL
    from runofshow.journal.lock import holder
    from runofshow.session.choice import find_journal
    from runofshow.sync.links import served_links

    reading = SystemClock().read()
    for mode in (LIVE, REHEARSAL):
        journal, _ = find_journal(agenda, mode, reading)
        if journal.exists() and holder(journal) is not None:  # a note left by a server that is gone is no link
            links = served_links(journal)
            if links is not None:
                return links.stage
    return None


def for_terminal(data: bytes) -> bytes:
    """The text made safe to show: control characters from the agenda are made visible, not obeyed.

    A file keeps the agenda's text exactly, so that it imports back as written;
    a terminal must never take an escape sequence in a title as a command.
    """
    lines = re.split(r"\r?\n", data.decode("utf-8", "replace"))
    return "\n".join(literal(line) for line in lines).encode("utf-8")


def run_export(
    agenda_path: str, fmt: str, output: str | None = None, *, speaker: str | None = None, link: str | None = None
) -> int:
    """Write the export to `output` (or stdout)."""
    if output not in (None, "-") and Path(output).resolve() == Path(agenda_path).resolve():
        raise UserError(f"{literal(output)}: is the agenda being exported; write to another file")
    agenda = load_agenda(agenda_path)
    if link is None and fmt in ("md", "ics"):
        link = served_speaker_link(agenda)
    data = render(agenda, fmt, speaker=speaker, link=link)
    if output is None or output == "-":
        if sys.stdout.isatty():
            if fmt in BINARY:
                raise UserError(f"{fmt} is a binary file; give -o FILE.{fmt}")
            data = for_terminal(data)
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0
    try:
        Path(output).write_bytes(data)
    except OSError as error:
        raise UserError(f"{literal(output)}: cannot write: {error.strerror or error}") from None
    return 0
