"""The server's end of the command channel to the one controller, in the moderator's process.

`run --serve` hands its child one end of a socket pair (`--command-fd`; see
`sync.supervisor` for the other end). Commands go out and answers come back
as one JSON line each; see `ControllerLink`. A server started on its own has
no channel, and answers every command 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runofshow.sync.control import Call

#: How long a command waits for the controller's answer (it comes once the record is fsynced).
ANSWER_TIMEOUT_S = 10.0


class ControllerLink:
    """The server's end of the command channel to the moderator's process, in the server's loop.

    One JSON line per command out (`{"id", "command", "args", "actor", "if_seq"}`),
    one per answer in (`{"id", "ok", "seq", "code", "error"}`); the moderator's
    process may also send a renewed control token (`{"control_token"}`), and
    this end tells it how many control connections it holds (`{"held": n}`).
    """

    def __init__(self, fd: int | None, on_token: Callable[[str], None]) -> None:
        self._fd = fd
        self._on_token = on_token
        self._writer: asyncio.StreamWriter | None = None
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self._held = 0

    @property
    def up(self) -> bool:
        """Whether a controller is there to carry out commands."""
        return self._writer is not None and not self._writer.is_closing()

    async def start(self) -> None:
        """In the server's loop: open the channel, if there is one."""
        if self._fd is None:
            return
        sock = socket.socket(fileno=self._fd)
        sock.setblocking(False)
        reader, self._writer = await asyncio.open_unix_connection(sock=sock, limit=1 << 16)
        self._reader = asyncio.create_task(self._read(reader))

    async def close(self) -> None:
        """Close the channel; commands still waiting are answered 503."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        if self._writer is not None:
            self._writer.close()
        self._fail_all()

    def _fail_all(self) -> None:
        for future in self._waiting.values():
            if not future.done():
                future.set_result({"ok": False, "code": 503, "error": "the controller has gone"})
        self._waiting.clear()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                with contextlib.suppress(ValueError):
                    self._take(json.loads(line))
        except (OSError, ValueError):  # a line too long, or the controller gone
            pass
        finally:
            if self._writer is not None:
                self._writer.close()
            self._fail_all()

    def _take(self, message: object) -> None:
        if not isinstance(message, dict):
            return
        new_token = message.get("control_token")
        if isinstance(new_token, str) and new_token:
            self._on_token(new_token)
            return
        future = self._waiting.pop(message.get("id"), None)  # type: ignore[arg-type]
        if future is not None and not future.done():
            future.set_result(message)

    def held(self, count: int) -> None:
        """Tell the controller how many control connections are held now (only when it changed)."""
        if count != self._held and self.up:
            self._held = count
            assert self._writer is not None
            self._writer.write(json.dumps({"held": count}).encode() + b"\n")

    async def send(self, call: Call, actor: str) -> dict[str, Any]:
        """Send one command and wait for the controller's answer: `{"ok", "seq"}` or `{"ok": false, "code", "error"}`."""
        if not self.up:
            why = (
                "no controller runs this session here: this server only shows it (control it from 'run --serve')"
                if self._fd is None
                else "the controller is not reachable"
            )
            return {"ok": False, "code": 503, "error": why}
        assert self._writer is not None
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        line = {"id": ident, "command": call.name, "args": call.args, "actor": actor, "if_seq": call.if_seq}
        self._writer.write(json.dumps(line).encode() + b"\n")
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                return await future
        except TimeoutError:
            self._waiting.pop(ident, None)
            return {"ok": False, "code": 503, "error": "the controller did not answer in time (is its disk failing?)"}
