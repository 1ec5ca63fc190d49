"""One policy for every token file: the session's (co-hosts), the stage's (speakers) and the control link's.

A token is a password kept beside the journal so that a resumed session
keeps its links. Each file is created with O_EXCL and mode 0600 and fsynced;
one that is a symlink, not a regular file, someone else's, or readable by
others is refused, since its token may already be known or planted. An
empty one (a crash between create and write) is replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets as _random
import stat
from enum import StrEnum
from pathlib import Path

from runofshow.errors import UserError

#: How many random bytes a token carries (it is written as URL-safe base64).
TOKEN_BYTES = 12


class Token(StrEnum):
    """Which token: its value is the suffix of its file beside the journal."""

    SESSION = ".token"
    STAGE = ".stage-token"
    CONTROL = ".control-token"

    @property
    def what(self) -> str:
        """How a message names it."""
        return {Token.SESSION: "the session's token", Token.STAGE: "the speakers' token"}.get(self, "the control token")


def token_path(journal: Path, kind: Token = Token.SESSION) -> Path:
    """The file beside `journal` that keeps its `kind` of token."""
    return journal.with_name(journal.name + kind.value)


def token(journal: Path, kind: Token = Token.SESSION) -> str:
    """The `kind` token of the session at `journal`: read if it exists, else made once and kept."""
    path = token_path(journal, kind)
    for _ in range(3):  # made meanwhile by another process: read that one
        found = _read(path, kind)
        if found:
            return found
        try:
            return _create(path, kind)
        except FileExistsError:
            continue
    raise UserError(f"{path}: keeps changing while {kind.what} is made; run again")


def renew(journal: Path, kind: Token) -> str:
    """Replace the `kind` token with a new one: every link made with the old one stops working."""
    path = token_path(journal, kind)
    with contextlib.suppress(FileNotFoundError):
        _read(path, kind)  # refuse to touch a file that is not ours
        path.unlink()
    return _create(path, kind)


def _read(path: Path, kind: Token) -> str | None:
    """The token in `path`, None if there is none (no file, or an empty one, which is removed)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as error:
        if path.is_symlink():
            raise UserError(f"{path}: is a symbolic link; {kind.what} must be a file of its own") from None
        raise UserError(f"{path}: cannot read {kind.what}: {error.strerror or error}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{path}: is not a regular file; remove it and run again")
        if info.st_uid != os.geteuid():
            raise UserError(f"{path}: belongs to another user; remove it, and a new token is made")
        if info.st_mode & 0o077:
            raise UserError(
                f"{path}: others may read it (mode {stat.S_IMODE(info.st_mode):04o}); remove it, and a new token is made"
            )
        data = os.read(fd, 4096)
    except OSError as error:
        raise UserError(f"{path}: cannot read {kind.what}: {error.strerror or error}") from None
    finally:
        os.close(fd)
    found = data.decode(errors="replace").strip()
    if not found:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by a crash between create and write
        return None
    return found


def new_token() -> str:
    """A fresh random token that never starts with '-', which a command line would take for an option."""
    while (made := _random.token_urlsafe(TOKEN_BYTES)).startswith("-"):
        pass
    return made


def _create(path: Path, kind: Token) -> str:
    """Make a new token file with O_EXCL, mode 0600, and fsync it and its folder. FileExistsError if one appeared."""
    new = new_token()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, (new + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except FileExistsError:
        raise
    except OSError as error:
        raise UserError(f"{path}: cannot save {kind.what}: {error.strerror or error}") from None
    return new
