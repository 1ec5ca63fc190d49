"""The session's token file: made once with O_EXCL, mode 0600; one that others own or may read is refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from runofshow.errors import UserError
from runofshow.secrets import token as session_token
from runofshow.secrets import token_path


def test_made_once_private_and_kept(journal: Path) -> None:
    token = session_token(journal)
    path = token_path(journal)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_token(journal) == token  # a resumed session keeps it


def test_made_with_o_excl(journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flags: list[int] = []
    real_open = os.open

    def spy(path: object, flag: int, *args: object) -> int:
        flags.append(flag)
        return real_open(path, flag, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    session_token(journal)
    assert any(flag & os.O_EXCL and flag & os.O_CREAT for flag in flags)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o666])
def test_one_others_may_read_is_refused(journal: Path, mode: int) -> None:
    path = token_path(journal)
    path.write_text("known-to-others\n")
    path.chmod(mode)
    with pytest.raises(UserError, match="others may read it"):
        session_token(journal)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_one_another_user_owns_is_refused(journal: Path) -> None:
    path = token_path(journal)
    path.write_text("planted\n")
    path.chmod(0o600)
    os.chown(path, 65534, 65534)
    with pytest.raises(UserError, match="belongs to another user"):
        session_token(journal)


def test_a_symlink_is_refused_not_followed(journal: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("secret\n")
    target.chmod(0o600)
    token_path(journal).symlink_to(target)
    with pytest.raises(UserError, match="symbolic link"):
        session_token(journal)
    assert target.read_text() == "secret\n"


def test_an_empty_one_left_by_a_crash_is_replaced(journal: Path) -> None:
    path = token_path(journal)
    path.write_text("")
    path.chmod(0o600)
    token = session_token(journal)
    assert token and path.read_text().strip() == token
