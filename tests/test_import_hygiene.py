"""The core and `check` must work without importing Textual, so they start fast and stay testable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import io, json, sys
from contextlib import redirect_stdout
{before}
import runofshow.domain.agenda.model
import runofshow.words.text
import runofshow.commands.check
import runofshow.cli
with redirect_stdout(io.StringIO()) as out:
    status = runofshow.cli.main(["check", sys.argv[1]])
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(json.dumps({{"status": status, "printed": len(out.getvalue()), "textual": loaded}}))
"""


def _probe(seed: Path, before: str = "") -> dict[str, object]:
    # A fresh interpreter: pytest plugins (pytest-textual-snapshot) import textual here.
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before), str(seed)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_core_and_check_leave_textual_out(seed: Path) -> None:
    report = _probe(seed)
    assert report["status"] == 0
    assert isinstance(report["printed"], int) and report["printed"] > 0  # the schedule really was rendered
    assert report["textual"] == []


@pytest.mark.slow
def test_the_probe_would_see_textual(seed: Path) -> None:
    """Guard the guard: the same probe reports textual when something imports it."""
    report = _probe(seed, before="import textual.app")
    loaded = report["textual"]
    assert isinstance(loaded, list) and "textual" in loaded
