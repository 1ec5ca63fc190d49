"""Requests that are not ours get a 4xx, never a 5xx nor a silent hang-up: raw bytes over loopback sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from runofshow.clock import FakeClock
from runofshow.session.controller import Controller
from runofshow.sync.server import JournalServer
from runofshow.sync.web import WebViews
from tests.kit.follow import TIMEOUT_S, TOKEN

Serve = Callable[..., Awaitable[JournalServer]]
STAGE = "stage-key"


async def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `raw`, read the answer to its end: status, headers, body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        async with asyncio.timeout(TIMEOUT_S):
            data = await reader.read()  # every answer here closes the connection
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), data[:200]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def upgrade(path: str, *extra: str, host: str = "Host: 127.0.0.1") -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        host,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture
async def port(open_controller: Callable[..., Controller], clock: FakeClock, serve: Serve) -> int:
    controller = open_controller()
    web = WebViews(controller.path, TOKEN, STAGE, clock)
    server = await serve(controller, web=web)
    return server.port


async def test_a_second_host_header_is_400_not_500(port: int) -> None:
    for raw in (
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n",
        upgrade(f"/view?token={STAGE}", "Origin: http://127.0.0.1", "Host: evil.example"),
        upgrade(f"/?token={TOKEN}", "Host: 127.0.0.1"),
        upgrade(f"/view?token={STAGE}", "Origin: http://127.0.0.1", "Origin: http://evil.example"),
        upgrade(f"/?token={TOKEN}", "Authorization: Bearer x", "Authorization: Bearer y"),
    ):
        status, _, body = await exchange(port, raw)
        assert status == 400, raw
        assert b"more than one" in body


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n", 400),  # no colon
        (b"GET / HTTP/1.1\r\nHo st: 127.0.0.1\r\n\r\n", 400),  # not a header name
        (b"GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n", 400),  # a control character
        (b"GET / HTTP/1.1\nHost: 127.0.0.1\n\n", 400),  # LF without CR
        (b"GET /\xc3\xa9 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),  # not ASCII
        (b"GET / HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 200 + b"\r\n", 431),
        (upgrade(f"/?token={TOKEN}", "Sec-WebSocket-Key: again"), 400),  # a second key
    ],
)
async def test_malformed_requests_are_4xx(port: int, raw: bytes, status: int) -> None:
    assert (await exchange(port, raw))[0] == status


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"])
@pytest.mark.parametrize("path", ["/", "/stage", "/app.js", "/view", "/nowhere"])
async def test_methods_other_than_get_and_head_are_405(port: int, method: str, path: str) -> None:
    raw = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n\r\nbody".encode()
    status, headers, _ = await exchange(port, raw)
    assert status == 405 and headers["allow"] == "GET, HEAD"


async def test_head_answers_a_page_with_its_headers_and_no_body(port: int) -> None:
    get_status, get_headers, page = await exchange(port, b"GET /stage HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status, headers, body = await exchange(port, b"HEAD /stage HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert get_status == status == 200
    assert body == b"" and int(headers["content-length"]) == len(page) > 0
    assert headers["content-security-policy"] == get_headers["content-security-policy"]
    assert (await exchange(port, b"HEAD /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))[0] == 404


async def test_the_server_still_serves_after_all_of_it(port: int) -> None:
    await exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    await exchange(port, b"POST / HTTP/1.1\r\n\r\n")
    await exchange(port, b"GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n")
    async with connect(f"ws://127.0.0.1:{port}/?token={TOKEN}", proxy=None) as follower:
        assert json.loads(await asyncio.wait_for(follower.recv(), TIMEOUT_S))["type"] == "header"


HEADER_NAMES = st.sampled_from(["Host", "Origin", "Upgrade", "Connection", "Authorization", "X-A", "Sec-WebSocket-Key"])
HEADER_VALUES = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "G\tET", ""]),
    path=st.sampled_from(["/", "/stage", "/view", f"/view?token={STAGE}", f"/?token={TOKEN}", "*", "//x"]),
    headers=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=6),
)
async def test_no_request_gets_a_5xx(port: int, method: str, path: str, headers: list[tuple[str, str]]) -> None:
    raw = f"{method} {path} HTTP/1.1\r\n".encode()
    raw += b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers) + b"\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        async with asyncio.timeout(TIMEOUT_S):
            first = await reader.readline()
    finally:
        writer.close()
    status = int(first.split()[1])
    assert status < 500, (raw, first)
