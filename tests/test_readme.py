"""The README's two commands are the ones CI runs; a newcomer and CI must do the same thing."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_is_two_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    install_and_run, install_and_test = commands
    assert install_and_run.endswith(".venv/bin/runofshow")
    assert "'.[test]'" in install_and_test and install_and_test.endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    """CI installs with the README's command and runs the same bare pytest (after its static checks)."""
    _, install_and_test = quick_start_commands()
    install, test = install_and_test.rsplit(" && ", 1)
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert install in ci
    assert any(re.fullmatch(re.escape(test) + r"( \|\|.*)?", line) for line in ci), "CI runs every test, as the README"
