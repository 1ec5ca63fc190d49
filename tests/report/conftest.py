"""The scripted journals, made once per test run, and a way to run `report` as a user does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit.journals import drive_crashed, drive_detached, drive_live, drive_rehearsal


@pytest.fixture(scope="session")
def journals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with live.jsonl, rehearsal.jsonl, crashed.jsonl and detached.jsonl (read-only by convention)."""
    folder = tmp_path_factory.mktemp("journals")
    drive_live(folder / "live.jsonl")
    drive_rehearsal(folder / "rehearsal.jsonl")
    drive_crashed(folder / "crashed.jsonl")
    drive_detached(folder / "detached.jsonl")
    return folder


@pytest.fixture
def in_journals(journals: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work inside the journals folder, so reports name the files as `live.jsonl`."""
    monkeypatch.chdir(journals)
    return journals
