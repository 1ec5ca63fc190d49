"""`check` measures text in terminal cells: wide titles wrap, whole, and nothing is cropped."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from runofshow.domain.agenda.parse import parse_agenda
from runofshow.schedule import render_check
from tests.kit.wide import WIDE_AGENDA, WIDE_TEXTS, missing, too_wide
from tests.test_check_cli import SEED_TITLES, SPEAKERS


def _check(source: str, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(render_check(parse_agenda(source, "wide.toml")))
    return out.getvalue()


@pytest.mark.parametrize("width", [60, 70, 80, 100, 120])
def test_wide_titles_and_speakers_are_never_cropped(width: int) -> None:
    text = _check(WIDE_AGENDA, width)
    assert "…" not in text
    assert missing(text, WIDE_TEXTS) == {}
    assert too_wide(text, width) == []


@pytest.mark.parametrize("width", [60, 70, 80])
def test_the_seed_keeps_every_name_at_narrow_widths(seed_text: str, width: int) -> None:
    text = _check(seed_text, width)
    assert "…" not in text
    assert missing(text, [*SEED_TITLES, *SPEAKERS]) == {}


def test_speakers_go_under_the_titles_when_the_zones_leave_no_room() -> None:
    narrow, wide = _check(WIDE_AGENDA, 80), _check(WIDE_AGENDA, 120)
    assert "Title; speaker, their time" in narrow and "Speaker, their time" in wide.replace("Title; speaker", "")


@pytest.fixture
def seed_text(seed: Path) -> str:
    return seed.read_text(encoding="utf-8")
