"""The errors a user can cause, and so can fix: one line on stderr, exit status 2.

Every such error derives from RunofshowError, whatever part of the program
finds it (a bad agenda, a locked or unwritable journal, an unreachable
server), so the command line catches them in one place. Anything else is a
bug and may still raise.
"""

from __future__ import annotations


class RunofshowError(Exception):
    """A mistake or a condition the user can fix; `str()` is the one line to show."""


class UserError(RunofshowError):
    """A mistake in what the user typed or pointed us at."""
