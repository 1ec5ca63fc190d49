"""Driving a served session from outside: HTTP requests (urllib), a control WebSocket, OSC, and the schemas."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from tests.kit.web import Served


def schema_validator(name: str) -> Any:
    """A validator for one of the shipped schemas (status, view, command, reply), its references resolved."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    folder = resources.files("runofshow.sync").joinpath("schemas")
    documents = {
        path.name: json.loads(path.read_text()) for path in folder.iterdir() if path.name.endswith(".schema.json")
    }
    registry: Registry[Any] = Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents.values()
    )
    return Draft202012Validator(documents[f"{name}.schema.json"], registry=registry)


@dataclass
class Live:
    """A served session whose terminal is read by a thread of its own (a screen that nobody reads stops drawing)."""

    served: Served
    control_token: str
    osc_port: int
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if not self.served.terminal._read(0.05):
                    time.sleep(0.05)

    def mark(self) -> int:
        """Where the moderator's screen has drawn up to now (for `screen_until(since=)`)."""
        return len(self.served.terminal.text())

    def screen_until(self, text: str, timeout: float = 10.0, *, since: int = 0) -> None:
        """Wait until `text` has been drawn on the moderator's screen (after `since`, a `mark()`)."""
        deadline = time.monotonic() + timeout
        while text not in self.served.terminal.text()[since:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on the moderator's screen:\n{self.served.terminal.text()[-1500:]}")
            time.sleep(0.05)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)

    @property
    def base(self) -> str:
        return self.served.base

    def request(self, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        """One HTTP request to the served session; (status, JSON body)."""
        return request(self.base, path, **kwargs)

    def status(self) -> dict[str, Any]:
        code, state = self.request("/api/v1/status", token=self.control_token)
        assert code == 200, state
        return state


def request(
    base: str,
    path: str,
    *,
    method: str = "GET",
    token: str | None = None,
    bearer: str | None = None,
    body: bytes | None = None,
    content_type: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """One HTTP request; (status, JSON body)."""
    url = base + path
    if token is not None:
        url += ("&" if "?" in url else "?") + f"token={token}"
    sent = urllib.request.Request(url, data=body, method=method)
    if bearer is not None:
        sent.add_header("Authorization", f"Bearer {bearer}")
    if content_type is not None:
        sent.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(sent, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
