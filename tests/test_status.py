"""`runofshow status JOURNAL [--json]` as a user runs it: a real process, the real clock.

The journal is written by a controller whose fake clock reads what the
system's clocks read a few minutes ago (same boot id, same monotonic clock),
so the status process, reading the real clocks, sees a session that has run
for exactly those minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runofshow.clock import FakeClock, SystemClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import LIVE, REHEARSAL
from runofshow.domain.instants import to_pendulum
from runofshow.session.controller import Controller

TITLE = "Initiatives and alliances between local governments and SSE actors to build a new economy"
#: Slack for the time the status process takes to start and read the clock.
SLACK_S = 10.0


def status(journal: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    """Run `runofshow status` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "runofshow", "status", str(journal), *flags],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def status_json(journal: Path) -> dict[str, Any]:
    """`status --json`, parsed; it must succeed and print one object."""
    result = status(journal, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    state: dict[str, Any] = json.loads(result.stdout)
    return state


@pytest.fixture
def clock() -> FakeClock:
    """The system's clocks as they read 400 s ago: moved to now by the test, then left behind by real time."""
    real = SystemClock().read()
    return FakeClock(to_pendulum(real.wall_us - 400_000_000), mono=real.mono - 400, boot=real.boot)  # type: ignore[arg-type]


@pytest.fixture
def overtime(clock: FakeClock, agenda: Agenda, journal: Path) -> Iterator[Controller]:
    """A rehearsal started 400 s ago, on segment 2 for the last 370 s: 70 s over, 40 s behind."""
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    controller.command("start")
    clock.advance(30)
    controller.command("next")
    clock.advance(370)
    controller.poll()
    yield controller
    if controller.lock.fd is not None:
        controller.close()


@pytest.mark.slow
def test_json_while_a_controller_holds_the_journal_and_after(overtime: Controller, journal: Path) -> None:
    expected_end = to_pendulum(overtime.engine.anchor_us or 0).add(seconds=5400 + 40)
    state = status_json(journal)
    assert {k: state[k] for k in ("segment", "title", "phase", "mode", "paused")} == {
        "segment": 2,
        "title": "Introduction of the moderator",
        "phase": "overtime",
        "mode": "rehearsal",
        "paused": False,
    }
    assert -70 - SLACK_S < state["remaining_s"] <= -70  # negative in overtime
    assert 40 <= state["offset_s"] < 40 + SLACK_S  # positive: behind
    projected = dt.datetime.fromisoformat(state["projected_end"])
    assert projected.tzinfo is not None
    assert 0 <= (projected - expected_end).total_seconds() < SLACK_S
    assert state["controller"].startswith(f"PID {os.getpid()} ")

    overtime.command("pause")  # now the countdown stands still, whatever the real clock does
    state = status_json(journal)
    assert (state["phase"], state["paused"], state["remaining_s"]) == ("paused", True, -70.0)
    assert state["offset_s"] >= 40

    overtime.close()
    after = status_json(journal)
    assert after["controller"] is None
    assert (after["segment"], after["phase"], after["paused"], after["remaining_s"]) == (2, "paused", True, -70.0)
    assert after["seq"] == state["seq"] + 1  # the detach


@pytest.mark.slow
def test_plain_while_a_controller_holds_the_journal_and_after(overtime: Controller, journal: Path) -> None:
    overtime.command("pause")
    result = status(journal)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{TITLE} [REHEARSAL]"
    assert lines[1] == "Segment 2/10: Introduction of the moderator — Dara Huot"
    assert lines[2] == "PAUSED, overtime: 1:10 over 5:00"
    assert lines[3].startswith("Schedule: 0:4") and " behind; ends " in lines[3]
    assert lines[-1].startswith(f"Journal: {journal} (")
    assert f"controller PID {os.getpid()} " in lines[-1]
    overtime.close()
    result = status(journal)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("; no controller running)")


def test_a_live_session_reports_mode_and_offset_by_the_agenda(agenda: Agenda, journal: Path) -> None:
    clock = FakeClock("2021-10-08T08:55:00Z")
    controller = Controller.open(journal, clock, agenda=agenda, mode=LIVE)
    clock.set_wall("2021-10-08T09:02:00Z")
    controller.command("start")
    controller.close()
    state = status_json(journal)
    assert (state["mode"], state["segment"], state["title"]) == ("live", 1, "Internet connection check")
    assert state["remaining_s"] < 0 and state["offset_s"] > 0  # years later, still on segment 1
    assert dt.datetime.fromisoformat(state["projected_end"]).tzinfo is not None


def test_before_the_start_the_first_segment_is_shown_whole(clock: FakeClock, agenda: Agenda, journal: Path) -> None:
    Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL).close()
    state = status_json(journal)
    assert (state["segment"], state["phase"], state["remaining_s"], state["paused"]) == (1, "pending", 60.0, False)
    assert state["offset_s"] == 0


@pytest.mark.slow
def test_a_torn_tail_is_reported_and_left_alone(overtime: Controller, journal: Path) -> None:
    overtime.close()
    torn = journal.read_bytes() + b'{"seq":99,"type":"pau'
    journal.write_bytes(torn)
    result = status(journal)
    assert result.returncode == 0, result.stderr
    assert "its last record (line" in result.stdout and "is incomplete and was not counted" in result.stdout
    assert status_json(journal)["segment"] == 2
    assert journal.read_bytes() == torn


def test_a_corrupt_journal_is_one_line_on_stderr(overtime: Controller, journal: Path) -> None:
    overtime.close()
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[2] = b"garbage\n"
    journal.write_bytes(b"".join(lines))
    result = status(journal, "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and f"{journal}:3: corrupt record" in result.stderr


def test_status_does_not_import_textual(overtime: Controller, journal: Path) -> None:
    probe = (
        "import io, json, sys\n"
        "from contextlib import redirect_stdout\n"
        "import runofshow.cli\n"
        "with redirect_stdout(io.StringIO()) as out:\n"
        "    code = runofshow.cli.main(['status', sys.argv[1], '--json'])\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(json.dumps({'code': code, 'segment': json.loads(out.getvalue())['segment'], 'textual': loaded}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(journal)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"code": 0, "segment": 2, "textual": []}
