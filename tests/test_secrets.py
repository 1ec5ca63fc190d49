"""Tokens are typed on command lines (`follow --control TOKEN`): none may look like an option."""

from __future__ import annotations

import secrets as stdlib_secrets
from collections.abc import Iterator

import pytest

from runofshow import secrets


def test_a_token_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: Iterator[str] = iter(["-Ab3", "--x9", "Qz-1"])
    monkeypatch.setattr(stdlib_secrets, "token_urlsafe", lambda _bytes: next(drawn))
    assert secrets.new_token() == "Qz-1"


def test_tokens_are_long_and_differ() -> None:
    made = {secrets.new_token() for _ in range(200)}
    assert len(made) == 200
    assert all(len(token) >= 16 and not token.startswith("-") for token in made)
