"""Journals for the report tests, made by the real controller with a fake clock.

Each script says how long every segment runs; the tests check that exactly
those figures come out. Headers are made deterministic (session id, user,
host) so that golden files compare byte for byte on any machine.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import LIVE, REHEARSAL
from runofshow.journal.codec import encode
from runofshow.session.controller import Controller
from tests.kit import crash

REPO = Path(__file__).resolve().parents[2]
SEED_NAME = "agendas/sse-alliances-2021-10-08.toml"
POLL_S = 5


def seed_agenda() -> Agenda:
    """The seed, named by its path in the repo so the journal header is the same everywhere."""
    return parse_agenda((REPO / SEED_NAME).read_text(encoding="utf-8"), SEED_NAME)


@contextmanager
def fixed_identity() -> Iterator[None]:
    """Make new headers carry the same session id, user and host on every machine."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x5E55_1011))
        patch.setattr(getpass, "getuser", lambda: "dara")
        patch.setattr(socket, "gethostname", lambda: "laptop")
        yield


class Driver:
    """A controller on a fake clock, moved the way a moderator would, polling as the screen does."""

    def __init__(self, path: Path, clock: FakeClock, agenda: Agenda, mode: str) -> None:
        with fixed_identity():
            self.controller = Controller.open(path, clock, agenda=agenda, mode=mode)
        self.clock = clock

    def run(self, seconds: int) -> None:
        """Let `seconds` pass, polling every few seconds so warnings are recorded."""
        left = seconds
        while left > 0:
            step = min(POLL_S, left)
            self.clock.advance(step)
            self.controller.poll()
            left -= step

    def do(self, command: str, **args: object) -> None:
        """Give one command now."""
        self.controller.command(command, **args)

    def crash(self) -> None:
        """Drop the controller as kill -9 would: no record, and the lock is freed."""
        crash(self.controller)


# What each scripted session does; the durations are what the report must give back.

LIVE_RUN_S = {1: 90, 2: 300, 3: 240, 4: 780, 5: 630, 6: 480, 7: 720, 8: 1320, 9: 540, 10: 330}
"""Seconds each segment of the live run ran (pauses excluded)."""


def drive_live(path: Path) -> Path:
    """The seed, live, started a minute late: overruns in 1, 4, 5, 7, 10; 6 cut short; 4 paused and extended."""
    clock = FakeClock("2021-10-08T08:59:00Z")
    show = Driver(path, clock, seed_agenda(), LIVE)
    show.run(120)  # starts 18:01:00 KST, a minute late
    show.do("start")
    for number in (1, 2, 3):
        show.run(LIVE_RUN_S[number])
        show.do("next")
    show.run(360)  # segment 4: 6:00, a 2:00 pause, one more minute given, then 7:00
    show.do("pause")
    show.run(120)
    show.do("resume")
    show.do("extend", seconds=60)
    show.run(420)
    show.do("next")
    show.run(LIVE_RUN_S[5])
    show.do("next")
    show.run(LIVE_RUN_S[6])
    show.do("skip")
    for number in (7, 8, 9):
        show.run(LIVE_RUN_S[number])
        show.do("next")
    show.run(LIVE_RUN_S[10])
    show.do("end")
    show.controller.close()
    return path


REHEARSAL_RUN_S = {1: 60, 2: 300, 3: 300, 4: 660, 5: 540, 6: 600, 7: 640, 8: 1200, 9: 600, 10: 240}


def drive_rehearsal(path: Path) -> Path:
    """The seed rehearsed the day before; a mistaken `next` out of 2 is undone with `previous`."""
    clock = FakeClock("2021-10-07T05:00:00Z")
    show = Driver(path, clock, seed_agenda(), REHEARSAL)
    show.run(190)
    show.do("start")  # 14:03:10 KST: the plan counts from here
    show.run(60)
    show.do("next")
    show.run(270)
    show.do("next")
    show.run(10)
    show.do("previous")  # undo: those 10 s go back to segment 2
    show.run(20)
    show.do("next")
    for number in range(3, 10):
        show.run(REHEARSAL_RUN_S[number])
        show.do("next")
    show.run(REHEARSAL_RUN_S[10])
    show.do("end")
    show.controller.close()
    return path


def drive_crashed(path: Path) -> Path:
    """The seed, live, on time; 3 is left for 5 and back to 4, then the laptop dies in 4 after its final-minute warning."""
    clock = FakeClock("2021-10-08T08:59:00Z")
    show = Driver(path, clock, seed_agenda(), LIVE)
    show.run(60)
    show.do("start")
    show.run(60)
    show.do("next")
    show.run(300)
    show.do("next")
    show.run(120)
    show.do("goto", to=5)
    show.run(200)
    show.do("goto", to=4)
    show.run(560)  # the final-minute warning at 9:00 is the last record
    show.crash()
    return path


FLEX_BOTH_WAYS_RUN_S = {1: 67, 2: 300, 3: 300, 4: 720, 5: 600, 6: 600, 7: 690, 8: 1119, 9: 720, 10: 330}
"""Seconds each segment ran: fixed ones 4:07 over in all; the discussion (8, ~) 5:21 short, the Q&A (9, ~) 2:00 over."""


def drive_flex_both_ways(path: Path) -> Path:
    """The seed, live, started 3:29 late; the flexible segments give time back and take some: it ends 4:15 late."""
    clock = FakeClock("2021-10-08T08:59:00Z")
    show = Driver(path, clock, seed_agenda(), LIVE)
    show.run(60 + 209)  # starts 18:03:29 KST
    show.do("start")
    for number in range(1, 10):
        show.run(FLEX_BOTH_WAYS_RUN_S[number])
        show.do("next")
    show.run(FLEX_BOTH_WAYS_RUN_S[10])
    show.do("end")
    show.controller.close()
    return path


def drive_detached(path: Path) -> Path:
    """A rehearsal quit during segment 2 without ending it."""
    clock = FakeClock("2021-10-07T05:00:00Z")
    show = Driver(path, clock, seed_agenda(), REHEARSAL)
    show.do("start")
    show.run(60)
    show.do("next")
    show.run(100)
    show.controller.close()
    return path


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m runofshow ARGS` in a fresh process: real stdout, stderr and exit status."""
    return subprocess.run(
        [sys.executable, "-m", "runofshow", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "COLUMNS": "120"},
        cwd=cwd,
        timeout=60,
    )


def reseal(path: Path, change: Callable[[list[dict[str, Any]]], object]) -> Path:
    """Rewrite the journal at `path` after `change(records)` edits its records, each sealed again with its CRC.

    What a hand with a text editor and the checksum's recipe (docs/journal.md) can write: records
    that pass every checksum, whatever they say.
    """
    records = [json.loads(line) for line in path.read_bytes().splitlines()]
    for record in records:
        record.pop("crc", None)
    change(records)
    path.write_bytes(b"".join(encode(record) for record in records))
    return path
