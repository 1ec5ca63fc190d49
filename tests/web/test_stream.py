"""The pages and the view stream over plain HTTP and WebSocket: headers, tokens, origins, what each token gets."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from runofshow.sync.web import CSP
from tests.kit.web import Served


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def refused(url: str, origin: str | None = None) -> int:
    with pytest.raises(InvalidStatus) as caught:
        connect(url, origin=None if origin is None else Origin(origin), open_timeout=5.0).close()
    return caught.value.response.status_code


def first_view(url: str, origin: str) -> dict[str, Any]:
    with connect(url, origin=Origin(origin), open_timeout=5.0) as ws:
        while True:
            message = json.loads(ws.recv(timeout=5))
            if message["type"] == "view":
                return dict(message)


def test_pages_carry_a_strict_policy_and_no_token(served: Callable[..., Served]) -> None:
    session = served()
    for path, kind in (("/", "text/html"), ("/stage", "text/html"), ("/app.js", "text/javascript")):
        status, headers, body = get(session.base + path)
        assert status == 200
        assert headers["Content-Type"].startswith(kind)
        assert headers["Content-Security-Policy"] == CSP
        assert "default-src 'self'" in CSP and "connect-src 'self'" in CSP and "unsafe-inline" not in CSP
        assert headers["X-Content-Type-Options"] == "nosniff"
        text = body.decode()
        assert session.cohost_token not in text and session.stage_token not in text
        assert not re.search(r"https?://|//[a-z]", text.replace("http://www.w3.org", "")), "nothing from elsewhere"
        if kind == "text/html":
            assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", text)), "no inline script"
            assert "style=" not in text and "<style" not in text
    assert get(session.base + "/journal.jsonl")[0] == 404
    assert get(session.base + "/../served.jsonl")[0] == 404


def test_foreign_origin_gets_403_and_no_token_401(served: Callable[..., Served]) -> None:
    session = served()
    view = f"ws://127.0.0.1:{session.port}/view"
    own = session.base
    assert refused(f"{view}?token={session.stage_token}", origin="http://evil.example") == 403
    assert refused(f"{view}?token={session.cohost_token}", origin="http://127.0.0.1:1") == 403
    assert refused(f"{view}?token={session.stage_token}") == 403  # no Origin: not a page of ours
    assert refused(view, origin=own) == 401
    assert refused(f"{view}?token=wrong", origin=own) == 401
    assert refused(f"{view}?token=", origin=own) == 401


def test_stage_token_gets_only_stage_fields(served: Callable[..., Served]) -> None:
    session = served()
    session.press(b" ")
    session.wait_seq(1)
    view = f"ws://127.0.0.1:{session.port}/view"
    stage = first_view(f"{view}?token={session.stage_token}", session.base)
    assert stage["role"] == "stage"
    fields = stage["view"]
    assert isinstance(fields, dict)
    text = json.dumps(stage)
    for secret in ("SECRET", "another secret", "served.jsonl", "owner", "notes", "rows", "journal", "controller"):
        assert secret not in text, secret
    assert fields["title"] == "<img src=x onerror=window.pwned=2> Opening"
    assert fields["speaker"] == "Kim <b>[SSEGOV]</b>"
    assert fields["started"] is True and fields["paused"] is False
    assert {"countdown", "alert", "remaining_s", "message"} <= fields.keys()
    # ...and is refused the co-host's journal stream, with or without an Origin.
    assert refused(f"ws://127.0.0.1:{session.port}/?token={session.stage_token}") == 401
    assert refused(f"ws://127.0.0.1:{session.port}/?token={session.stage_token}", origin=session.base) in (401, 403)

    cohost = first_view(f"{view}?token={session.cohost_token}", session.base)
    assert cohost["role"] == "cohost"
    rows = cohost["view"]["rows"]
    assert [row["notes"] for row in rows] == ["SECRET NOTE for co-hosts only", "another secret"]
    assert cohost["view"]["notes"] == "SECRET NOTE for co-hosts only"


def test_terminal_followers_still_refuse_browsers(served: Callable[..., Served]) -> None:
    session = served()
    assert refused(f"ws://127.0.0.1:{session.port}/?token={session.cohost_token}", origin=session.base) == 403


def test_page_clock_pings_are_answered(served: Callable[..., Served]) -> None:
    session = served()
    url = f"ws://127.0.0.1:{session.port}/view?token={session.stage_token}"
    with connect(url, origin=Origin(session.base), open_timeout=5.0) as ws:
        ws.send(json.dumps({"type": "time", "id": 7, "t0": 123.5}))
        ws.send("not json")
        ws.send(json.dumps({"type": "start"}))  # a page cannot drive the session: ignored
        while True:
            message = json.loads(ws.recv(timeout=5))
            if message["type"] == "time":
                break
    assert message["id"] == 7 and message["t0"] == 123.5 and message["server_ms"] > 1e12
    assert session.status()["started"] is False


def test_status_prints_the_links_while_served(served: Callable[..., Served]) -> None:
    session = served()
    screen = session.terminal.text()
    assert f"Speaker link: {session.stage_link}" in screen and f"Co-host link: {session.cohost_link}" in screen
    out = subprocess.run(
        [sys.executable, "-m", "runofshow", "status", str(session.journal)], capture_output=True, text=True, check=True
    ).stdout
    assert f"Speaker link: {session.stage_link}\n" in out and f"Co-host link: {session.cohost_link}\n" in out
    session.stop()
    out = subprocess.run(
        [sys.executable, "-m", "runofshow", "status", str(session.journal)], capture_output=True, text=True, check=True
    ).stdout
    assert "link:" not in out  # no longer served: no links to give out


def test_the_script_never_writes_markup() -> None:
    """Every outside string reaches the page through textContent; nothing parses HTML or evaluates text."""
    from importlib import resources

    pages = resources.files("runofshow.sync").joinpath("pages")
    scripts = {entry.name: entry.read_text() for entry in pages.iterdir() if entry.name.endswith(".js")}
    assert {"app.js", "control.js", "stage.js"} <= set(scripts)
    for name, script in scripts.items():
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in script, (name, sink)
        assert "setHTML" not in script and "textContent" in script, name


def closed_with(url: str, origin: str) -> tuple[int, str]:
    with connect(url, origin=Origin(origin), open_timeout=5.0) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_a_page_with_a_wrong_key_is_told_why_by_its_close_code(served: Callable[..., Served]) -> None:
    """A browser never sees a refused handshake's status: a page that says which it is is let in, told, and closed."""
    session = served()
    view = f"ws://127.0.0.1:{session.port}/view"
    assert closed_with(f"{view}?token=wrong&page=cohost", session.base) == (4001, "this link is no longer valid")
    assert closed_with(f"{view}?token=wrong&page=stage", session.base) == (4001, "this link is no longer valid")
    stage_on_cohost = f"{view}?token={session.stage_token}&page=cohost"
    assert closed_with(stage_on_cohost, session.base) == (4003, "this link is for the stage view")
    assert refused(f"{view}?token=wrong&page=cohost", origin="http://evil.example") == 403  # still only our pages
    cohost_on_stage = first_view(f"{view}?token={session.cohost_token}&page=stage", session.base)
    assert cohost_on_stage["role"] == "stage" and "rows" not in cohost_on_stage["view"]
    assert first_view(f"{view}?token={session.cohost_token}&page=cohost", session.base)["role"] == "cohost"
