"""Reaching the hub: its addresses, and the credentials to show it, never taken from the command line.

A hub is one or more NATS servers, given as one argument:
`nats://a:4222,nats://b:4222` (a bare `HOST[:PORT]` is `nats://HOST:PORT`,
4222 by default). A room is followed as `nats://HOST[:PORT]/ROOM`.

Credentials would show in `ps` and in shell history if they were arguments,
so they come from a file (`--hub-creds FILE`) or the environment:

- `RUNOFSHOW_HUB_CREDS`: a file, as `--hub-creds`;
- `RUNOFSHOW_HUB_USER` and `RUNOFSHOW_HUB_PASSWORD`;
- `RUNOFSHOW_HUB_NKEY`: a file holding an nkey seed (`SU…`);
- `RUNOFSHOW_HUB_CERT`, `RUNOFSHOW_HUB_KEY`, `RUNOFSHOW_HUB_CA`: TLS files.

A credentials file is either a NATS `.creds` file (a user JWT and its seed,
as `nsc` writes it), a bare nkey seed, or TOML with any of `user`,
`password`, `nkey` (a seed), `cert`, `key`, `ca` (paths, relative to the file).

Importing this module imports no NATS code: `connect` does, when called.
"""

from __future__ import annotations

import os
import ssl
import tomllib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from runofshow.errors import UserError
from runofshow.sync.hub.names import DEFAULT_PORT, RoomNameError, check_room

if TYPE_CHECKING:
    from nats.aio.client import Client

__all__ = ["HubCredentials", "connect", "hub_servers", "split_room_url"]

#: The schemes a hub address may have.
SCHEMES = ("nats", "tls")
#: Why a connection failed, when the hub refused the credentials.
REFUSED = "the hub refused the credentials"
#: The environment variables credentials are read from.
ENV_CREDS = "RUNOFSHOW_HUB_CREDS"
ENV_USER = "RUNOFSHOW_HUB_USER"
ENV_PASSWORD = "RUNOFSHOW_HUB_PASSWORD"
ENV_NKEY = "RUNOFSHOW_HUB_NKEY"
ENV_CERT = "RUNOFSHOW_HUB_CERT"
ENV_KEY = "RUNOFSHOW_HUB_KEY"
ENV_CA = "RUNOFSHOW_HUB_CA"
#: Largest credentials file read: a .creds file is about 1 kB.
MAX_CREDS_BYTES = 64 * 1024
#: How long one attempt to reach a server may take, in seconds.
CONNECT_TIMEOUT_S = 2
#: Wait between attempts to reach a server again, in seconds.
RECONNECT_WAIT_S = 0.5


@dataclass(frozen=True, slots=True)
class HubCredentials:
    """How this process proves who it is to the hub: any of user and password, an nkey, a JWT, a TLS certificate."""

    user: str | None = None
    password: str | None = None
    #: An nkey seed (`SU…`), alone or with `jwt`.
    nkey_seed: str | None = None
    #: A NATS `.creds` file (user JWT and seed), handed to the client as a file.
    creds_file: str | None = None
    cert: str | None = None
    key: str | None = None
    ca: str | None = None

    def __repr__(self) -> str:
        """Never the secrets themselves, should this end up in a log."""
        shown = [name for name in ("user", "nkey_seed", "creds_file", "cert", "ca") if getattr(self, name)]
        return f"HubCredentials({', '.join(shown) or 'none'})"

    @classmethod
    def from_file(cls, path: str | Path) -> HubCredentials:
        """Read `path` (a .creds file, a bare seed, or TOML); a file that is none of these is a UserError."""
        file = Path(path)
        try:
            with open(file, "rb") as handle:
                data = handle.read(MAX_CREDS_BYTES + 1)
        except OSError as error:
            raise UserError(f"{file}: cannot read the hub credentials ({error.strerror or error})") from None
        if len(data) > MAX_CREDS_BYTES:
            raise UserError(f"{file}: too large for a hub credentials file")
        try:
            text = data.decode()
        except UnicodeDecodeError:
            raise UserError(f"{file}: not a hub credentials file (not UTF-8 text)") from None
        if "BEGIN NATS USER JWT" in text:
            return cls(creds_file=str(file))
        stripped = text.strip()
        if stripped.startswith("SU") and "\n" not in stripped and "=" not in stripped:
            return cls(nkey_seed=stripped)
        try:
            table = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise UserError(f"{file}: not a hub credentials file ({error})") from None
        known = {"user", "password", "nkey", "cert", "key", "ca"}
        unknown = sorted(set(table) - known)
        if unknown:
            raise UserError(f"{file}: unknown key {unknown[0]!r}; use {', '.join(sorted(known))}")
        for name, value in table.items():
            if not isinstance(value, str) or not value:
                raise UserError(f"{file}: {name} must be a non-empty string")
        if ("user" in table) != ("password" in table):
            raise UserError(f"{file}: give both user and password, or neither")
        if ("cert" in table) != ("key" in table):
            raise UserError(f"{file}: give both cert and key, or neither")
        if not table:
            raise UserError(f"{file}: no credentials in it")

        def near(name: str) -> str | None:
            value = table.get(name)
            return None if value is None else str(file.parent / Path(value).expanduser())

        return cls(
            user=table.get("user"),
            password=table.get("password"),
            nkey_seed=table.get("nkey"),
            cert=near("cert"),
            key=near("key"),
            ca=near("ca"),
        )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> HubCredentials | None:
        """What the environment gives, or None when it gives nothing."""
        env = os.environ if environ is None else environ
        if env.get(ENV_CREDS):
            return cls.from_file(env[ENV_CREDS])
        user, password = env.get(ENV_USER) or None, env.get(ENV_PASSWORD) or None
        if (user is None) != (password is None):
            raise UserError(f"set both {ENV_USER} and {ENV_PASSWORD}, or neither")
        seed = None
        if env.get(ENV_NKEY):
            seed_file = Path(env[ENV_NKEY])
            try:
                seed = seed_file.read_text().strip()
            except (OSError, UnicodeDecodeError) as error:
                raise UserError(f"{seed_file}: cannot read the nkey seed ({error})") from None
            if not seed.startswith("SU"):
                raise UserError(f"{seed_file}: not an nkey user seed (it starts with SU)")
        cert, key, ca = env.get(ENV_CERT) or None, env.get(ENV_KEY) or None, env.get(ENV_CA) or None
        if (cert is None) != (key is None):
            raise UserError(f"set both {ENV_CERT} and {ENV_KEY}, or neither")
        found = cls(user=user, password=password, nkey_seed=seed, cert=cert, key=key, ca=ca)
        return None if found == cls() else found

    @classmethod
    def find(cls, path: str | None = None) -> HubCredentials | None:
        """The file given on the command line, else the environment's, else None (no credentials)."""
        return cls.from_file(path) if path else cls.from_environment()

    def tls(self) -> ssl.SSLContext | None:
        """The TLS context these credentials need, or None; unreadable files are a UserError."""
        if not (self.cert or self.ca):
            return None
        try:
            context = ssl.create_default_context(cafile=self.ca)
            if self.cert:
                context.load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as error:
            raise UserError(f"the hub's TLS files cannot be used: {error}") from None
        return context


def hub_servers(url: str) -> list[str]:
    """The servers of a hub address (`nats://a:4222,nats://b:4222`, or `HOST[:PORT]`); a bad one is a UserError."""
    servers: list[str] = []
    for part in url.split(","):
        part = part.strip()
        if not part:
            continue
        parts = urlsplit(part if "://" in part else f"nats://{part}")
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise UserError(f"{part}: the port must be a number, as in nats://HOST:4222") from None
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise UserError(f"{part}: not a hub address; use nats://HOST:4222")
        if parts.username or parts.password:
            raise UserError(
                f"{parts.hostname}: credentials do not go in the address; use --hub-creds FILE or {ENV_USER}"
            )
        if parts.path not in ("", "/") or parts.query:
            raise UserError(f"{part}: a hub address has no path; the room is given with --room")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        servers.append(f"{parts.scheme}://{host}:{port}")
    if not servers:
        raise UserError("no hub address given; use nats://HOST:4222")
    return servers


def split_room_url(url: str) -> tuple[str, str]:
    """`nats://HOST[:PORT][,…]/ROOM` as (the hub's address, the room); anything else is a UserError."""
    head, slash, room = url.rpartition("/")
    if not slash or "://" not in url or head.endswith("/") or not room:
        raise UserError(f"{url}: give the room after the hub's address, as in nats://HOST:4222/ROOM")
    try:
        check_room(room)
    except RoomNameError as error:
        raise UserError(str(error)) from None
    hub_servers(head)
    return head, room


async def connect(
    url: str,
    creds: HubCredentials | None = None,
    *,
    name: str = "runofshow",
    disconnected: Callable[[], Awaitable[None]] | None = None,
    reconnected: Callable[[], Awaitable[None]] | None = None,
    failed: Callable[[str], None] | None = None,
) -> Client:
    """A client connected to one of the hub's servers, trying again for ever until one answers, and after.

    `disconnected` and `reconnected` are called in the client's loop when the
    connection drops and comes back (to another server, maybe); `failed`
    with the reason each time a server refuses or cannot be reached (a wrong
    password is retried like a dead server, so this is how to hear of it).
    """
    import nats

    servers = hub_servers(url)
    options: dict[str, object] = {}
    if creds is not None:
        if creds.user:
            options["user"], options["password"] = creds.user, creds.password
        if creds.creds_file:
            options["user_credentials"] = creds.creds_file
        elif creds.nkey_seed:
            options["nkeys_seed_str"] = creds.nkey_seed
        context = creds.tls()
        if context is not None:
            options["tls"] = context

    async def quiet(error: Exception) -> None:
        """The client retries by itself; the caller hears why, if it asked, and nothing is logged."""
        if failed is not None:
            failed(reason(error))

    if disconnected is not None:
        options["disconnected_cb"] = disconnected
    if reconnected is not None:
        options["reconnected_cb"] = reconnected
    return await nats.connect(
        servers=servers,
        name=name,
        connect_timeout=CONNECT_TIMEOUT_S,
        reconnect_time_wait=RECONNECT_WAIT_S,
        max_reconnect_attempts=-1,
        allow_reconnect=True,
        error_cb=quiet,
        **options,
    )


def reason(error: BaseException) -> str:
    """Why the hub refused or could not be reached, in a few words for a status line."""
    text = str(error).strip().strip("'\"")
    if "authorization" in text.lower() or "authentication" in text.lower():
        return REFUSED
    if isinstance(error, ConnectionRefusedError) or "Connect call failed" in text:
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "no answer"
    return text.removeprefix("nats: ") or type(error).__name__
