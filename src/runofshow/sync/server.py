"""Serve a journal to followers on other machines over a WebSocket.

The server runs in the moderator's process. A follower connects with the
session's token and the last `seq` it has; it gets the header, every record
after that seq from the file on disk, then each new record the moment it is
fsynced. It is a one-way street: whatever a follower sends is read and thrown
away, so no follower can change the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import secrets
import socket
import ssl
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from runofshow.core.clock import Clock, format_instant
from runofshow.core.session import Controller
from runofshow.errors import UserError
from runofshow.sync.web import WebViews

#: How often a follower hears from the server when nothing happens (liveness and clock sync).
HEARTBEAT_S = 2.0


def session_token(journal: Path) -> str:
    """The session's token: made once, kept beside the journal (mode 0600) so a resumed session keeps it.

    Co-hosts following over the network reconnect on their own after the
    moderator's program restarts; a new token would lock them out.
    """
    path = journal.with_name(journal.name + ".token")
    try:
        token = path.read_text().strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    except OSError as error:
        raise UserError(f"{path}: cannot read the session's token: {error.strerror or error}") from None
    token = secrets.token_urlsafe(12)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(token + "\n")
    except OSError as error:
        raise UserError(f"{path}: cannot save the session's token: {error.strerror or error}") from None
    return token


def parse_listen(text: str) -> tuple[str, int]:
    """ "[HOST:]PORT" → (host, port); the host defaults to loopback."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        raise UserError(f"--serve {text!r}: give [HOST:]PORT, e.g. 8765 or 0.0.0.0:8765") from None
    if not 0 <= number <= 65535:
        raise UserError(f"--serve {text!r}: the port must be 0 to 65535")
    return host, number


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket now, so a busy port is one clear error before the screen opens."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise UserError(f"--serve: cannot use host {host!r}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise UserError(f"--serve: cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def reachable_address() -> str:
    """This machine's address on the network others would reach it by, for the follow command.

    Connecting a UDP socket only asks the routing table which interface it
    would use; no packet is sent. The host name is the fallback (it often
    resolves to 127.0.0.1 on the machine itself, useless to a co-host).
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routed like any outside address, never used
        address = str(probe.getsockname()[0])
    except OSError:
        return socket.gethostname()
    finally:
        probe.close()
    return socket.gethostname() if address.startswith("127.") else address


def public_host(sock: socket.socket) -> str:
    """The host part of an address others can use to reach `sock` (bracketed if IPv6)."""
    host = str(sock.getsockname()[0])
    if host in ("0.0.0.0", "::"):
        host = reachable_address()
    return f"[{host}]" if ":" in host else host


def page_base(sock: socket.socket, secure: bool) -> str:
    """http(s)://HOST:PORT, where the browser pages of a session served on `sock` are."""
    return f"{'https' if secure else 'http'}://{public_host(sock)}:{sock.getsockname()[1]}"


def tls_context(certfile: str | None, keyfile: str | None) -> ssl.SSLContext | None:
    """A server TLS context from a certificate and key, or None for plain ws://."""
    if certfile is None and keyfile is None:
        return None
    if certfile is None:
        raise UserError("--keyfile needs --certfile too")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as error:
        raise UserError(f"--certfile {certfile}: cannot load it: {getattr(error, 'strerror', None) or error}") from None
    return context


class _Client:
    """One follower's queue of records still to send; None once the follower has gone."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue()


class JournalServer:
    """Streams one journal to any number of followers."""

    def __init__(
        self,
        path: Path,
        token: str,
        sock: socket.socket,
        clock: Clock,
        *,
        ssl_context: ssl.SSLContext | None = None,
        web: WebViews | None = None,
    ) -> None:
        self.path = path
        #: The browser pages and their view stream, on the same port; None serves followers only.
        self.web = web
        self.token = token
        self.sock = sock
        self.clock = clock
        self.ssl_context = ssl_context
        self._clients: set[_Client] = set()
        self._server: Server | None = None
        self._closed = False

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self.sock.getsockname()[1])

    @property
    def scheme(self) -> str:
        """ws or wss."""
        return "wss" if self.ssl_context else "ws"

    def follow_command(self) -> str:
        """The exact command a co-host types to follow this session."""
        return f"runofshow follow {self.scheme}://{public_host(self.sock)}:{self.port} --token {self.token}"

    @property
    def followers(self) -> int:
        """How many followers are connected now."""
        return len(self._clients)

    async def start(self) -> None:
        """Begin accepting followers on the bound socket."""
        if self.web is not None:
            await self.web.start()
        self._server = await serve(
            self._handle,
            sock=self.sock,
            ssl=self.ssl_context,
            process_request=self._admit,
            max_size=2**16,
            ping_interval=20,
            ping_timeout=20,
            server_header=None,
        )

    async def drain(self, timeout: float = 1.0) -> None:
        """Wait (up to `timeout`) until every follower has been sent what was published."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while any(not client.queue.empty() for client in self._clients):
                    await asyncio.sleep(0.01)

    async def close(self) -> None:
        """Stop serving and drop every follower."""
        self._closed = True
        if self.web is not None:
            await self.web.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def publish(self, line: bytes) -> None:
        """Send a record that has just been made durable to every follower.

        Called from the journal writer, which may still write (a detach, say)
        after serving has stopped: then there is no one to send to.
        """
        if self._closed:
            return
        try:
            seq = int(json.loads(line)["seq"])
        except (ValueError, KeyError, TypeError):
            return
        text = line.decode().rstrip("\n")
        for client in self._clients:
            client.queue.put_nowait((seq, text))
        if self.web is not None:
            self.web.publish(line)

    def _admit(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse browsers (403) and anyone without the session's token (401); pages go to the web views."""
        if self.web is not None and self.web.owns(request):
            return self.web.process_request(connection, request)
        if request.headers.get("Origin") is not None:
            return connection.respond(HTTPStatus.FORBIDDEN, "browsers may not follow a session\n")
        query = parse_qs(urlsplit(request.path).query)
        given = (query.get("token") or [""])[0]
        authorization = request.headers.get("Authorization", "")
        if not given and authorization.startswith("Bearer "):
            given = authorization.removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            return connection.respond(HTTPStatus.UNAUTHORIZED, "a valid token is needed to follow this session\n")
        return None

    async def _handle(self, connection: ServerConnection) -> None:
        if self.web is not None and connection.request is not None and self.web.owns(connection.request):
            await self.web.handle(connection)
            return
        query = parse_qs(urlsplit(connection.request.path if connection.request else "/").query)
        try:
            since = int((query.get("since") or ["0"])[0])
        except ValueError:
            since = 0
        client = _Client()
        # Register before reading the file: a record published meanwhile waits
        # in the queue and is sent after the catch-up, unless already sent.
        self._clients.add(client)
        drain = asyncio.create_task(self._discard_input(connection, client))
        try:
            last = await self._catch_up(connection, since)
            await self._heartbeat(connection, last)
            while True:
                try:
                    # Not wait_for: on Python 3.11 it swallows a cancel that comes as a record does.
                    async with asyncio.timeout(HEARTBEAT_S):
                        item = await client.queue.get()
                except TimeoutError:
                    await self._heartbeat(connection, last)
                    continue
                if item is None:
                    break
                seq, text = item
                if seq > last:
                    await connection.send(text)
                    last = seq
        except Exception:  # a follower that goes away must never disturb the show
            pass
        finally:
            self._clients.discard(client)
            drain.cancel()
            with contextlib.suppress(BaseException):
                await drain

    async def _catch_up(self, connection: ServerConnection, since: int) -> int:
        """Send the header and every durable record after `since`; return the last seq sent."""
        data = self.path.read_bytes()
        end = data.rfind(b"\n")
        last = since
        for number, line in enumerate(data[: end + 1].splitlines()):
            if number == 0:
                await connection.send(line.decode())
                continue
            try:
                seq = int(json.loads(line)["seq"])
            except (ValueError, KeyError, TypeError):
                break  # a record cut short by a failed write: the rest comes live
            if seq > last:
                await connection.send(line.decode())
                last = seq
        return last

    async def _heartbeat(self, connection: ServerConnection, last: int) -> None:
        reading = self.clock.read()
        await connection.send(json.dumps({"type": "heartbeat", "wall": format_instant(reading.wall_us), "seq": last}))

    async def _discard_input(self, connection: ServerConnection, client: _Client) -> None:
        """Read and drop whatever a follower sends: followers cannot change the session.

        When the connection closes, wake the sender at once, so that a gone
        follower (or the server closing) does not wait for the next heartbeat.
        """
        with contextlib.suppress(Exception):
            async for _ in connection:
                pass
        client.queue.put_nowait(None)


async def close_served(controller: Controller, server: JournalServer) -> None:
    """Leave a served session: record the detach while followers can still be sent it, then stop serving."""
    controller.close()
    await server.drain()
    await server.close()
