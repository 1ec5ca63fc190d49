"""The report of a session that was taken over: the takeover (who, when, epoch), and the fenced records kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.journal.rescue import save_fenced
from runofshow.report.model import load
from runofshow.report.rendering import render
from runofshow.session.controller import Controller


def test_the_report_shows_the_takeover_and_lists_the_fenced_records(
    open_controller: Callable[..., Controller],
    clock: FakeClock,
    journal: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    controller = open_controller()
    controller.command("start")
    clock.advance(70)
    controller.take_over("kim [bold]@stage", controller.engine.seq, 12.25, by="ana@booth")
    clock.advance(30)
    controller.command("next")
    controller.close()
    assert load(journal).fenced == ()
    # Records as another controller of the session wrote them (the same sealed lines will do).
    sealed = [line + b"\n" for line in journal.read_bytes().splitlines()[1:3]]
    kept, _ = save_fenced(controller.header, journal, 0, sealed, by="ana@booth", at="2021-10-08T08:56:10Z")

    report = load(journal)
    assert [(t.seq, t.epoch, t.by, t.from_, t.after, t.silent_s) for t in report.takeovers] == [
        (2, 2, "ana@booth", "kim [bold]@stage", 1, 12.25)
    ]
    assert [(f.path, f.seqs, f.by) for f in report.fenced] == [(str(kept), (1, 2), "ana@booth")]

    table = " ".join(render([report], "table", width=400).split())  # one line per note, whatever the wrapping
    assert "by ana@booth from kim [bold]@stage (epoch 2), silent for 0:12, after record 1" in table
    assert f"2 records (1–2) written after ana@booth took over, refused by the hub, are kept in {kept}" in table
    data = json.loads(render([report], "json"))["session"]
    assert data["takeovers"][0]["epoch"] == 2 and data["takeovers"][0]["from"] == "kim [bold]@stage"
    assert data["fenced"] == [{"path": str(kept), "seqs": [1, 2], "by": "ana@booth", "at": "2021-10-08T08:56:10Z"}]


def test_a_report_without_a_takeover_has_no_takeover_keys(
    open_controller: Callable[..., Controller], journal: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    open_controller().close()
    data = json.loads(render([load(journal)], "json"))["session"]
    assert "takeovers" not in data and "fenced" not in data
