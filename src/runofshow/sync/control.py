"""Control from anywhere, on the server's side: the HTTP API, the WebSocket control connection, and the
channel to the one controller in the moderator's process.

Nothing here decides anything. A command that arrives (HTTP `GET`/`POST
/api/v1/<command>`, a `/api/v1/ws` message, an OSC message) is checked for its
token and its arguments, and sent over the command channel (`ControllerLink`)
to the moderator's process, which carries it out as a key and answers once
its record is fsynced (see `sync.supervisor`, `session.inbound`). The answer
comes back with the record's seq; the server reads the journal up to it
and replies with the status document from its own fold, so a reply always
shows the command's effect.

Tokens: only the control token may send commands. The stage token may send
`seen` and nothing else; the co-host token may read `/api/v1/status`.
Everything else is refused (401 without a known token, 403 with one that may
not). A server with no controller (`runofshow serve JOURNAL --listen`)
answers every command 503, saying why.

The wire format is in docs/control.md and `sync/schemas/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from runofshow.domain.events import MAX_MESSAGE
from runofshow.sync.admission import given_token, request_body
from runofshow.sync.web import same_origin

#: Where the API lives.
API_PREFIX = "/api/v1/"
#: The WebSocket control connection.
WS_PATH = "/api/v1/ws"
#: The status document.
STATUS_PATH = "/api/v1/status"
#: The commands the API takes, by the name in its path; `clear-message` is a message with no text,
#: `toggle` starts, pauses or resumes, whichever makes sense now.
API_COMMANDS = (
    "start",
    "pause",
    "resume",
    "toggle",
    "next",
    "previous",
    "skip",
    "goto",
    "extend",
    "message",
    "clear-message",
    "adopt",
    "later",
    "end",
    "seen",
)
#: How long a refusal's reply waits for the records the controller refused it on to be on disk here.
FOLD_WAIT_S = 2.0
#: The longest name a sender may give itself (`as=`).
MAX_NAME = 40
#: Close code and reason for a control connection whose token was revoked.
REVOKED = (4001, "this link is no longer valid")


class Refused(Exception):
    """A request refused before it reached the controller: its HTTP status and one line for a person."""

    def __init__(self, status: HTTPStatus, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@dataclass(frozen=True, slots=True)
class Call:
    """A command as the controller's channel carries it."""

    name: str
    args: dict[str, Any]
    if_seq: int | None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: object, what: str) -> float:
    if isinstance(value, bool):
        raise Refused(HTTPStatus.BAD_REQUEST, f"{what} must be a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise Refused(HTTPStatus.BAD_REQUEST, f"{what} must be a number, not {value[:20]!r}") from None
    else:
        raise Refused(HTTPStatus.BAD_REQUEST, f"{what} must be a number")
    if not math.isfinite(number):
        raise Refused(HTTPStatus.BAD_REQUEST, f"{what} must be a finite number")
    return number


def _whole(value: object, what: str) -> int:
    number = _number(value, what)
    if number != int(number):
        raise Refused(HTTPStatus.BAD_REQUEST, f"{what} must be a whole number")
    return int(number)


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on")


def call_of(name: str, fields: Mapping[str, object], arg: str | None = None) -> Call:
    """The command `name` (an API name) with its arguments from `fields` (and the path's `arg`); Refused if wrong.

    `toggle` is left for the caller to resolve against the state now.
    """
    if name not in API_COMMANDS:
        raise Refused(HTTPStatus.NOT_FOUND, f"no command {name[:40]!r}; see docs/control.md")
    if_seq = fields.get("if_seq")
    seen = None if if_seq is None or if_seq == "" else _whole(if_seq, "if_seq")
    args: dict[str, Any] = {}
    if name == "goto":
        args["to"] = _whole(arg if arg is not None else fields.get("to"), "the segment to go to")
    elif name == "extend":
        seconds = _number(arg if arg is not None else fields.get("seconds"), "the seconds to add")
        if seconds == 0:
            raise Refused(HTTPStatus.BAD_REQUEST, "extend needs a non-zero number of seconds")
        args["seconds"] = seconds
    elif name == "message":
        text = _text(fields.get("text"))
        if text is None or not text.strip():
            raise Refused(HTTPStatus.BAD_REQUEST, "a message needs its text (text=...); clear-message clears it")
        if len(text) > MAX_MESSAGE:
            raise Refused(HTTPStatus.BAD_REQUEST, f"a message is at most {MAX_MESSAGE} characters")
        args["text"] = text
        if _flag(fields.get("pinned")):
            args["pinned"] = True
    elif name == "clear-message":
        return Call("message", {"text": ""}, seen)
    elif name == "later":
        after = fields.get("after")
        if after is not None and after != "":
            args["after"] = _whole(after, "after")
    elif arg is not None:
        raise Refused(HTTPStatus.NOT_FOUND, f"{name} takes nothing after its name")
    return Call(name, args, seen)


def sender_name(value: object, default: str) -> str:
    """The name a sender gave (`as=`), made safe to show: printable, at most MAX_NAME characters."""
    if not isinstance(value, str):
        return default
    name = "".join(ch for ch in value if ch.isprintable()).strip()[:MAX_NAME]
    return name or default


class Link(Protocol):
    """Where commands go: the channel to the moderator's process (`ControllerLink`), or the hub's control
    subject (`sync.hub.tier`)."""

    async def start(self) -> None:
        """In the server's loop, before the first command."""
        ...

    async def close(self) -> None:
        """Commands still waiting are answered 503."""
        ...

    async def send(self, call: Call, actor: str) -> dict[str, Any]:
        """Send one command; `{"ok", "seq"}` once its record is on disk, or `{"ok": false, "code", "error"}`."""
        ...


#: How a command's answer becomes a reply: read the journal up to a seq, and the status document now.
Catch = Callable[[int], None]
Status = Callable[[], dict[str, Any] | None]


class ControlApi:
    """The HTTP API and the WebSocket control connections of one server (in its loop)."""

    def __init__(
        self,
        link: Link,
        *,
        control_token: str,
        cohost_token: str,
        stage_token: str,
        catch_up: Catch,
        status: Status,
        toggle: Callable[[], str],
    ) -> None:
        self.link = link
        self.control_token = control_token
        self.cohost_token = cohost_token
        self.stage_token = stage_token
        self._catch_up = catch_up
        self._status = status
        self._toggle = toggle
        #: The open WebSocket control connections.
        self.sockets: set[ServerConnection] = set()
        #: Journal streams opened with the control token (`follow --control`): closed when it is revoked.
        self.streams: set[ServerConnection] = set()
        #: Called when the number of control connections may have changed.
        self.on_held: Callable[[], None] = lambda: None

    # -- who is asking -------------------------------------------------------

    def role(self, given: str) -> str | None:
        """control, cohost, stage, or None for an unknown token (compared in constant time)."""
        found = None
        for role, known in (
            ("control", self.control_token),
            ("cohost", self.cohost_token),
            ("stage", self.stage_token),
        ):
            if hmac.compare_digest(given.encode(), known.encode()):
                found = role
        return found

    def follows(self, connection: ServerConnection, given: str) -> None:
        """A journal stream is open: note it if it was opened with the control token."""
        if self.role(given) == "control":
            self.streams.add(connection)

    def renew(self, new_token: str) -> list[ServerConnection]:
        """The control token was renewed: admit only the new one; the control connections to close."""
        self.control_token = new_token
        return [*self.sockets, *self.streams]

    # -- one command ---------------------------------------------------------

    async def run(self, call: Call, role: str | None, actor: str, command: str) -> tuple[int, dict[str, Any]]:
        """Check `role` may send `call`, send it, and make the reply: (HTTP status, JSON body)."""
        if role is None:
            return 401, self._error("a valid control token is needed (Authorization: Bearer TOKEN or ?token=)")
        if role == "stage":
            if call.name != "seen":
                return 403, self._error("the stage link may only say 'got it' (seen)")
            actor = "stage"
        elif role != "control":
            return 403, self._error("this is not a control link; the moderator's screen shows the control link")
        elif call.name == "seen":
            return 403, self._error("'got it' is the speaker's, from the stage link")
        if command == "toggle":
            call = Call(self._toggle(), call.args, call.if_seq)
        answer = await self.link.send(call, actor)
        if not answer.get("ok"):
            code = answer.get("code")
            seq = answer.get("seq")
            if type(seq) is int:  # refused on a newer state than this fold has: show that one
                await self._folded(seq)
            return (code if type(code) is int else 409), self._error(str(answer.get("error") or "refused"))
        seq = answer.get("seq")
        if type(seq) is int:
            self._catch_up(seq)  # on disk: the reply's status shows the command's effect
            await self._folded(seq)  # at once here; a fold fed from elsewhere (the hub) may take a moment
        return 200, {"ok": True, "command": command, "seq": seq, "status": self._status()}

    async def _folded(self, seq: int) -> None:
        """Wait (a moment at most) until this fold has record `seq`: it comes once the controller has it on disk."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FOLD_WAIT_S
        while loop.time() < deadline:
            status = self._status()
            if status is None or status["seq"] >= seq:
                return
            await asyncio.sleep(0.01)

    def _error(self, text: str) -> dict[str, Any]:
        return {"ok": False, "error": text, "status": self._status()}

    # -- admission -------------------------------------------------------------

    async def admit(
        self, connection: ServerConnection, request: Request, *, secure: bool
    ) -> tuple[Response | None, bool]:
        """A request under /api/v1/: an HTTP command or the status (answered here), or a control WebSocket.

        Returns the response, or None to open the WebSocket, and whether the
        connection holds the control token (it is counted in the co-hosts' slots).
        """
        path = urlsplit(request.path).path
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        if request.method == "HEAD":  # a HEAD must never carry out a command
            return json_response(405, {"ok": False, "error": "GET or POST", "status": None}), False
        if path != WS_PATH:
            if upgrade:
                return json_response(400, {"ok": False, "error": "the control WebSocket is /api/v1/ws"}), False
            page = same_origin(request, secure)  # the co-host page's buttons: a fetch from this server's own page
            return await self.http(request, given_token(request), request_body(request), page=page), False
        if not upgrade:
            return json_response(400, {"ok": False, "error": "/api/v1/ws is a WebSocket"}), False
        if request.headers.get("Origin") is not None and not same_origin(request, secure):
            return connection.respond(HTTPStatus.FORBIDDEN, "this page is not from this server\n"), False
        role = self.role(given_token(request))
        if role is None:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "a valid control token is needed\n"), False
        if role != "control":
            return connection.respond(HTTPStatus.FORBIDDEN, "this is not a control link\n"), False
        return None, True

    # -- HTTP ------------------------------------------------------------------

    async def http(self, request: Request, given: str, body: bytes, *, page: bool = False) -> Response:
        """Answer one HTTP request under /api/v1/ (not the WebSocket); `page`: sent by this server's own page."""
        parts = urlsplit(request.path)
        rest = parts.path[len(API_PREFIX) :].strip("/")
        name, _, arg = rest.partition("/")
        fields: dict[str, object] = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        fields.pop("token", None)
        try:
            fields.update(_body_fields(request, body))
            if parts.path.rstrip("/") == STATUS_PATH:
                return self._status_reply(self.role(given))
            if name == "end" and request.method != "POST":
                return json_response(405, self._error("end only by POST, so that no link preview ends the show"))
            call = call_of(name, fields, unquote(arg) if arg else None)
        except Refused as refusal:
            return json_response(refusal.status.value, self._error(refusal.text))
        actor = (
            f"cohost:{sender_name(fields.get('as'), 'co-host')}"
            if page
            else f"api:{sender_name(fields.get('as'), 'http')}"
        )
        code, reply = await self.run(call, self.role(given) if given else None, actor, name)
        return json_response(code, reply)

    def _status_reply(self, role: str | None) -> Response:
        if role is None:
            return json_response(401, {"ok": False, "error": "a valid token is needed", "status": None})
        if role == "stage":
            return json_response(403, {"ok": False, "error": "the stage link cannot read the status", "status": None})
        status = self._status()
        if status is None:
            return json_response(503, {"ok": False, "error": "the journal has no session yet", "status": None})
        return json_response(200, status)

    # -- WebSocket -------------------------------------------------------------

    async def serve_socket(self, connection: ServerConnection, role: str, actor: str) -> None:
        """One control connection: answer each command message with its reply and the message's id."""
        self.sockets.add(connection)
        self.on_held()
        try:
            async for message in connection:
                if not isinstance(message, str):
                    continue
                await connection.send(json.dumps(await self._socket_reply(message, role, actor), ensure_ascii=False))
        except Exception:  # a client that goes away must never disturb the show
            pass
        finally:
            self.sockets.discard(connection)
            self.on_held()

    async def _socket_reply(self, message: str, role: str, actor: str) -> dict[str, Any]:
        try:
            fields = json.loads(message)
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            return {"id": None, "code": 400, **self._error("each message is a JSON object with a command")}
        ident = fields.get("id")
        name = fields.get("command")
        try:
            if name == "status":
                return {"id": ident, "code": 200, "ok": True, "command": "status", "status": self._status()}
            if not isinstance(name, str):
                raise Refused(HTTPStatus.BAD_REQUEST, "each message names its command")
            call = call_of(name, fields)
        except Refused as refusal:
            return {"id": ident, "code": refusal.status.value, **self._error(refusal.text)}
        code, reply = await self.run(call, role, actor, name)
        return {"id": ident, "code": code, **reply}

    async def close_all(self, connections: list[ServerConnection]) -> None:
        """Close control connections (their token was revoked)."""
        await asyncio.gather(*(_close(connection) for connection in connections))


def socket_actor(request: Request) -> str:
    """Who a control WebSocket acts as: a page (it has an Origin) or `follow --control` (it says
    client=cohost) as a co-host, any other client (a script's) as the API; named by `as=`."""
    query = parse_qs(urlsplit(request.path).query)
    cohost = request.headers.get("Origin") is not None or (query.get("client") or [""])[0] == "cohost"
    name = sender_name((query.get("as") or [""])[0], "co-host" if cohost else "ws")
    return f"{'cohost' if cohost else 'api'}:{name}"


async def _close(connection: ServerConnection) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            await connection.close(*REVOKED)
    connection.transport.abort()


def _body_fields(request: Request, body: bytes) -> dict[str, object]:
    """The fields of a POST body: JSON (an object) or a form; nothing for an empty one."""
    if not body:
        return {}
    kind = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            found = json.loads(body)
        except ValueError:
            raise Refused(HTTPStatus.BAD_REQUEST, "the body is not JSON") from None
        if not isinstance(found, dict):
            raise Refused(HTTPStatus.BAD_REQUEST, "the JSON body must be an object")
        return found
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise Refused(HTTPStatus.BAD_REQUEST, "the form is not UTF-8") from None
    return {key: values[-1] for key, values in parse_qs(text).items()}


def json_response(code: int, body: Mapping[str, Any]) -> Response:
    """A JSON reply that closes the connection."""
    data = json.dumps(body, ensure_ascii=False).encode()
    status = HTTPStatus(code)
    headers = Headers(
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Connection", "close"),
        ]
    )
    return Response(status.value, status.phrase, headers, data)


__all__ = [
    "API_COMMANDS",
    "API_PREFIX",
    "STATUS_PATH",
    "WS_PATH",
    "Call",
    "ControlApi",
    "Link",
    "Refused",
    "call_of",
    "json_response",
    "sender_name",
    "socket_actor",
]
