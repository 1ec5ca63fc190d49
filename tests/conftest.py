"""Shared fixtures: the seed agenda and a writer for agenda files in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "agendas" / "sse-alliances-2021-10-08.toml"

WriteAgenda = Callable[..., Path]


@pytest.fixture
def seed() -> Path:
    """The seed agenda in the checkout, as the CLI would be given it."""
    return SEED


@pytest.fixture
def write_agenda(tmp_path: Path) -> WriteAgenda:
    """Write text (UTF-8) or raw bytes to a file in tmp_path and return its path."""

    def write(content: str | bytes, name: str = "agenda.toml") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write
