"""When the hub mirror says FENCED: the controller is fenced once, off the mirror's thread, and the screen told."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runofshow.sync.hub.takeover import Fenced, when_fenced
from runofshow.words.takeover import fenced_exit_line, fenced_rescue_line, taken_over_line


@dataclass
class Health:
    state: str


class FakeMirror:
    def __init__(self) -> None:
        self.state = "ok"
        self.closed: list[float] = []

    def health(self) -> Health:
        return Health(self.state)

    def close(self, timeout: float = 2.0) -> None:
        self.closed.append(timeout)


@pytest.mark.parametrize("fails", [False, True])
def test_fenced_once_on_a_thread_of_its_own_then_told(fails: bool) -> None:
    mirror = FakeMirror()
    calls: list[tuple[Any, str, str]] = []
    told: list[Fenced] = []
    done = threading.Event()

    def fencing(controller: Any, url: str, room: str, *, stop: Any, creds: Any) -> Fenced:
        calls.append((controller, url, room))
        assert threading.current_thread().name == "runofshow-fenced"
        stop()
        if fails:
            raise OSError("the hub went away")
        return Fenced(2, None, None, "ana@booth", 1, 2)

    def then(fenced: Fenced) -> None:
        told.append(fenced)
        done.set()

    changed = when_fenced(mirror, "CONTROLLER", "nats://h", "hall-a", then, fencing=fencing)  # type: ignore[arg-type]
    changed()
    mirror.state = "behind"
    changed()
    assert calls == [] and told == []
    mirror.state = "fenced"
    changed()
    changed()  # told again by the mirror: fenced once
    assert done.wait(5)
    assert calls == [("CONTROLLER", "nats://h", "hall-a")] and mirror.closed == [2.0]
    assert len(told) == 1
    if fails:
        assert told[0].count == 0 and "could not be compared with the room's: the hub went away" in (
            told[0].problem or ""
        )
    else:
        assert told[0].by == "ana@booth" and told[0].count == 2


def test_the_fenced_words_say_who_when_and_where_the_records_are() -> None:
    kept = Fenced(2, Path("/state/rescue/hall.s.fenced.jsonl"), None, "ana@booth", 1633684360000000, 2)
    at = taken_over_line("ana@booth", kept.at_us, kept.epoch, "Asia/Seoul")
    assert at == "ana@booth took this session over at 18:12:40 (epoch 2); this screen only follows it now"
    assert (
        taken_over_line("ana@booth", None, None) == "ana@booth took this session over; this screen only follows it now"
    )
    assert fenced_exit_line(kept, "hall-a") == (
        "room hall-a was taken over by ana@booth; 2 record(s) written here after the takeover are kept in "
        "/state/rescue/hall.s.fenced.jsonl; the report lists them"
    )
    assert fenced_rescue_line(0, None, None) == "nothing written here was lost"
    assert "could not be kept (disk full)" in fenced_rescue_line(2, None, "disk full")
