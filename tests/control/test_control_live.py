"""Control from anywhere, against a real `run --serve` in a pseudo-terminal: HTTP, WebSocket, OSC, the race.

The tests share one served session (module scope) and run in order: each
reads the state it starts from rather than assuming one.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from typing import Any

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.kit.control import Live, request, schema_validator
from tests.kit.web import wait_for

REPLY = schema_validator("reply")
STATUS = schema_validator("status")


def records(live: Live) -> list[dict[str, Any]]:
    return [json.loads(line) for line in live.served.journal.read_text().splitlines()[1:] if line.strip()]


def ok(live: Live, path: str, **kwargs: Any) -> dict[str, Any]:
    code, reply = live.request(path, **kwargs)
    REPLY.validate(reply)
    assert code == 200 and reply["ok"], reply
    return reply


def started(live: Live, segment: int | None = None) -> dict[str, Any]:
    """Start the show if it is not (the tests may run in any order, or apart); go to `segment` if given."""
    state = live.status()
    if not state["started"]:
        state = ok(live, "/api/v1/start", token=live.control_token)["status"]
    if state["paused"]:
        state = ok(live, "/api/v1/resume", token=live.control_token)["status"]
    if segment is not None and state["segment"] != segment:
        state = ok(live, f"/api/v1/goto/{segment}", token=live.control_token)["status"]
    return state


def test_an_http_command_is_answered_once_on_disk_with_its_effect_and_its_actor(live: Live) -> None:
    mark = live.mark()
    first = not live.status()["started"]
    reply = ok(live, f"/api/v1/{'start' if first else 'toggle'}?as=deck", token=live.control_token)
    assert reply["status"]["started"] and reply["status"]["running"] == (first or not reply["status"]["paused"])
    assert reply["status"]["seq"] >= reply["seq"]
    on_disk = {record["seq"]: record for record in records(live)}  # answered after fsync: it is there already
    assert on_disk[reply["seq"]]["actor"] == "api:deck"
    live.screen_until(f"deck: {on_disk[reply['seq']]['type']}", since=mark)
    started(live)

    allotted = reply["status"]["allotted_s"]
    extended = ok(live, "/api/v1/extend/60", method="POST", bearer=live.control_token, body=b"")
    assert extended["status"]["allotted_s"] == allotted + 60
    body = json.dumps({"text": "Wrap up <b>now</b>", "as": "Ana"}).encode()
    sent = ok(
        live, "/api/v1/message", method="POST", bearer=live.control_token, body=body, content_type="application/json"
    )
    assert sent["status"]["message"] == "Wrap up <b>now</b>" and sent["status"]["message_showing"]
    assert {record["seq"]: record for record in records(live)}[sent["seq"]]["actor"] == "api:Ana"
    form = urllib.parse.urlencode({"text": "by form"}).encode()
    by_form = ok(
        live,
        "/api/v1/message",
        method="POST",
        bearer=live.control_token,
        body=form,
        content_type="application/x-www-form-urlencoded",
    )
    assert by_form["status"]["message"] == "by form"
    cleared = ok(live, "/api/v1/clear-message", token=live.control_token)
    assert cleared["status"]["message"] is None and not cleared["status"]["message_showing"]
    toggled = ok(live, "/api/v1/toggle", token=live.control_token)
    assert toggled["status"]["paused"] and not toggled["status"]["running"]
    assert not ok(live, "/api/v1/toggle", token=live.control_token)["status"]["paused"]


def test_the_status_document_has_what_a_button_panel_shows(live: Live) -> None:
    state = live.status()
    STATUS.validate(state)
    assert state["link_up"] and state["version"] == 1 and state["controller"]  # who holds the journal
    assert state["remaining_ms"] == round(state["remaining_s"] * 1000)
    assert state["next_title"] == "Second part" and state["next_speaker"] == "Ana"
    code, by_cohost = live.request("/api/v1/status", bearer=live.served.cohost_token)
    assert code == 200 and by_cohost["seq"] >= state["seq"]
    import subprocess
    import sys

    printed = subprocess.run(
        [sys.executable, "-m", "runofshow", "status", str(live.served.journal)], capture_output=True, text=True
    ).stdout
    assert f"Control link: {live.base}/control#{live.control_token}" in printed


def test_stage_and_cohost_tokens_and_no_token_are_refused_on_every_control_path(live: Live) -> None:
    before = started(live, 1)["seq"]
    served = live.served
    for path, method in (
        ("/api/v1/next", "GET"),
        ("/api/v1/pause", "POST"),
        ("/api/v1/extend/60", "GET"),
        ("/api/v1/message?text=hi", "GET"),
        ("/api/v1/end", "POST"),
    ):
        for token, code in ((served.stage_token, 403), (served.cohost_token, 403), (None, 401), ("nope", 401)):
            got, reply = live.request(path, method=method, bearer=token, body=b"" if method == "POST" else None)
            REPLY.validate(reply)
            assert (got, reply["ok"]) == (code, False), (path, token, reply)
            assert "\n" not in reply["error"]
    assert live.request("/api/v1/status", token=served.stage_token)[0] == 403
    assert live.request("/api/v1/end", token=live.control_token)[0] == 405  # a link preview never ends a show
    assert live.request("/api/v1/dance", token=live.control_token)[0] == 404
    assert live.request("/api/v1/goto/x", token=live.control_token)[0] == 400
    assert raw_status(live, f"HEAD /api/v1/next?token={live.control_token}") == 405  # HEAD never acts
    assert raw_status(live, "POST /stage", b"x") == 405  # POST only to the API
    assert raw_status(live, f"POST /api/v1/message?token={live.control_token}", b"t" * 20000) == 413
    for token, code in ((served.stage_token, 403), (served.cohost_token, 403), ("nope", 401)):
        try:
            with connect(
                f"ws://127.0.0.1:{served.port}/api/v1/ws", additional_headers={"Authorization": f"Bearer {token}"}
            ):
                raise AssertionError("a control connection was opened without the control token")
        except InvalidStatus as refused:
            assert refused.response.status_code == code
    osc_send(live, "/runofshow/next")  # OSC has no token: this one is taken, and the check below sees it
    wait_for(lambda: live.status()["seq"] > before)
    assert [r["actor"] for r in records(live) if r["seq"] > before] == ["api:osc"]


def raw_status(live: Live, line: str, body: bytes = b"") -> int:
    """The status of one raw HTTP/1.1 request (for what urllib will not send)."""
    with socket.create_connection(("127.0.0.1", live.served.port), timeout=10) as sock:
        head = f"{line} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        return int(sock.recv(4096).split(b" ", 2)[1])


def osc_send(live: Live, address: str, *args: Any) -> None:
    from pythonosc.udp_client import SimpleUDPClient

    SimpleUDPClient("127.0.0.1", live.osc_port).send_message(address, list(args))


def test_osc_commands_take_their_argument(live: Live) -> None:
    before = started(live)
    osc_send(live, "/runofshow/extend", 30)
    after = wait_for(lambda: (s := live.status())["seq"] > before["seq"] and s)
    assert after["allotted_s"] == before["allotted_s"] + 30


def test_two_clients_racing_next_make_one_step(live: Live) -> None:
    state = started(live, 1)
    assert state["segment"] == 1
    results: list[tuple[int, dict[str, Any]]] = []
    gate = threading.Barrier(2)

    def press() -> None:
        gate.wait()
        results.append(live.request(f"/api/v1/next?if_seq={state['seq']}", token=live.control_token))

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409], results
    refused = next(reply for code, reply in results if code == 409)
    REPLY.validate(refused)
    assert "changed since" in refused["error"] and refused["status"]["segment"] == 2
    assert live.status()["segment"] == 2


def test_a_websocket_control_client_with_a_bearer_header_gets_each_answer_by_its_id(live: Live) -> None:
    url = f"ws://127.0.0.1:{live.served.port}/api/v1/ws?as=script"
    mark = live.mark()
    with connect(url, additional_headers={"Authorization": f"Bearer {live.control_token}"}) as ws:
        live.screen_until("1 control link open", since=mark)
        state = started(live)
        seq, to = state["seq"], 2 if state["segment"] == 1 else 1
        ws.send(json.dumps({"id": 7, "command": "goto", "to": to, "if_seq": seq}))
        answer = json.loads(ws.recv(timeout=15))
        REPLY.validate(answer)
        assert answer["id"] == 7 and answer["code"] == 200 and answer["status"]["segment"] == to
        ws.send(json.dumps({"id": 8, "command": "previous", "if_seq": seq}))
        stale = json.loads(ws.recv(timeout=15))
        REPLY.validate(stale)
        assert stale["id"] == 8 and stale["code"] == 409 and stale["status"]["segment"] == to
        ws.send(json.dumps({"id": 9, "command": "extend", "seconds": "x"}))
        assert json.loads(ws.recv(timeout=15))["code"] == 400
    assert {r["seq"]: r for r in records(live)}[answer["seq"]]["actor"] == "api:script"
    live.screen_until("script: goto", since=mark)


def test_a_cohost_terminal_with_the_control_link_has_the_moderator_s_keys(live: Live) -> None:
    import os
    import sys

    from tests.kit.pty import Pty

    started(live, 1)
    mark = live.mark()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")
    url = f"ws://127.0.0.1:{live.served.port}"
    command = [sys.executable, "-m", "runofshow", "follow", url, "--control", live.control_token, "--as", "Ana"]
    with Pty(command, env, size=(120, 40)) as cohost:
        cohost.read_until("Second part")
        cohost.read_for(0.5)
        cohost.send(b"n")
        cohost.read_until("Done: next")
        live.screen_until("Ana: next", since=mark)
        assert live.status()["segment"] == 2
        cohost.send(b"e")
        cohost.read_until("End the session now?")  # end asks, as it does the moderator
        cohost.send(b"n")
        cohost.read_for(0.3)
        cohost.send(b"q")  # quit is the co-host's own: no question, the show goes on
        code, _ = cohost.finish(timeout=10)
    assert code == 0 and not live.status()["ended"]
    last = records(live)[-1]
    assert (last["type"], last["actor"]) == ("next", "cohost:Ana")


def test_a_page_of_this_server_controls_as_a_cohost_and_a_foreign_page_is_refused(live: Live) -> None:
    started(live)
    port, token = live.served.port, live.control_token
    url = f"ws://127.0.0.1:{port}/api/v1/ws?token={token}&as=Eric"
    try:
        with connect(url, additional_headers={"Origin": "http://evil.example"}):
            raise AssertionError("a foreign page opened a control connection")
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
    with connect(url, additional_headers={"Origin": f"http://127.0.0.1:{port}"}) as page:
        page.send(json.dumps({"id": "a", "command": "message", "text": "Five minutes"}))
        answer = json.loads(page.recv(timeout=15))
        REPLY.validate(answer)
        assert answer["id"] == "a" and answer["status"]["message"] == "Five minutes"
    assert {r["seq"]: r for r in records(live)}[answer["seq"]]["actor"] == "cohost:Eric"


def test_only_the_stage_says_got_it_and_a_stage_link_cannot_drive_a_cohost_terminal(live: Live) -> None:
    import asyncio

    from runofshow.domain.commands import Next
    from runofshow.sync.control_client import ControlClient

    started(live)
    sent = ok(live, "/api/v1/message?text=Wrap%20up&pinned=1", token=live.control_token)
    assert sent["status"]["message_pinned"] and not sent["status"]["message_seen"]
    assert live.request("/api/v1/seen", token=live.control_token)[0] == 403
    assert live.request("/api/v1/seen", token=live.served.cohost_token)[0] == 403
    seen = ok(live, "/api/v1/seen", token=live.served.stage_token)
    assert seen["status"]["message_seen"]
    assert {r["seq"]: r for r in records(live)}[seen["seq"]]["actor"] == "stage"
    url = f"ws://127.0.0.1:{live.served.port}"
    done, words, _ = asyncio.run(ControlClient(url, live.served.stage_token, "x").send(Next()))
    assert not done and "revoked or is wrong" in words


def test_every_view_message_matches_its_schema_and_a_control_page_is_counted(live: Live) -> None:
    view = schema_validator("view")
    port = live.served.port
    origin = {"Origin": f"http://127.0.0.1:{port}"}
    mark = live.mark()
    for token, page, role in (
        (live.control_token, "cohost", "control"),
        (live.served.cohost_token, "cohost", "cohost"),
        (live.served.stage_token, "stage", "stage"),
    ):
        with connect(f"ws://127.0.0.1:{port}/view?token={token}&page={page}", additional_headers=origin) as page_ws:
            first = json.loads(page_ws.recv(timeout=10))
            view.validate(first)
            assert first["role"] == role
            if role == "control":
                live.screen_until("1 control link open", since=mark)
            page_ws.send(json.dumps({"type": "time", "id": 1, "t0": 5.0}))
            while (message := json.loads(page_ws.recv(timeout=10)))["type"] != "time":
                view.validate(message)
            view.validate(message)


def test_revoking_closes_control_connections_and_refuses_the_old_token(live: Live) -> None:
    started(live)
    old = live.control_token
    mark = live.mark()
    stream = connect(f"ws://127.0.0.1:{live.served.port}/?token={old}&since=0")  # `follow --control`'s stream
    origin = {"Origin": live.base}
    page = connect(f"ws://127.0.0.1:{live.served.port}/view?token={old}&page=cohost", additional_headers=origin)
    with (
        stream,
        page,
        connect(
            f"ws://127.0.0.1:{live.served.port}/api/v1/ws", additional_headers={"Authorization": f"Bearer {old}"}
        ) as ws,
    ):
        live.served.press(b"R")
        live.screen_until("Revoke every control link?", since=mark)
        live.served.press(b"y")
        closed = wait_for(lambda: _closed_code(ws), timeout=10)
        stream_closed = wait_for(lambda: _closed_code(stream), timeout=10)
        page_closed = wait_for(lambda: _closed_code(page), timeout=10)
    assert stream_closed == page_closed == 4001
    assert closed == 4001
    path = live.served.journal.with_name(live.served.journal.name + ".control-token")
    new = wait_for(lambda: (text := path.read_text().strip()) != old and text)
    live.screen_until(f"/control#{new}")
    assert live.request("/api/v1/pause", token=old)[0] == 401
    live.control_token = new
    assert ok(live, "/api/v1/pause", token=new)["status"]["paused"]


def _closed_code(ws: Any) -> int | None:
    try:
        ws.recv(timeout=0.2)
    except TimeoutError:
        return None
    except Exception:
        return ws.close_code or -1
    return None


def test_a_server_without_a_controller_answers_503_saying_why(live: Live, tmp_path: Any) -> None:
    import subprocess
    import sys

    from tests.kit.web import free_port

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "runofshow", "serve", str(live.served.journal), "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:

        def answered() -> tuple[int, dict[str, Any]] | None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.05)
                return None
            return request(f"http://127.0.0.1:{port}", "/api/v1/next", token=live.control_token)

        code, reply = wait_for(answered)
        REPLY.validate(reply)
        assert code == 503 and "no controller" in reply["error"]
    finally:
        server.terminate()
        server.wait(10)
