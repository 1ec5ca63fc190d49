"""`runofshow export`: an agenda as a sheet (csv, xlsx), calendar invitations (ics) or a speaker briefing (md)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from runofshow.agenda_file import load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.agenda.model import Agenda
from runofshow.errors import UserError
from runofshow.files import Expected, read_regular
from runofshow.words.text import literal

if TYPE_CHECKING:
    from runofshow.interop.ics import Export, Previous, Sent

FORMATS = ("csv", "xlsx", "ics", "md", "ontime")
BINARY = ("xlsx",)


def render(agenda: Agenda, fmt: str, *, speaker: str | None = None, link: str | None = None) -> bytes:
    """The export of `agenda` in `fmt`, as the bytes of the file (a calendar as if nothing was sent before)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    names = _speakers(agenda, fmt, speaker)
    if fmt == "csv":
        from runofshow.interop.table import to_csv

        return to_csv(agenda).encode("utf-8")
    if fmt == "xlsx":
        from runofshow.interop.xlsx import agenda_workbook

        return agenda_workbook(agenda)
    if fmt == "ontime":
        from runofshow.interop import ontime

        return ontime.to_csv(agenda).encode("utf-8")
    if fmt == "ics":
        return render_calendar(agenda, speaker=speaker, link=link).data
    from runofshow.interop.briefing import briefing

    return briefing(agenda, names, link).encode("utf-8")


def _speakers(agenda: Agenda, fmt: str, speaker: str | None) -> list[str]:
    """Every speaker, or the one `--speaker` names (as the agenda spells it)."""
    from runofshow.interop import words

    names = words.speakers(agenda)
    if speaker is None:
        return names
    if fmt not in ("ics", "md"):
        raise UserError("--speaker goes with --format ics or md")
    found = words.match_speaker(agenda, speaker)
    if found is None:
        listed = ", ".join(literal(n) for n in names) or "none"
        raise UserError(f'{literal(agenda.path)}: no speaker "{literal(speaker)}"; the speakers are: {listed}')
    return [found]


def render_calendar(
    agenda: Agenda,
    *,
    speaker: str | None = None,
    link: str | None = None,
    ledger: Mapping[str, Sent] | None = None,
    previous: Previous | None = None,
) -> Export:
    """The calendar for the agenda (or one speaker's part), numbered after `ledger` and `previous`."""
    from runofshow.interop.ics import export_calendar

    names = _speakers(agenda, "ics", speaker)
    segments = [s for s in agenda.segments if speaker is None or s.speaker in names]
    found = names[0] if speaker is not None else None
    return export_calendar(
        agenda, segments, SystemClock().read().wall, link, ledger=ledger, previous=previous, speaker=found
    )


def ledger_path(agenda_path: str | Path) -> Path:
    """Where the calendar's SEQUENCE ledger is kept: agenda.toml -> agenda.calendar.json, beside it."""
    path = Path(agenda_path)
    return path.with_name(f"{path.stem}.calendar.json")


def _read_ledger(path: Path) -> dict[str, Sent]:
    from runofshow.interop.ics import MAX_PREVIOUS_BYTES, read_ledger

    if not os.path.exists(path):  # none yet (a dangling link counts as none, as it always did)
        return {}
    ledger = Expected("a calendar ledger", MAX_PREVIOUS_BYTES, "a calendar ledger may be at most 20 MB")
    try:
        text = read_regular(path, ledger).decode("utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{literal(str(path))}: cannot read: {error}") from None
    try:
        return read_ledger(text)
    except ValueError as error:
        raise UserError(
            f"{literal(str(path))}: not the calendar ledger export keeps ({literal(str(error))}); "
            "move it away, and give the last .ics you sent with --previous"
        ) from None


def _read_previous(name: str) -> Previous:
    from runofshow.interop.ics import MAX_PREVIOUS_BYTES, read_previous

    calendar = Expected("a calendar", MAX_PREVIOUS_BYTES, "is this a calendar runofshow exported? (at most 20 MB)")
    return read_previous(read_regular(name, calendar), name)


def _write_ledger(path: Path, ledger: Mapping[str, Sent]) -> None:
    from runofshow.interop.ics import ledger_text

    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(ledger_text(ledger), encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        raise UserError(
            f"{literal(str(path))}: cannot write the calendar's SEQUENCE ledger beside the agenda: "
            f"{error.strerror or error}"
        ) from None
    finally:
        partial.unlink(missing_ok=True)


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
    agenda_path: str,
    fmt: str,
    output: str | None = None,
    *,
    speaker: str | None = None,
    link: str | None = None,
    previous: str | None = None,
) -> int:
    """Write the export to `output` (or stdout); for a calendar, keep its SEQUENCE ledger beside the agenda."""
    if output not in (None, "-") and os.path.realpath(output) == os.path.realpath(agenda_path):
        raise UserError(f"{literal(output)}: is the agenda being exported; write to another file")
    if previous is not None and fmt != "ics":
        raise UserError("--previous goes with --format ics")
    agenda = load_agenda(agenda_path)
    if link is None and fmt in ("md", "ics"):
        link = served_speaker_link(agenda)
    ledger_file = ledger_path(agenda_path)
    calendar: Export | None = None
    if fmt == "ics":
        sent = _read_previous(previous) if previous is not None else None
        calendar = render_calendar(agenda, speaker=speaker, link=link, ledger=_read_ledger(ledger_file), previous=sent)
        data = calendar.data
    elif fmt == "ontime" and output is not None and output.lower().endswith((".xlsx", ".xlsm")):
        from runofshow.interop import ontime

        data, fmt = ontime.workbook(agenda), "xlsx"  # Ontime's own import reads xlsx
    else:
        data = render(agenda, fmt, speaker=speaker, link=link)
    _deliver(data, fmt, output)
    if calendar is not None:
        _write_ledger(ledger_file, calendar.ledger)
        if calendar.cancelled:
            print(f"Cancelled {len(calendar.cancelled)} event(s) no longer in the agenda.", file=sys.stderr)
        if calendar.uninvited:
            print(f"Nobody invited: {calendar.uninvited}.", file=sys.stderr)
    return 0


def _deliver(data: bytes, fmt: str, output: str | None) -> None:
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
        return
    try:
        Path(output).write_bytes(data)
    except OSError as error:
        raise UserError(f"{literal(output)}: cannot write: {error.strerror or error}") from None
