"""The co-host terminal's commands (`follow ws://… --control TOKEN`): sent over a control WebSocket.

One connection to `/api/v1/ws`, the control token in an `Authorization:
Bearer` header and `client=cohost` in the query, so the journal records
the co-host's commands as `cohost:NAME`. Each command carries the seq the
co-host's screen showed (`if_seq`); the answer comes once the record is on
disk at the moderator's, and is worded for the co-host's cue line: what was
done, or why not (409: the session changed meanwhile; nothing was done).
A dropped connection is opened again at the next command.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import ssl
from dataclasses import fields
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus, WebSocketException

from runofshow.domain.commands import Command, Message, name_of

#: How long a command waits for its answer (the moderator's disk may be slow, the network slower).
ANSWER_TIMEOUT_S = 15.0


def command_message(command: Command, ident: int) -> dict[str, Any]:
    """The control WebSocket message for a typed command (see sync/schemas/command.schema.json)."""
    name = name_of(command)
    message: dict[str, Any] = {"id": ident, "command": name}
    for field in fields(command):
        if field.name not in ("actor", "if_seq"):
            message[field.name] = getattr(command, field.name)
    if isinstance(command, Message) and not command.text:
        message = {"id": ident, "command": "clear-message"}
    if command.if_seq is not None:
        message["if_seq"] = command.if_seq
    return message


class ControlClient:
    """Sends the co-host's commands to the moderator's server, one at a time, and words each answer."""

    def __init__(self, url: str, token: str, name: str | None, *, cafile: str | None = None) -> None:
        parts = urlsplit(url)
        query = {"client": "cohost", **({"as": name} if name else {})}
        self.url = urlunsplit((parts.scheme, parts.netloc, "/api/v1/ws", urlencode(query), ""))
        self.token = token
        self.cafile = cafile
        self._connection: ClientConnection | None = None
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def _open(self) -> ClientConnection:
        context = ssl.create_default_context(cafile=self.cafile) if self.url.startswith("wss:") else None
        return await connect(
            self.url, ssl=context, additional_headers={"Authorization": f"Bearer {self.token}"}, open_timeout=5
        )

    async def send(self, command: Command) -> tuple[bool, str, int | None]:
        """Send `command`; (done, what to show, the seq of its record)."""
        async with self._lock:
            for attempt in range(2):
                try:
                    if self._connection is None:
                        self._connection = await self._open()
                    ident = next(self._ids)
                    await self._connection.send(json.dumps(command_message(command, ident)))
                    async with asyncio.timeout(ANSWER_TIMEOUT_S):
                        while True:
                            answer = json.loads(await self._connection.recv())
                            if isinstance(answer, dict) and answer.get("id") == ident:
                                return worded(name_of(command), answer)
                except InvalidStatus as refused:
                    code = refused.response.status_code
                    why = "this control link was revoked or is wrong" if code in (401, 403) else f"refused ({code})"
                    return False, f"Not sent: {why}", None
                except TimeoutError:
                    return False, "No answer from the moderator's server: it may not have been done", None
                except (OSError, WebSocketException, ValueError) as error:
                    await self._drop()
                    if attempt:
                        return False, f"Not sent: cannot reach the moderator's server ({error})", None
        return False, "Not sent", None

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        """Close the control connection."""
        await self._drop()


def worded(name: str, answer: dict[str, Any]) -> tuple[bool, str, int | None]:
    """An answer for the co-host's cue line."""
    if answer.get("ok"):
        seq = answer.get("seq")
        return True, f"Done: {name}", seq if type(seq) is int else None
    error = str(answer.get("error") or "refused")
    if answer.get("code") == 409:
        return False, f"Not done ({name}): {error}", None
    return False, f"Refused ({name}): {error}", None
