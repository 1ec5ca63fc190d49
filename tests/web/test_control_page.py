"""The control link's buttons, the stage page as an overlay, its "got it", and framing: in headless Chromium.

One `run --serve` and one browser for the whole module (each costs seconds to
start): the tests run in order, each on the session as the one before left it.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

try:
    from selenium.webdriver.common.by import By
except ImportError:  # pragma: no cover - depends on the machine
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("selenium is not installed (pip install -e '.[test]')", allow_module_level=True)

from tests.kit.control import Live
from tests.kit.web import ARTIFACTS, Served, launch_chromium, requested_urls, serve_session, transparent_share, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.network, pytest.mark.pty, pytest.mark.slow]

#: Three 5-minute segments, the last one flexible, and the agenda's own preset.
AGENDA = """\
messages = ["Slides, please"]

[session]
title = "Control test"
date = "2021-10-08"
timezone = "Asia/Seoul"

[[segments]]
start = "18:00"
duration = "5m"
title = "Opening"
speaker = "Kim"

[[segments]]
duration = "5m"
title = "Second part"
speaker = "Ana"

[[segments]]
duration = "5m"
title = "Discussion"
kind = "discussion"
flexible = true
"""


class _Frames(http.server.BaseHTTPRequestHandler):
    """A page from another site that puts the stage page in a frame, as a dashboard or an overlay tool does."""

    target = ""

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        body = f'<!doctype html><iframe id="frame" src="{self.target}" width="800" height="450"></iframe>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def frames() -> Iterator[socketserver.TCPServer]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Frames)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, frames: socketserver.TCPServer) -> Iterator[Served]:
    allowed = f"http://127.0.0.1:{frames.server_address[1]}"
    served = serve_session(tmp_path_factory.mktemp("control"), AGENDA, extra=("--allow-embed", allowed))
    _Frames.target = served.stage_link
    drain = Live(served, served.control_token, 0)  # a moderator's screen that nobody reads stops taking commands
    yield served
    drain.close()
    served.stop()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chrome = launch_chromium(tmp_path_factory.mktemp("profile"), 390, 844)
    yield chrome
    chrome.quit()


def size(driver: Any, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def open_page(driver: Any, url: str) -> None:
    driver.get("about:blank")  # a new fragment alone would not load the page again
    driver.get(url)
    wait_for(lambda: "waiting" not in str(driver.find_element(By.TAG_NAME, "body").get_attribute("class")))


def style(driver: Any, element: str, prop: str) -> str:
    script = "return getComputedStyle(document.getElementById(arguments[0]))[arguments[1]]"
    return str(driver.execute_script(script, element, prop))


def status(session: Served) -> dict[str, Any]:
    code, reply = session.api("status")
    assert code == 200, reply
    return reply


def click(driver: Any, element: str) -> str:
    """Click a control button; what the page then says it did."""
    before = driver.execute_script("return window.runofshowSaid && window.runofshowSaid.n")
    driver.find_element(By.ID, element).click()
    said = wait_for(
        lambda: (
            (now := driver.execute_script("return window.runofshowSaid"))
            and now["n"] != before
            and not now["text"].endswith("…")
            and now
        )
    )
    return str(said["text"])


def test_overlay_options_change_what_the_stage_shows(session: Served, driver: Any) -> None:
    size(driver, 1280, 800)
    open_page(driver, session.stage_link)
    assert transparent_share(driver) == 0  # a page of its own: every pixel painted
    assert style(driver, "chime", "display") != "none" and style(driver, "clock-box", "display") != "none"
    assert driver.find_element(By.ID, "clock-zone").text  # the viewer's clock says whose time it is

    open_page(driver, f"{session.base}/stage?transparent&buttons=0&clock=0#{session.stage_token}")
    assert (
        driver.execute_script("return getComputedStyle(document.documentElement).backgroundColor") == "rgba(0, 0, 0, 0)"
    )
    assert transparent_share(driver) > 0.5  # what OBS composites: the video shows through
    assert style(driver, "chime", "display") == "none" and style(driver, "fullscreen", "display") == "none"
    assert style(driver, "clock-box", "display") == "none"
    assert driver.find_element(By.ID, "count").text  # the countdown is still there
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "overlay-1280x800.png"))

    # Options after the key in the fragment, too; the key never goes out with a request but the stream's.
    open_page(driver, f"{session.base}/stage#{session.stage_token}&hours=12&tz=America/New_York")
    assert re.fullmatch(r"\d\d:\d\d [AP]M", driver.find_element(By.ID, "clock").text)
    assert "America/New_York" in driver.find_element(By.ID, "clock-zone").text
    open_page(driver, f"{session.base}/stage?hours=24&zone=0#{session.stage_token}")
    assert re.fullmatch(r"\d\d:\d\d", driver.find_element(By.ID, "clock").text)
    assert style(driver, "clock-zone", "display") == "none"
    leaked = [url for url in requested_urls(driver) if session.stage_token in url and "/view?" not in url]
    assert not leaked, leaked


def test_embedding_only_for_the_named_origins(session: Served, driver: Any, frames: socketserver.TCPServer) -> None:
    with urllib.request.urlopen(f"{session.base}/stage", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
        assert f"frame-ancestors http://127.0.0.1:{frames.server_address[1]};" in policy
        assert response.headers["X-Frame-Options"] is None  # it cannot name a site: frame-ancestors says it
    size(driver, 1280, 800)
    port = frames.server_address[1]
    driver.get(f"http://127.0.0.1:{port}/")
    driver.switch_to.frame(driver.find_element(By.ID, "frame"))
    assert wait_for(lambda: driver.find_elements(By.ID, "count") and driver.find_element(By.ID, "count").text)
    driver.switch_to.default_content()
    driver.get(f"http://localhost:{port}/")  # the same page from a site not named: refused
    driver.switch_to.frame(driver.find_element(By.ID, "frame"))
    time.sleep(0.5)  # a refused frame never loads: nothing to wait on but a moment
    assert not driver.find_elements(By.ID, "count")
    driver.switch_to.default_content()
    bad = subprocess.run(
        [sys.executable, "-m", "runofshow", "serve", str(session.journal), "--listen", "0", "--allow-embed", "*.tv"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "scheme://host[:port]" in bad.stderr, bad.stderr


def test_control_buttons_run_the_show_on_a_phone(session: Served, driver: Any) -> None:
    size(driver, 390, 844)
    open_page(driver, session.cohost_link)
    assert not driver.find_element(By.ID, "control").is_displayed()  # the co-host link only watches
    open_page(driver, session.control_link)
    wait_for(lambda: driver.find_element(By.ID, "control").is_displayed())
    assert not driver.find_element(By.ID, "c-adopt").is_displayed()  # not a flexible segment
    assert driver.find_element(By.ID, "c-toggle").text.endswith("start")
    assert click(driver, "c-toggle").startswith("start ✓ now 1 · Opening")
    assert status(session)["started"] is True
    wait_for(lambda: driver.find_element(By.ID, "c-toggle").text.endswith("pause"))  # it says what it will do
    assert click(driver, "c-next") == "next ✓ now 2 · Second part"
    assert status(session)["segment"] == 2
    allotted = status(session)["allotted_s"]
    assert click(driver, "c-more") == "extend +1 min ✓ now 2 · Second part"
    assert status(session)["allotted_s"] == allotted + 60
    assert click(driver, "c-previous") == "previous ✓ now 1 · Opening"
    driver.find_element(By.ID, "c-goto").send_keys("3")
    assert click(driver, "c-goto-send") == "goto 3 ✓ now 3 · Discussion"
    # A preset, pinned: the agenda's own is among them.
    presets = [option.text for option in driver.find_elements(By.CSS_SELECTOR, "#c-presets option")]
    assert "Please wrap up" in presets and "Slides, please" in presets
    driver.find_element(By.CSS_SELECTOR, "#c-presets option[value='Slides, please']").click()
    assert driver.find_element(By.ID, "c-text").get_attribute("value") == "Slides, please"
    driver.find_element(By.ID, "c-pinned").click()
    assert click(driver, "c-send").startswith("message ✓")
    state = status(session)
    assert state["message"] == "Slides, please" and state["message_pinned"] is True
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "control-390x844.png"))
    assert click(driver, "c-clear").startswith("clear-message ✓")
    assert status(session)["message"] is None
    name = driver.find_element(By.ID, "c-name")
    name.send_keys("Ana\t")  # kept by the browser, and sent as the sender's name
    assert click(driver, "c-toggle").startswith("pause ✓")
    assert status(session)["paused"] is True
    last = json.loads(session.journal.read_text().splitlines()[-1])
    assert last["actor"] == "cohost:Ana", last  # the journal says who did it, and from the co-host page
    assert driver.find_element(By.ID, "c-toggle").size["height"] >= 44  # a finger's width


def test_a_stale_click_answers_with_the_409_line(session: Served, driver: Any) -> None:
    size(driver, 1280, 800)
    open_page(driver, session.control_link)
    wait_for(lambda: driver.find_element(By.ID, "control").is_displayed())
    # The page stops hearing of changes, as when another co-host's click got there first.
    driver.execute_script(
        "document.addEventListener('runofshow:view', (e) => e.stopImmediatePropagation(), {capture: true})"
    )
    before = status(session)
    assert session.api("previous")[0] == 200  # someone else moved the show
    said = click(driver, "c-previous")
    assert said.startswith("previous: ") and "✓" not in said and "\n" not in said
    after = status(session)
    assert after["segment"] == before["segment"] - 1  # one step back, not two
    assert driver.execute_script("return window.runofshowSaid.ok") is False
    driver.save_screenshot(str(ARTIFACTS / "control-409-1280x800.png"))


def test_the_speaker_answers_got_it_and_the_page_shows_it_seen(session: Served, driver: Any) -> None:
    size(driver, 390, 844)
    open_page(driver, session.stage_link)
    assert not driver.find_element(By.ID, "got-it").is_displayed()  # no message, no button
    code, reply = session.api("message", text="Eric, please wrap up")
    assert code == 200, reply
    wait_for(lambda: driver.find_element(By.ID, "got-it").is_displayed())
    driver.save_screenshot(str(ARTIFACTS / "got-it-390x844.png"))
    driver.find_element(By.ID, "got-it").click()
    wait_for(lambda: driver.find_element(By.ID, "seen").is_displayed())
    assert not driver.find_element(By.ID, "got-it").is_displayed()
    assert status(session)["message_seen"] is True
    driver.save_screenshot(str(ARTIFACTS / "seen-390x844.png"))
    open_page(driver, session.cohost_link)  # the co-hosts see it beside the message
    assert wait_for(lambda: driver.find_element(By.ID, "message-marks").text) == "✓ seen"
    # The stage link may say that and nothing else.
    assert session.api("next", token=session.stage_token)[0] == 403
