"""What serving needs before the first follower: the listening socket and TLS (tokens: `runofshow.secrets`).

Each is made before the moderator's screen opens, so a busy port, a bad
certificate or an unsafe token file is one clear line, not a failure later.
"""

from __future__ import annotations

import socket
import ssl

from runofshow.errors import UserError


def parse_listen(text: str) -> tuple[str, int]:
    """ "[HOST:]PORT" → (host, port); the host defaults to loopback."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        raise UserError(
            f"{text!r} is not an address to serve on: give [HOST:]PORT, e.g. 8765 or 0.0.0.0:8765"
        ) from None
    if not 0 <= number <= 65535:
        raise UserError(f"{text!r} is not an address to serve on: the port must be 0 to 65535")
    return host, number


def bind(host: str, port: int, backlog: int = 128) -> socket.socket:
    """Bind the listening socket now, so a busy port is one clear error before the screen opens."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise UserError(f"cannot serve on host {host!r}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


def bind_udp(host: str, port: int) -> socket.socket:
    """Bind the OSC port now (UDP), so a busy port is one clear error before the screen opens."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise UserError(f"cannot take OSC on host {host!r}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise UserError(f"cannot take OSC on {host}:{port}: {error.strerror or error}") from None
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


def tls_context(certfile: str | None, keyfile: str | None) -> ssl.SSLContext | None:
    """A server TLS context from a certificate and key, or None for plain ws://."""
    if certfile is None and keyfile is None:
        return None
    if certfile is None:
        raise UserError("a TLS key needs its certificate too")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as error:
        raise UserError(f"{certfile}: cannot load it: {getattr(error, 'strerror', None) or error}") from None
    return context


def public_host(sock: socket.socket) -> str:
    """The host part of an address others can use to reach `sock` (bracketed if IPv6)."""
    return _bracketed(str(sock.getsockname()[0]))


def page_base(sock: socket.socket, secure: bool) -> str:
    """http(s)://HOST:PORT, where the browser pages of a session served on `sock` are."""
    return f"{'https' if secure else 'http'}://{public_host(sock)}:{sock.getsockname()[1]}"


def follow_command(address: tuple[object, ...], secure: bool, token: str) -> str:
    """The exact command a co-host types to follow a session served at `address` (a socket's name)."""
    return f"runofshow follow {'wss' if secure else 'ws'}://{_bracketed(str(address[0]))}:{address[1]} --token {token}"


def _bracketed(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        host = reachable_address()
    return f"[{host}]" if ":" in host else host
