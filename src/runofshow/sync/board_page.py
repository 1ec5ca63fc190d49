"""The board's page (`board --listen`): every room in a browser, as the board's own screen shows them.

The board process follows every room already, with the keys it was given
(or the hub's credentials), so its page is one more view of the same rows:
a snapshot of them (made by the caller, from each room's own View) on every
change and once a second, to every page at `/board#KEY`. The key is made
anew when the board starts and printed with the link; it opens nothing but
this page, which shows no notes. Same rules as the other pages: files
shipped in the package, a strict CSP, text set with textContent only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
import ssl
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from runofshow.sync.admission import given_token, request_problem
from runofshow.sync.web import asset_response, same_origin

#: Path → (file in `pages/`, content type): the board's page and what it loads.
BOARD_PAGES: dict[str, tuple[str, str]] = {
    "/board": ("board.html", "text/html; charset=utf-8"),
    "/board.js": ("board.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
#: The page's snapshot stream.
BOARD_VIEW = "/board/view"
#: A fresh snapshot at least this often (the countdowns move by the second).
EVERY_S = 1.0
#: Close code for a page whose key is not this board's (a refused handshake's status never reaches a script).
UNKNOWN_KEY = (4001, "this link is no longer valid")

_quiet = logging.getLogger("runofshow.board")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


class BoardPage:
    """Serves the board's page and sends every connected page each new snapshot."""

    def __init__(
        self,
        sock: socket.socket,
        key: str,
        snapshot: Callable[[], dict[str, object]],
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.sock = sock
        self.key = key
        self.snapshot = snapshot
        self.ssl_context = ssl_context
        self.pages: set[ServerConnection] = set()
        self._server: Server | None = None
        self._ticker: asyncio.Task[None] | None = None

    def link(self) -> str:
        """The page's link, key included (a password: whoever has it sees every room's state)."""
        host, port = self.sock.getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        return f"{'https' if self.ssl_context else 'http'}://{host}:{port}/board#{self.key}"

    async def start(self) -> None:
        """Listen, in this loop."""
        self._server = await serve(
            self._handle,
            sock=self.sock,
            ssl=self.ssl_context,
            process_request=self._admit,
            open_timeout=5,
            max_size=512,
            max_queue=2,
            server_header=None,
            logger=_quiet,
        )
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def close(self) -> None:
        """Stop serving."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(BaseException):
                await self._ticker
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def changed(self) -> None:
        """Something changed: every page gets the new snapshot now."""
        if self.pages:
            self._send()

    def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        try:
            problem = request_problem(request)
            if problem is not None:
                return connection.respond(*problem)
            path = urlsplit(request.path).path
            if "websocket" not in request.headers.get("Upgrade", "").lower() or request.method == "HEAD":
                found = BOARD_PAGES.get(path)
                if found is None:
                    return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
                return asset_response(request, *found)
            if path != BOARD_VIEW:
                return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
            if not same_origin(request, self.ssl_context is not None):
                return connection.respond(HTTPStatus.FORBIDDEN, "this page is not from this server\n")
            connection.protocol.available_extensions = []
            return None
        except Exception:  # a request no rule foresaw: refused, never a 500
            return connection.respond(HTTPStatus.BAD_REQUEST, "bad request\n")

    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        given = given_token(request) if request is not None else ""
        if not hmac.compare_digest(given.encode(), self.key.encode()):
            await connection.close(*UNKNOWN_KEY)
            return
        self.pages.add(connection)
        try:
            await connection.send(self._text())
            async for _ in connection:  # whatever a page sends is thrown away
                pass
        except Exception:  # a page that goes away must never disturb the board
            pass
        finally:
            self.pages.discard(connection)

    def _text(self) -> str:
        return json.dumps({"type": "board", **self.snapshot()}, ensure_ascii=False)

    def _send(self) -> None:
        text = self._text()
        for connection in list(self.pages):
            transport = connection.transport
            if transport is not None and transport.get_write_buffer_size() > 256 * 1024:
                continue  # not reading: the next snapshot is the whole state anyway
            asyncio.get_running_loop().create_task(_send_one(connection, text))

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(EVERY_S)
            if self.pages:
                with contextlib.suppress(Exception):  # a snapshot that fails must not end the stream
                    self._send()


async def _send_one(connection: ServerConnection, text: str) -> None:
    with contextlib.suppress(Exception):
        await connection.send(text)
