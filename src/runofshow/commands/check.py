"""`runofshow check`: validate an agenda and print its schedule; `--fix-ids` gives every segment an id."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

from runofshow.agenda_file import load_agenda
from runofshow.domain.agenda.ids import NoPlaceForIds, with_ids
from runofshow.domain.agenda.model import Agenda, AgendaError
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.errors import UserError
from runofshow.schedule import print_check
from runofshow.words.text import literal


def run_check(path: str, *, fix_ids: bool = False) -> int:
    """Validate the agenda at `path` and print its schedule; AgendaError (one line) if it is wrong."""
    agenda = load_agenda(path)
    note = None
    if fix_ids:
        agenda, note = _fix_ids(path, agenda)
    print_check(agenda)
    if note:
        print(f"\n{note}")
    return 0


def _fix_ids(path: str, agenda: Agenda) -> tuple[Agenda, str]:
    """Add the missing ids to the file in place; the agenda as it now reads, and what was done."""
    name = literal(path)
    try:
        source, added = with_ids(agenda.source, agenda)
    except NoPlaceForIds as error:
        raise UserError(f"{name}: {error}") from None
    if not added:
        return agenda, f"{name}: every segment has an id; nothing changed."
    try:
        fixed = parse_agenda(source, path)
    except AgendaError as error:  # a layout with_ids did not foresee: better say so than write it
        raise UserError(f"{name}: could not add ids without changing the agenda ({error}); add them by hand") from None
    unchanged = [dataclasses.replace(s, id=old.id) for s, old in zip(fixed.segments, agenda.segments)]
    if fixed.session != agenda.session or unchanged != list(agenda.segments) or not all(s.id for s in fixed.segments):
        raise UserError(f"{name}: could not add ids without changing the agenda; add them by hand")
    _replace(Path(path), source)
    plural = "s" if added != 1 else ""
    return fixed, f"Added an id to {added} segment{plural} of {name}; calendars and sheets keep them from now on."


def _replace(path: Path, text: str) -> None:
    """Write `text` over the file at `path` (through a link, to its target) in one step, keeping its mode and BOM."""
    target = path.resolve()
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        bom = target.read_bytes().startswith(b"\xef\xbb\xbf")
        partial.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
        shutil.copymode(target, partial)
        os.replace(partial, target)
    except OSError as error:
        raise UserError(f"{literal(str(path))}: cannot write: {error.strerror or error}") from None
    finally:
        partial.unlink(missing_ok=True)
