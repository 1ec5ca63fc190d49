"""Who gets a connection on the server's port, and what a request that is not one of ours gets back.

Fair slots. Every connection is counted from the TCP accept, in one of three kinds:

- *pending*: no decision yet (the HTTP request not read, or a page being
  sent). At most `pending_max` at once, and at most `per_address` from one
  address, so that connections that never finish their request (or a flood of
  page loads from one machine) can never take the slots of those holding a
  token. More are cut at once.
- *co-host*: the session's token (terminal followers, the co-host page).
- *stage*: the speakers' token (the stage page, `follow --stage`).

Token holders share `max_connections`, of which `cohost_reserved` are kept
for co-hosts: stage viewers, however many, cannot fill them. A token holder
over its share is answered 503 and tries again later, as pages and followers do.

Bad requests get a 4xx and never a 5xx: a request line or headers that do
not parse (400), too long (414, 431), a method other than GET or HEAD (405),
a header that must come once given twice (400).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import InvalidMessage, SecurityError
from websockets.http11 import Request, Response
from websockets.protocol import CONNECTING, Protocol
from websockets.server import ServerProtocol

#: Token holders at once (followers and pages of both kinds).
MAX_CONNECTIONS = 1000
#: Connections without a decision yet (request unread, or a page being sent), from all addresses.
PENDING_MAX = 200
#: Connections without a decision yet from one address (a venue behind one NAT opens its pages at once).
PENDING_PER_ADDRESS = 50
#: Of MAX_CONNECTIONS, the slots only co-hosts (the session's token) may take.
COHOST_RESERVED = 50
#: The headers a request may carry once: two Hosts (or Origins) leave it unclear which one to check.
SINGLE_HEADERS = ("Host", "Origin", "Upgrade", "Authorization", "Sec-WebSocket-Key", "Sec-WebSocket-Version")
#: The methods the server answers; any other is 405. POST only under API_PREFIX, with a small body.
METHODS = ("GET", "HEAD", "POST")
#: Where POST is taken (the control API).
API_PREFIX = "/api/"
#: The largest body a POST may carry (a message is at most a few hundred bytes).
MAX_BODY = 16 * 1024


class Kind(StrEnum):
    """What a connection is counted as, once its request is decided."""

    COHOST = "cohost"
    STAGE = "stage"


class Slots:
    """The counts behind the fair share: pending connections (in all and by address) and token holders by kind."""

    def __init__(
        self,
        max_connections: int = MAX_CONNECTIONS,
        *,
        pending_max: int = PENDING_MAX,
        per_address: int = PENDING_PER_ADDRESS,
        cohost_reserved: int = COHOST_RESERVED,
    ) -> None:
        self.max_connections = max_connections
        self.pending_max = pending_max
        self.per_address = per_address
        #: Never more than half the slots: a small server still takes stage viewers.
        self.cohost_reserved = min(cohost_reserved, max_connections // 2)
        self.pending = 0
        self._by_address: Counter[str] = Counter()
        self.held: Counter[Kind] = Counter()

    def arrive(self, address: str) -> bool:
        """A TCP connection was accepted: count it as pending, or False when there is no room for it."""
        if self.pending >= self.pending_max or self._by_address[address] >= self.per_address:
            return False
        self.pending += 1
        self._by_address[address] += 1
        return True

    def admit(self, address: str, kind: Kind) -> bool:
        """A pending connection holds a token of `kind`: move it to that kind's slots, or False when they are full."""
        total = self.held[Kind.COHOST] + self.held[Kind.STAGE]
        if total >= self.max_connections:
            return False
        if kind is Kind.STAGE and self.held[Kind.STAGE] >= self.max_connections - self.cohost_reserved:
            return False
        self._settle(address)
        self.held[kind] += 1
        return True

    def leave(self, address: str, kind: Kind | None) -> None:
        """A connection closed: free its slot (pending when `kind` is None)."""
        if kind is None:
            self._settle(address)
        else:
            self.held[kind] -= 1

    def _settle(self, address: str) -> None:
        self.pending -= 1
        self._by_address[address] -= 1
        if self._by_address[address] <= 0:
            del self._by_address[address]


class Lenient(ServerConnection):
    """A connection with the lenient request parser: every request it cannot take answered with a 4xx, a POST
    to the control API read with its body."""

    def __init__(self, protocol: ServerProtocol, *args: Any, **kwargs: Any) -> None:
        protocol.__class__ = LenientProtocol
        protocol.parser = protocol.parse()  # nothing read yet: start again with the lenient parser
        next(protocol.parser)
        super().__init__(protocol, *args, **kwargs)


class Admitted(Lenient):
    """A connection counted in its server's `Slots` from the TCP accept to the close, with a lenient request parser."""

    #: Set on a subclass made for each server (see `connection_class`).
    slots: Slots

    def __init__(self, protocol: ServerProtocol, *args: Any, **kwargs: Any) -> None:
        super().__init__(protocol, *args, **kwargs)
        self.address = ""
        #: What the connection is counted as: None while pending.
        self.kind: Kind | None = None
        self._counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        if self.slots.arrive(self.address):
            self._counted = True
        elif isinstance(transport, asyncio.Transport):
            transport.abort()

    def admit(self, kind: Kind) -> bool:
        """Count this connection as a token holder of `kind`, if there is room."""
        if not self._counted or self.kind is not None:
            return self.kind is kind
        if not self.slots.admit(self.address, kind):
            return False
        self.kind = kind
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if self._counted:
            self._counted = False
            self.slots.leave(self.address, self.kind)
        super().connection_lost(exc)


def connection_class(slots: Slots) -> type[Admitted]:
    """The connection class for one server, counting in `slots`."""

    class Counted(Admitted):
        pass

    Counted.slots = slots
    return Counted


class LenientProtocol(ServerProtocol):
    """The server side of the handshake, answering every request it cannot take with a 4xx (websockets hangs up)."""

    def parse(self) -> Generator[None]:
        if self.state is CONNECTING:
            try:
                request = yield from _parse_request(self.reader.read_line, self.reader.read_exact)
            except EOFError:
                request = None  # gone before the request was whole: nothing to answer
            except _Refused as refusal:
                self.handshake_exc = InvalidMessage(refusal.text)
                self.send_response(refusal.response(self))
                yield
                return
            except Exception as error:  # anything that does not parse: 400, never a silent hang-up
                self.handshake_exc = InvalidMessage("did not receive a valid HTTP request")
                self.handshake_exc.__cause__ = error
                self.send_response(plain(self, HTTPStatus.BAD_REQUEST, "bad request\n"))
                yield
                return
            if request is None:
                self.handshake_exc = InvalidMessage("connection closed during the request")
                self.send_eof()
                self.parser = self.discard()
                next(self.parser)
                yield
                return
            self.events.append(request)
        yield from Protocol.parse(self)


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, text: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers

    def response(self, protocol: ServerProtocol) -> Response:
        response = plain(protocol, self.status, self.text)
        for name, value in self.headers:
            response.headers[name] = value
        return response


def plain(protocol: ServerProtocol, status: HTTPStatus, text: str) -> Response:
    """A short plain-text answer that closes the connection."""
    return protocol.reject(status, text)


#: Request and header lines, as websockets limits them.
MAX_LINE = 8192
#: Headers in one request, as websockets limits them.
MAX_HEADERS = 128
#: A room's control API on the hub's web tier (`/r/ROOM/api/…`): it takes POSTs too.
_ROOM_API = re.compile(r"/r/[A-Za-z0-9_-]{1,64}/api/")
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_VALUE = re.compile(rb"[\x09\x20-\x7e\x80-\xff]*")


def _line(read_line: Any, refusal: _Refused) -> Generator[None, None, bytes]:
    """One CRLF-ended line without its CRLF; EOFError if the stream ends first, `refusal` if it is too long."""
    try:
        line = yield from read_line(MAX_LINE, _LineTooLong)
    except _LineTooLong:
        raise refusal from None
    if not line.endswith(b"\r\n"):
        raise _Refused(HTTPStatus.BAD_REQUEST, "lines end with CRLF\n")
    return bytes(line[:-2])


@dataclass
class PostRequest(Request):
    """A POST to the control API, with its body (read whole: at most MAX_BODY)."""

    body: bytes = b""


def request_body(request: Request) -> bytes:
    """The body of a POST (empty for any other request)."""
    return request.body if isinstance(request, PostRequest) else b""


def _parse_request(read_line: Any, read_exact: Any) -> Generator[None, None, Request]:
    """The request line and headers, as websockets reads them, with each way to fail answered by its own 4xx.

    A POST (only under API_PREFIX, or a room's `/r/ROOM/api/`) may carry a body of up to MAX_BODY bytes, with its Content-Length.
    """
    line = yield from _line(read_line, _Refused(HTTPStatus.REQUEST_URI_TOO_LONG, "request line too long\n"))
    try:
        raw_method, raw_path, raw_protocol = line.split(b" ", 2)
        method, path = raw_method.decode("ascii"), raw_path.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        raise _Refused(HTTPStatus.BAD_REQUEST, "bad request line\n") from None
    if raw_protocol not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise _Refused(HTTPStatus.BAD_REQUEST, "only HTTP/1.1 is spoken here\n")
    api = path.startswith(API_PREFIX) or _ROOM_API.match(path) is not None
    post = method == "POST" and api
    if method not in METHODS or (method == "POST" and not post):
        allowed = ", ".join(METHODS if api else METHODS[:2])
        raise _Refused(HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD\n", (("Allow", allowed),))
    too_large = _Refused(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers too large\n")
    headers = Headers()
    for _ in range(MAX_HEADERS + 1):
        line = yield from _line(read_line, too_large)
        if line == b"":
            break
        name, colon, value = line.partition(b":")
        value = value.strip(b" \t")
        if not colon or not _TOKEN.fullmatch(name) or not _VALUE.fullmatch(value):
            raise _Refused(HTTPStatus.BAD_REQUEST, "malformed header\n")
        headers[name.decode("ascii")] = value.decode("iso-8859-1")
    else:
        raise too_large
    lengths = headers.get_all("Content-Length")
    if "Transfer-Encoding" in headers or (not post and not set(lengths) <= {"0"}):
        raise _Refused(HTTPStatus.BAD_REQUEST, "a request here has no body\n")
    if not post:
        return Request(path, headers, method, raw_protocol.decode("ascii"))
    if len(lengths) > 1 or (lengths and not lengths[0].isdigit()):
        raise _Refused(HTTPStatus.BAD_REQUEST, "one Content-Length, a number\n")
    size = int(lengths[0]) if lengths else 0
    if size > MAX_BODY:
        raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the body is too large\n")
    body = bytes((yield from read_exact(size))) if size else b""
    return PostRequest(path, headers, method, raw_protocol.decode("ascii"), body=body)


class _LineTooLong(SecurityError):
    pass


def request_problem(request: Request) -> tuple[HTTPStatus, str] | None:
    """Why a parsed request cannot be taken (a header twice that must come once), or None."""
    for name in SINGLE_HEADERS:
        if len(request.headers.get_all(name)) > 1:
            return HTTPStatus.BAD_REQUEST, f"more than one {name} header\n"
    return None


def given_token(request: Request) -> str:
    """The token a request carries: `?token=` or an `Authorization: Bearer` header."""
    query = parse_qs(urlsplit(request.path).query)
    given = (query.get("token") or [""])[0]
    authorization = request.headers.get("Authorization", "")
    if not given and authorization.startswith("Bearer "):
        given = authorization.removeprefix("Bearer ").strip()
    return given
