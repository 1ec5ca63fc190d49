"""`runofshow check` on the seed, as a user runs it: a real process, real stdout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runofshow import __version__
from runofshow.cli import main

SEED_TITLES = [
    "Internet connection check",
    "Introduction of the moderator",
    "Introduction of the session: background information, main question, objectives and panel members",
    "Network of local governments promoting SSE",
    "Work Integration Social Enterprises & International Cooperation",
    "Laying the Foundation for SSE Agenda in East and Central Africa",
    "Fab City global initiative and SSE",
    "Questions and discussions guided by the moderator",
    "Q&A: from participants via chat",
    "Closing remarks by the speakers and the moderator",
]
SPEAKERS = ["Young Kim", "Eric Leyton Inostroza", "Bernard Luyiga", "Martin Van Den Borre"]
MODERATOR = "Dara Huot"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runofshow", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "COLUMNS": "200"},
        timeout=60,
    )


def test_check_seed_prints_the_whole_schedule(seed: Path) -> None:
    result = _run("check", str(seed))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "18:00–19:30 KST" in out
    assert "09:00–10:30 UTC" in out
    for title in SEED_TITLES:
        assert title in out
    for name in [*SPEAKERS, MODERATOR]:
        assert name in out
    assert "10 segments, 1:30:00 planned, no gaps." in out
    assert "Flexible (~): 8, 9." in out


def test_check_seed_rows_pair_kst_and_utc(seed: Path) -> None:
    out = _run("check", str(seed)).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()[:2].strip().isdigit()]
    spans = {int(row[0]): (row[1], row[2]) for row in rows if len(row) > 2 and "–" in row[1]}
    assert spans[1] == ("18:00–18:01", "09:00–09:01")
    assert spans[8] == ("18:51–19:15", "09:51–10:15")
    assert spans[10] == ("19:25–19:30", "10:25–10:30")
    assert sorted(spans) == list(range(1, 11))


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"runofshow {__version__}"


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--bogus"], "runofshow: unrecognized arguments: --bogus"),
        (["check"], "runofshow check: the following arguments are required: agenda"),
        (["chekc", "x.toml"], "runofshow: argument COMMAND: invalid choice: 'chekc'"),
    ],
)
def test_bad_command_line_is_one_line_and_exit_2(args: list[str], phrase: str) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(phrase)


def test_no_command_without_a_terminal_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    """Bare `runofshow` opens the live screen; piped, it explains instead of drawing garbage."""
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "needs a terminal" in lines[0]
