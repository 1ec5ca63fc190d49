"""Who may show the pages inside a frame: nobody, unless the moderator names a site with `--allow-embed`.

A stage page in a frame is what an overlay tool or a studio dashboard wants;
it is also what a hostile site would use to dress the page up (clickjacking).
So the pages are refused to every frame by default (`frame-ancestors 'none'`
and `X-Frame-Options: DENY`), and `--allow-embed ORIGIN` (repeatable) lets
exactly the sites named put them in a frame: `frame-ancestors ORIGIN …`.
X-Frame-Options cannot name a site, so it is left out then; every browser
that knows frame-ancestors obeys it over X-Frame-Options anyway.

An origin is checked here once, before anything is served, so that nothing
but `scheme://host[:port]` ever reaches the policy header.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from runofshow.errors import UserError

#: A DNS name: labels of letters, digits and hyphens (no wildcard: the sites are named, not patterns).
_NAME = re.compile(r"(?=.{1,253}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\Z")
_ORIGIN = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<host>\[[^\]/]*\]|[^:/\[\]]*)(:(?P<port>[0-9]{1,5}))?/?\Z"
)
#: What each mistake is answered with, after the origin given.
_SHAPE = "give an origin as scheme://host[:port], like https://studio.example.org or http://127.0.0.1:8080"


def embed_origin(text: str) -> str:
    """`text` as the origin a frame-ancestors policy names (lower case, no trailing slash); UserError if it is not one."""
    found = _ORIGIN.match(text.strip())
    if found is None:
        raise UserError(f"--allow-embed {text!r}: {_SHAPE}")
    scheme, host, port = found["scheme"].lower(), found["host"].lower(), found["port"]
    if scheme not in ("http", "https"):
        raise UserError(f"--allow-embed {text!r}: the scheme must be http or https")
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise UserError(f"--allow-embed {text!r}: {host} is not an IPv6 address") from None
    elif not _NAME.match(host):
        raise UserError(f"--allow-embed {text!r}: {host or 'an empty host'} is not a host name; {_SHAPE}")
    if port is not None:
        if not 1 <= int(port) <= 65535:
            raise UserError(f"--allow-embed {text!r}: the port must be 1 to 65535")
        port = str(int(port))
    return f"{scheme}://{host}" + (f":{port}" if port is not None else "")


def embed_origins(texts: Sequence[str] | None) -> tuple[str, ...]:
    """Every origin given, checked, each once, in the order given."""
    return tuple(dict.fromkeys(embed_origin(text) for text in texts or ()))


def frame_ancestors(origins: Sequence[str]) -> str:
    """The CSP frame-ancestors directive: none, or exactly the sites allowed."""
    return "frame-ancestors " + (" ".join(origins) if origins else "'none'")
