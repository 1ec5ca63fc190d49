"""Without a browser: what a control page is told it may offer, and who may show the pages in a frame."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from websockets.datastructures import Headers
from websockets.http11 import Request

from runofshow.cli import main
from runofshow.clock import FakeClock
from runofshow.commands.run import resume_command
from runofshow.errors import UserError
from runofshow.session.controller import Controller
from runofshow.sync.embed import embed_origin, embed_origins
from runofshow.sync.snapshots import cohost_snapshot, possible
from runofshow.sync.web import CSP, page_response
from runofshow.words.cues import MESSAGE_PRESETS, cue_for


def test_presets_are_the_prompts_the_cue_first_then_the_usual_then_who_is_next_then_the_agendas(
    open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller()
    view = controller.view()
    presets = cohost_snapshot(view, "T", "o", ("Slides, please",))["presets"]
    speaker = view.segments[1].segment.speaker
    assert presets == [*MESSAGE_PRESETS, f"Next: {speaker}", "Slides, please"]
    controller.command("start")
    controller.command("next")
    clock.advance(4 * 60)  # the second segment's five minutes are nearly up: a cue
    view = controller.view()
    cue = cue_for(view)
    assert cue is not None and cohost_snapshot(view, "T", "o")["presets"][0] == cue


def test_adopt_and_later_are_offered_only_when_the_controller_would_take_them(
    open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller()
    last = len(controller.engine.agenda.segments)

    def offered() -> dict[str, bool]:
        allowed = possible(controller.engine, clock.read())
        snapshot = cohost_snapshot(controller.view(), "T", "o", (), allowed)
        return {key: snapshot[key] for key in ("can_adopt", "can_later")}

    assert offered() == {"can_adopt": False, "can_later": False}  # not started
    controller.command("start")
    assert offered() == {"can_adopt": False, "can_later": True}  # the first segment is not flexible
    flexible = next(s.number for s in controller.engine.agenda.segments if s.flexible)
    controller.command("goto", to=flexible - 1)
    clock.advance(60 * 60)  # an hour on the segment before the flexible one: the show is behind
    controller.command("next")
    assert offered() == {"can_adopt": True, "can_later": True}
    controller.command("adopt")
    assert offered()["can_adopt"] is False  # taken once
    controller.command("goto", to=last)
    assert offered()["can_later"] is False  # nothing after the last
    assert cohost_snapshot(controller.view(), "T", "o")["can_adopt"] is False  # not asked: not offered


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://Studio.Example.org", "https://studio.example.org"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://[::1]:08443/", "https://[::1]:8443"),
        ("http://localhost", "http://localhost"),
    ],
)
def test_an_embedding_origin_is_kept_as_the_policy_names_it(given: str, origin: str) -> None:
    assert embed_origin(given) == origin


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("studio.example.org", "scheme://host[:port]"),
        ("ftp://studio.example.org", "http or https"),
        ("https://*.example.org", "not a host name"),
        ("https://example.org/overlay", "scheme://host[:port]"),
        ("https://example.org:0", "1 to 65535"),
        ("https://example.org:70000", "1 to 65535"),
        ("https://example.org; script-src *", "scheme://host[:port]"),
        ("https://", "not a host name"),
        ("https://[zz::]", "not an IPv6 address"),
        ("'self'", "scheme://host[:port]"),
    ],
)
def test_anything_but_an_origin_is_refused_in_words(given: str, why: str) -> None:
    with pytest.raises(UserError, match=None) as refused:
        embed_origin(given)
    assert why in str(refused.value) and "--allow-embed" in str(refused.value)


def _page_headers(embed: tuple[str, ...] = ()) -> Headers:
    response = page_response(Request("/stage", Headers([("Host", "127.0.0.1:8765")])), embed)
    assert response is not None and response.status_code == 200
    return response.headers


def test_frames_are_refused_unless_origins_are_named() -> None:
    refused = _page_headers()
    assert refused["Content-Security-Policy"] == CSP and "frame-ancestors 'none'" in CSP
    assert refused["X-Frame-Options"] == "DENY"
    allowed = _page_headers(embed_origins(["https://a.example", "http://127.0.0.1:9000", "https://a.example/"]))
    policy = allowed["Content-Security-Policy"]
    assert "frame-ancestors https://a.example http://127.0.0.1:9000;" in policy and "'none'" in policy  # object-src
    assert policy.replace("frame-ancestors https://a.example http://127.0.0.1:9000", "frame-ancestors 'none'") == CSP
    assert "X-Frame-Options" not in allowed


def test_allow_embed_comes_back_in_the_resume_command_and_needs_serve(capsys: pytest.CaptureFixture[str]) -> None:
    again = resume_command(
        "a.toml",
        rehearsal=False,
        log=None,
        serve="8765",
        certfile=None,
        keyfile=None,
        allow_embed=("https://a.example",),
    )
    assert again == "runofshow run a.toml --serve 8765 --allow-embed https://a.example"
    assert main(["serve", "j.jsonl", "--listen", "0", "--allow-embed", "https://a.example/x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("runofshow: --allow-embed 'https://a.example/x'")
