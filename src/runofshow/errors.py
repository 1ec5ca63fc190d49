"""The error a user can fix by changing what they typed: one line on stderr, exit status 2."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix; `str()` is the one line to show."""
