"""Who caused each record, and commands sent on a stale picture of the session."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.commands import Extend, Message, Next, Pause, StaleCommand
from runofshow.domain.events import Event
from runofshow.session.controller import Controller
from runofshow.session.replay import replay


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def test_the_actor_is_written_only_when_it_is_not_the_keyboard(
    open_controller: Callable[..., Controller], journal: Path
) -> None:
    controller = open_controller()
    controller.command("start")
    controller.command(Next(actor="cohost:Ana"))
    controller.command(Extend(60, actor="api:deck"))
    controller.close()
    written = records(journal)
    assert "actor" not in written[0]
    assert [r.get("actor") for r in written if r["type"] in ("next", "extend")] == ["cohost:Ana", "api:deck"]
    replayed = replay(str(journal))
    assert replayed.engine.seq == len(written)


def test_a_record_s_actor_is_read_back_and_checked() -> None:
    base = {"seq": 3, "type": "pause", "wall": "2021-10-08T09:00:00Z", "mono": 1.0, "data": {"segment": 1}}
    assert Event.from_json({**base, "actor": "api:x"}).actor == "api:x"
    assert Event.from_json(base).actor == "keyboard"
    assert "actor" not in Event.from_json(base).to_json()
    for bad in ("", 7, "x" * 81):
        with pytest.raises(ValueError, match="actor"):
            Event.from_json({**base, "actor": bad})


def test_a_command_on_a_picture_older_than_a_change_is_refused(
    open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller()
    controller.command("start")
    seen = controller.engine.seq
    controller.command(Next(if_seq=seen, actor="cohost:Ana"))
    with pytest.raises(StaleCommand, match="changed since"):
        controller.command(Next(if_seq=seen, actor="cohost:Eric"))
    assert controller.view().focus.number == 2


def test_warnings_and_messages_in_between_do_not_make_a_picture_stale(
    open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller()
    controller.command("start")
    seen = controller.engine.seq
    controller.command(Message("hello", actor="api:x"))
    clock.advance(controller.view().remaining_s + 90)  # into overtime: warnings are recorded
    assert controller.poll()
    controller.command(Pause(if_seq=seen))
    assert controller.view().paused


def test_a_seq_the_session_has_not_reached_is_stale(open_controller: Callable[..., Controller]) -> None:
    controller = open_controller()
    controller.command("start")
    with pytest.raises(StaleCommand, match="not in this session"):
        controller.command(Next(if_seq=controller.engine.seq + 5))


def test_the_report_lists_who_did_what_from_outside_the_keyboard(
    open_controller: Callable[..., Controller], journal: Path
) -> None:
    from runofshow.report.model import load
    from runofshow.report.rendering import render

    controller = open_controller()
    controller.command("start")
    controller.command(Next(actor="cohost:Ana"))
    controller.command(Extend(-60, actor="api:[b]deck[/b]"))
    controller.command("pause")
    controller.close()
    report = load(journal)
    assert [(a.actor, a.type) for a in report.actions] == [("cohost:Ana", "next"), ("api:[b]deck[/b]", "extend")]
    markdown = render([report], "markdown", "UTC")
    section = markdown.split("## Who did what", 1)[1]
    assert "Ana (co-host): next 1 → 2" in section and "(API): extend segment 2 by −1:00" in section
    assert "\\[b\\]deck" in section  # a name is shown literally, never as markup
    assert "pause" not in section  # the keyboard's own are not listed
    actions = json.loads(render([report], "json", "UTC"))["session"]["actions"]
    assert [(a["actor"], a["type"], a["data"].get("to")) for a in actions] == [
        ("cohost:Ana", "next", 2),
        ("api:[b]deck[/b]", "extend", None),
    ]
    assert "Ana (co-host): next 1 → 2" in render([report], "table", "UTC")
