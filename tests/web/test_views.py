"""The view stream's parts without a browser: what each token's snapshot holds, origins, the speakers' token file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from websockets.datastructures import Headers
from websockets.http11 import Request

from runofshow.clock import FakeClock
from runofshow.errors import UserError
from runofshow.secrets import Token, token
from runofshow.session.controller import Controller
from runofshow.sync.links import forget_served, note_served, served_links
from runofshow.sync.snapshots import STAGE_KEYS, cohost_snapshot, countdown, stage_snapshot
from runofshow.sync.web import WebViews, same_origin
from runofshow.words.display import countdown_text, ended_text
from runofshow.words.timefmt import format_length


def request(path: str = "/view", **headers: str) -> Request:
    return Request(path, Headers(list(headers.items())))


def test_stage_snapshot_has_only_stage_fields(open_controller: Callable[..., Controller], clock: FakeClock) -> None:
    controller = open_controller()
    controller.command("start")
    clock.advance(12.5)
    stage = stage_snapshot(controller.view())
    assert set(stage) == {*STAGE_KEYS, "countdown", "label"}
    text = json.dumps(stage)
    notes = [s.notes for s in controller.engine.agenda.segments if s.notes]
    assert notes and not any(note in text for note in notes)
    assert "journal" not in text and "controller" not in text
    assert stage["countdown"] == {"moving": True, "value_s": stage["remaining_s"], "text": "0:48"}


def test_cohost_snapshot_has_every_row_and_its_notes(
    open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller()
    controller.command("start")
    clock.advance(75)  # 15 s over the first segment's minute
    view = controller.view()
    full = cohost_snapshot(view, "Title", "kim@host")
    assert len(full["rows"]) == len(view.segments)
    assert full["rows"][0]["took"] == "▶ now" and full["rows"][0]["notes"] == view.segments[0].segment.notes
    assert full["rows"][1]["expected"] is not None  # pending rows say when they are now expected
    assert full["offset_text"] == "0:15 behind" and full["owner"] == "kim@host"
    assert full["countdown"]["text"] == countdown_text(view) == "+0:15"
    assert {key: full[key] for key in STAGE_KEYS if key in view.as_status()} == {
        key: value for key, value in view.as_status().items() if key in STAGE_KEYS
    }


def test_the_cohost_snapshot_shows_an_adopted_length_a_later_segment_seen_and_the_end_once(
    open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller()  # a rehearsal on the seed
    controller.command("start")
    controller.command("goto", to=4)
    clock.advance(120)
    controller.command("later")  # 4 runs after 5, with its 8 minutes
    controller.command("message", text="Eric, one minute", pinned=True)
    controller.command("seen")
    full = cohost_snapshot(controller.view(), "Title", "kim@host")
    assert (full["rows"][3]["took"], full["rows"][3]["delta"], full["rows"][3]["later"]) == ("2:00", "later", True)
    assert full["message_marks"] == "pinned  ✓ seen" and full["ended_text"] is None
    clock.advance(4200)  # 5 overruns by an hour: the discussion is advised to shrink
    for _ in range(4):  # 4 with its 8 minutes, 6 and 7, and on to 8
        controller.command("next")
    controller.command("adopt")
    view = controller.view()
    full = cohost_snapshot(view, "Title", "kim@host")
    adopted = view.segments[7].adopted_s
    assert adopted is not None and full["rows"][7]["adopted_s"] == adopted
    assert full["rows"][7]["planned"] == f"{full['rows'][7]['planned'][:5]} →{format_length(adopted)}"
    controller.command("end")
    full = cohost_snapshot(controller.view(), "Title", "kim@host")
    assert full["ended_text"] == ended_text(controller.view(), full["zone"])
    assert full["ended_text"].startswith("ended ") and full["message"] is None and full["message_marks"] == ""


def test_a_paused_or_unstarted_number_does_not_move(
    open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller()
    assert countdown(controller.view()) == {"moving": False, "value_s": None, "text": "1:00"}
    controller.command("start")
    clock.advance(10)
    controller.command("pause")
    clock.advance(30)
    assert countdown(controller.view()) == {"moving": False, "value_s": None, "text": "0:50"}


@pytest.mark.parametrize(
    ("origin", "host", "secure", "ok"),
    [
        ("http://192.0.2.1:8765", "192.0.2.1:8765", False, True),
        ("https://talks.example", "talks.example", False, True),  # a tunnel that ends TLS
        ("http://talks.example", "talks.example", True, False),  # downgraded
        ("http://evil.example", "192.0.2.1:8765", False, False),
        ("http://192.0.2.1:8766", "192.0.2.1:8765", False, False),
        ("null", "192.0.2.1:8765", False, False),
    ],
)
def test_same_origin(origin: str, host: str, secure: bool, ok: bool) -> None:
    assert same_origin(request(Origin=origin, Host=host), secure) is ok


def test_no_origin_is_not_a_page_of_ours() -> None:
    assert same_origin(request(Host="192.0.2.1:8765"), False) is False


def test_tokens_decide_the_role(tmp_path: Path, clock: FakeClock) -> None:
    web = WebViews(tmp_path / "j.jsonl", "cohost-key", "stage-key", clock)
    assert web.role_of(request("/view?token=cohost-key")) == "cohost"
    assert web.role_of(request("/view?token=stage-key&since=4")) == "stage"
    assert web.role_of(request("/view?token=stage-key2")) is None
    assert web.role_of(request("/view")) is None


def test_stage_token_is_kept_private_and_reused(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    first = token(journal, Token.STAGE)
    path = tmp_path / "j.jsonl.stage-token"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert token(journal, Token.STAGE) == first
    os.chmod(path, 0o644)
    with pytest.raises(UserError, match="others may read it"):
        token(journal, Token.STAGE)
    path.unlink()
    os.symlink(tmp_path / "elsewhere", path)
    with pytest.raises(UserError):
        token(journal, Token.STAGE)


def test_status_links_need_the_served_note(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    (tmp_path / "j.jsonl.token").write_text("cohost-key\n")
    assert served_links(journal) is None
    note_served(journal, "http://192.0.2.1:8765")
    links = served_links(journal)
    assert links is not None
    assert links.cohost == "http://192.0.2.1:8765/#cohost-key"
    assert links.stage.startswith("http://192.0.2.1:8765/stage#") and "cohost-key" not in links.stage
    forget_served(journal)
    assert served_links(journal) is None
