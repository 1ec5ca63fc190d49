"""Helpers for the browser tests and the browser bench: the served session, Chromium, and what a page shows."""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.kit.pty import Pty as Terminal

#: Where screenshots go; git-ignored, kept by CI as artifacts.
ARTIFACTS = Path(__file__).resolve().parent.parent / "web" / "artifacts"

#: Two 20-second segments with early warnings, and text that looks like markup and script.
AGENDA = """\
[session]
title = "<script>window.pwned=1</script> Web & <b>test</b>"
date = "2021-10-08"
timezone = "Asia/Seoul"

[warnings]
wrap_up = "12s"
final = "6s"

[[segments]]
start = "18:00:00"
duration = "20s"
title = "<img src=x onerror=window.pwned=2> Opening"
speaker = "Kim <b>[SSEGOV]</b>"
notes = "SECRET NOTE for co-hosts only"

[[segments]]
duration = "20s"
title = "Second part"
speaker = "Ana"
notes = "another secret"
"""

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def chromium_paths() -> tuple[str, str]:
    """The browser and its driver; fail in CI, skip elsewhere, if they are missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    reason = "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver, as .ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def launch_chromium(
    profile: Path, width: int, height: int, *, reduced_motion: bool = False, trust_any_certificate: bool = False
) -> Any:
    """Headless Chromium with a fresh profile, the network log on, at `width`×`height` CSS pixels."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    if trust_any_certificate:  # a test's self-signed certificate
        options.add_argument("--ignore-certificate-errors")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    # The window size includes no browser chrome in headless mode, but make the viewport exact anyway.
    chrome.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    if reduced_motion:
        chrome.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}
        )
    return chrome


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """A moderator's `run --serve` in a pty, and what a browser needs to reach it."""

    terminal: Terminal
    journal: Path
    port: int
    folder: Path
    scheme: str = "http"

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def cohost_token(self) -> str:
        return self.journal.with_name(self.journal.name + ".token").read_text().strip()

    @property
    def stage_token(self) -> str:
        return self.journal.with_name(self.journal.name + ".stage-token").read_text().strip()

    @property
    def control_token(self) -> str:
        return self.journal.with_name(self.journal.name + ".control-token").read_text().strip()

    @property
    def control_link(self) -> str:
        return f"{self.base}/control#{self.control_token}"

    def api(self, command: str, token: str | None = None, **fields: object) -> tuple[int, dict[str, Any]]:
        """POST /api/v1/`command` as a script would (the control token unless told); the status code and the reply."""
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            f"{self.base}/api/v1/{command}",
            data=json.dumps(fields).encode(),
            method="POST" if command != "status" else "GET",
            headers={"Authorization": f"Bearer {token or self.control_token}", "Content-Type": "application/json"},
        )
        if command == "status":
            request.data = None
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status), dict(json.loads(response.read()))
        except urllib.error.HTTPError as error:
            return int(error.code), dict(json.loads(error.read()))

    @property
    def stage_link(self) -> str:
        return f"{self.base}/stage#{self.stage_token}"

    @property
    def cohost_link(self) -> str:
        return f"{self.base}/#{self.cohost_token}"

    def press(self, keys: bytes) -> None:
        self.terminal.send(keys)

    def status(self) -> dict[str, Any]:
        """The controller's state now, from `runofshow status --json` (the one derivation)."""
        out = subprocess.run(
            [sys.executable, "-m", "runofshow", "status", str(self.journal), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        return dict(json.loads(out.stdout))

    def wait_seq(self, seq: int, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the journal has `seq` records; return the status then."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.status()
            if state["seq"] >= seq:
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"the journal never reached seq {seq}: {state}")
            self.terminal._read(0.1)

    def stop(self) -> None:
        """Quit as a moderator would; kill it if that does not work."""
        try:
            if self.terminal.process.poll() is None:
                self.terminal.send(b"q")
                self.terminal.read_until("Quit runofshow?", timeout=5)
                self.terminal.send(b"y")
                self.terminal.finish()
        except (AssertionError, OSError):
            pass
        self.terminal.__exit__()


def serve_session(
    folder: Path,
    agenda: str | None = None,
    *,
    rehearsal: bool = True,
    port: int | None = None,
    tls: tuple[Path, Path] | None = None,
    extra: tuple[str, ...] = (),
) -> Served:
    """Run the moderator's program serving a journal in `folder` (resuming it if there is one) and wait for the links."""
    path = folder / "agenda.toml"
    path.write_text(agenda or AGENDA)
    journal = folder / "served.jsonl"
    port = port or free_port()
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(folder), COLUMNS="120", LINES="40")
    command = [sys.executable, "-m", "runofshow", "run", str(path), "--log", str(journal)]
    command += ["--rehearsal"] if rehearsal else []
    command += ["--serve", f"127.0.0.1:{port}"]
    if tls is not None:
        command += ["--certfile", str(tls[0]), "--keyfile", str(tls[1])]
    command += extra
    terminal = Terminal(command, env, size=(120, 40))
    try:
        terminal.read_until("Co-host link")
    except AssertionError:
        terminal.__exit__()
        raise
    return Served(terminal, journal, port, folder, "https" if tls else "http")


def countdown_of(state: dict[str, Any]) -> str:
    """m:ss of the controller's remaining time, rounded as the big number is (up when left, down when over)."""
    remaining = float(state["remaining_s"])
    if remaining > 0:
        total = math.ceil(remaining - 1e-9)
        return f"{total // 60}:{total % 60:02d}"
    total = math.floor(-remaining + 1e-9)
    return f"+{total // 60}:{total % 60:02d}"


def seconds_of(text: str) -> int:
    """ "1:05" → 65, "+0:03" → -3."""
    sign = -1 if text.startswith("+") else 1
    minutes, seconds = text.lstrip("+").split(":")
    return sign * (int(minutes) * 60 + int(seconds))


def wait_for(predicate: Any, timeout: float = 10.0, step: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; return it or fail."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {getattr(predicate, '__name__', predicate)}")
        time.sleep(step)


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser requested or opened a WebSocket to, from its performance log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
        elif message.get("method") == "Network.webSocketCreated":
            urls.append(params["url"])
    return urls


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """A PNG's width, height and rows of RGBA bytes (8-bit RGB or RGBA, not interlaced: Chromium's screenshots)."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat, width, height, kind = 8, b"", 0, 0, 6
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        name, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        at += 12 + length
        if name == b"IHDR":
            width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and kind in (2, 6) and not interlace, (depth, kind, interlace)
        elif name == b"IDAT":
            idat += body
    channels = 4 if kind == 6 else 3
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind_of_filter, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind_of_filter == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_of_filter == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_of_filter == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind_of_filter == 4:
                guess = left + up - corner
                best = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[i] = (line[i] + best[2]) & 0xFF
        previous = line
        rgba = line if channels == 4 else b"".join(bytes(line[x * 3 : x * 3 + 3]) + b"\xff" for x in range(width))
        rows.append(bytes(rgba))
    return width, height, rows


def transparent_share(driver: Any) -> float:
    """The share of a screenshot's pixels that are fully transparent, with the browser's own background see-through.

    As an OBS browser source shows a page: whatever the page does not paint lets the video through.
    """
    import base64

    driver.execute_cdp_cmd("Emulation.setDefaultBackgroundColorOverride", {"color": {"r": 0, "g": 0, "b": 0, "a": 0}})
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    width, height, rows = png_pixels(base64.b64decode(shot["data"]))
    clear = sum(row[x * 4 + 3] == 0 for row in rows[::8] for x in range(0, width, 8))
    return clear / (len(rows[::8]) * len(range(0, width, 8)))
