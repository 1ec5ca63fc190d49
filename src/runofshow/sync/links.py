"""The browser links of a served session: the speakers' token, and where the server can be reached.

Kept apart from the server so that `runofshow status` can print the links
without loading the network code.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from runofshow.errors import UserError
from runofshow.secrets import Token, token


@dataclass(frozen=True, slots=True)
class Links:
    """The two browser links; each is a password (its token is in the fragment, never sent as a page request)."""

    stage: str
    cohost: str
    #: The control link: the co-host page with its buttons (None where it is not known).
    control: str | None = None


def page_links(base: str, cohost_token: str, stage_token_: str, control_token: str | None = None) -> Links:
    """`base` is http(s)://HOST:PORT."""
    control = None if control_token is None else control_link(base, control_token)
    return Links(stage=f"{base}/stage#{stage_token_}", cohost=f"{base}/#{cohost_token}", control=control)


def control_link(base: str, control_token: str) -> str:
    """The control link: the co-host page with its buttons; the token also works for the HTTP API."""
    return f"{base}/control#{control_token}"


def serving_text(follow_command: str, links: Links | None) -> str:
    """What the moderator's screen shows while serving: the follow command, then the links."""
    if links is None:
        return follow_command
    text = f"{follow_command}\nSpeaker link: {links.stage}\nCo-host link: {links.cohost}"
    if links.control is not None:
        text += f"\nControl link: {links.control}"
    return text


def _served_file(journal: Path) -> Path:
    return journal.with_name(journal.name + ".served")


def note_served(journal: Path, base: str) -> None:
    """Remember where the session is served (no token in it), so `status` can print the links."""
    path = _served_file(journal)
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(base + "\n")


def forget_served(journal: Path) -> None:
    """The session is no longer served: `status` stops printing links."""
    with contextlib.suppress(OSError):
        _served_file(journal).unlink(missing_ok=True)


def served_links(journal: Path) -> Links | None:
    """The links of a session served now (from the note its server left), or None."""
    try:
        base = _served_file(journal).read_text().strip()
        cohost = journal.with_name(journal.name + ".token").read_text().strip()
    except OSError:
        return None
    if not base or not cohost:
        return None
    try:
        return page_links(base, cohost, token(journal, Token.STAGE), token(journal, Token.CONTROL))
    except UserError:
        return None
