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
