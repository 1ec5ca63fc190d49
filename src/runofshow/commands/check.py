"""`runofshow check`: validate an agenda and print its schedule."""

from __future__ import annotations

from runofshow.agenda_file import load_agenda
from runofshow.schedule import print_check


def run_check(path: str) -> int:
    """Validate the agenda at `path` and print its schedule; AgendaError (one line) if it is wrong."""
    print_check(load_agenda(path))
    return 0
