"""Where journals live by default: one file per agenda and day, under the XDG state folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

from runofshow.core.agenda import Agenda
from runofshow.core.clock import Reading
from runofshow.core.events import LIVE
from runofshow.core.journal import JournalError, replay


def state_dir() -> Path:
    """`$XDG_STATE_HOME/runofshow`, or `~/.local/state/runofshow`."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "runofshow"


def find_journal(agenda: Agenda, mode: str, reading: Reading, *, new: bool = False) -> tuple[Path, Path | None]:
    """The journal to use for `agenda` today: the latest one unless it has ended (or `new`),
    and the ended one it follows, if any, so that the moderator can be told.

    Names are `<agenda>_<date>[_rehearsal][-N].jsonl`; a live session is named
    by its own date, a rehearsal by the day it is held.
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(agenda.path).stem).strip("-.") or "agenda"
    if mode == LIVE:
        day = agenda.session.date.isoformat()
        base = f"{stem}_{day}"
    else:
        day = reading.wall.in_tz(agenda.session.timezone).date().isoformat()
        base = f"{stem}_{day}_rehearsal"
    folder = state_dir()

    def named(number: int) -> Path:
        return folder / (f"{base}.jsonl" if number == 1 else f"{base}-{number}.jsonl")

    latest = 1
    while named(latest + 1).exists():
        latest += 1
    if not named(latest).exists():
        return named(latest), None
    if new:
        return named(latest + 1), None
    try:
        ended = replay(named(latest)).engine.ended
    except JournalError:
        ended = False  # let opening it report the problem, rather than silently starting over
    return (named(latest + 1), named(latest)) if ended else (named(latest), None)
