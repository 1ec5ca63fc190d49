"""The pages in real headless Chromium against a real `run --serve`: what a speaker and a co-host see."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

try:
    from selenium.webdriver.common.by import By
except ImportError:  # pragma: no cover - depends on the machine
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("selenium is not installed (pip install -e '.[test]')", allow_module_level=True)
from runofshow.agenda_file import load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.decide import COMMANDS
from runofshow.session.bus import Delivery
from runofshow.session.controller import Controller
from runofshow.sync import snapshots, web
from runofshow.sync.server import JournalServer, bind
from tests.kit.follow import make_certificate
from tests.kit.journals import REPO, SEED_NAME
from tests.kit.web import AGENDA, ARTIFACTS, Served, countdown_of, requested_urls, seconds_of, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.network]

YELLOW, ORANGE, RED, GREEN = "rgb(255, 215, 0)", "rgb(255, 135, 0)", "rgb(255, 45, 45)", "rgb(95, 215, 135)"


def text(driver: Any, element: str) -> str:
    return str(driver.find_element(By.ID, element).text)


def shown(driver: Any) -> str:
    """The big number, once the first snapshot has come."""
    return str(wait_for(lambda: "waiting" not in body_classes(driver) and text(driver, "count")))


def body_classes(driver: Any) -> list[str]:
    return str(driver.find_element(By.TAG_NAME, "body").get_attribute("class")).split()


def colour(driver: Any) -> str:
    return str(driver.execute_script("return getComputedStyle(document.getElementById('count')).color"))


def agrees_with_controller(driver: Any, session: Served) -> None:
    """The page's m:ss is the controller's, within a second, whatever `status` takes to answer.

    The page is read before and after asking the controller, so the
    controller's figure must lie between the two readings (±1 s).
    """
    before = seconds_of(shown(driver))
    controller = seconds_of(countdown_of(session.status()))
    after = seconds_of(shown(driver))
    assert after - 1 <= controller <= before + 1, (before, controller, after)


def open_page(driver: Any, url: str) -> None:
    driver.get(url)
    wait_for(lambda: "waiting" not in body_classes(driver))


def test_stage_page_shows_the_controllers_countdown_speaker_and_title(
    served: Callable[..., Served], browser: Callable[..., Any]
) -> None:
    session = served()
    session.press(b" ")
    session.wait_seq(1)
    driver = browser(1280, 720)
    open_page(driver, session.stage_link)
    for _ in range(3):
        agrees_with_controller(driver, session)
        time.sleep(0.4)
    # Markup-looking text is shown as written and never run.
    assert text(driver, "title") == "<img src=x onerror=window.pwned=2> Opening"
    assert text(driver, "speaker") == "Kim <b>[SSEGOV]</b>"
    assert driver.execute_script("return window.pwned === undefined")
    assert not driver.find_elements(By.CSS_SELECTOR, "#title *, #speaker *, img")
    # The stage page has no notes, no agenda and no owner anywhere.
    source = driver.page_source
    assert "SECRET" not in source and "another secret" not in source and "Second part" not in source
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "stage-1280x720.png"))


def test_a_wrong_key_is_told_on_the_page_with_no_script_error(
    served: Callable[..., Served], browser: Callable[..., Any]
) -> None:
    session = served()
    session.press(b" ")
    session.wait_seq(1)
    driver = browser(1280, 720)
    driver.get(f"{session.base}/#{session.stage_token}")  # the speaker's link, with the stage's path lost
    wait_for(lambda: "refused" in body_classes(driver))
    assert text(driver, "refused").startswith("This link is for the stage view.")
    assert "undefined" not in driver.find_element(By.TAG_NAME, "body").text
    time.sleep(1.0)
    opened = [url for url in requested_urls(driver) if "/view?" in url]
    assert len(opened) == 1, opened  # told once, never knocking again
    driver.find_element(By.CSS_SELECTOR, "#refused a").click()
    wait_for(lambda: driver.current_url == session.stage_link)
    shown(driver)  # the stage view, as the link meant
    agrees_with_controller(driver, session)
    for wrong in (f"{session.base}/#not-the-key", f"{session.base}/stage#not-the-key"):
        driver.get(wrong)
        wait_for(lambda: "refused" in body_classes(driver))
        assert text(driver, "refused").startswith("This link is no longer valid")
        assert not driver.find_elements(By.CSS_SELECTOR, "#refused a")
    driver.get(f"{session.base}/stage#{session.cohost_token}")  # a co-host's key on the stage page: the stage's view
    shown(driver)
    assert "SECRET" not in driver.page_source
    problems = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert all("favicon.ico" in entry["message"] for entry in problems), problems


def test_a_page_with_a_wrong_clock_shows_the_servers_time(
    served: Callable[..., Served], browser: Callable[..., Any]
) -> None:
    """The viewer's machine is an hour and a bit off: the pings find the offset, and the number is still right."""
    session = served()
    session.press(b" ")
    session.wait_seq(1)
    driver = browser(390, 844)
    skew_ms = -3_723_456.0
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {
            "source": "const real = performance.timeOrigin;"
            f"Object.defineProperty(performance, 'timeOrigin', {{get: () => real + ({skew_ms})}});"
        },
    )
    open_page(driver, session.stage_link)
    clock = wait_for(lambda: driver.execute_script("return window.runofshowClock"))
    # The midpoint of the quickest ping is off by at most half its round trip.
    assert abs(clock["offsetMs"] + skew_ms) <= clock["rttMs"] / 2 + 2, clock
    for _ in range(2):
        agrees_with_controller(driver, session)
        time.sleep(0.5)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "stage-390x844.png"))


@pytest.mark.parametrize(
    ("locale", "zone", "pattern", "short"),
    [
        ("en-US", "America/New_York", r"\d\d:\d\d [AP]M", ("EST", "EDT")),
        ("de-DE", "Asia/Seoul", r"\d\d:\d\d", ("GMT+9",)),
    ],
)
def test_the_clock_says_whose_time_it_is(
    served: Callable[..., Served],
    browser: Callable[..., Any],
    locale: str,
    zone: str,
    pattern: str,
    short: tuple[str, ...],
) -> None:
    """The stage's clock is the viewer's: labelled with the viewer's zone, 12 or 24 h as the viewer's locale has it."""
    session = served()
    driver = browser(1280, 720)
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": zone})
    driver.execute_cdp_cmd("Emulation.setLocaleOverride", {"locale": locale})
    open_page(driver, session.stage_link)
    shown_time = wait_for(lambda: text(driver, "clock"))
    assert re.fullmatch(pattern, shown_time), shown_time
    label = text(driver, "clock-zone")
    assert zone in label and any(name in label for name in short), label
    # The time is the server's, in the viewer's zone (within the minute it may have turned).
    here = [dt.datetime.now(ZoneInfo(zone)) + dt.timedelta(minutes=m) for m in (-1, 0, 1)]
    hours = [f"{t:%I:%M %p}" if "M" in shown_time else f"{t:%H:%M}" for t in here]
    assert shown_time in hours, (shown_time, hours)
    assert "the time here" in str(driver.find_element(By.ID, "clock-zone").get_attribute("title"))
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"stage-1280x720-clock-{locale}.png"))


def test_the_projector_size(served: Callable[..., Served], browser: Callable[..., Any]) -> None:
    """At 1920×1080 the digits fill the screen and nothing spills over."""
    session = served()
    session.press(b" ")
    session.wait_seq(1)
    driver = browser(1920, 1080)
    open_page(driver, session.stage_link)
    shown(driver)
    box = driver.execute_script(
        "const r = document.getElementById('count').getBoundingClientRect();"
        "return [r.width, r.height, document.documentElement.scrollWidth, document.documentElement.scrollHeight];"
    )
    width, height, scroll_width, scroll_height = box
    assert width >= 0.6 * 1920 and height >= 0.4 * 1080, box
    assert scroll_width <= 1920 and scroll_height <= 1080, box
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "stage-1920x1080.png"))


def test_colour_changes_at_wrap_up_final_and_overtime(
    served: Callable[..., Served], browser: Callable[..., Any]
) -> None:
    session = served()
    driver = browser(1280, 720)
    calm = browser(1280, 720, reduced_motion=True)
    open_page(driver, session.stage_link)
    open_page(calm, session.stage_link)
    # Count the chime's tones: one when it is turned on, then 1, 2 and 3 at wrap-up, final and time's up.
    driver.execute_script(
        "window.__tones = 0; const make = AudioContext.prototype.createOscillator;"
        "AudioContext.prototype.createOscillator = function () { window.__tones++; return make.call(this); };"
    )
    assert driver.execute_script("return window.__tones") == 0
    driver.find_element(By.ID, "chime").click()
    assert text(driver, "chime") == "chime on" and driver.execute_script("return window.__tones") == 1
    session.press(b" ")
    wait_for(lambda: colour(driver) == GREEN)
    wait_for(lambda: colour(driver) == YELLOW and "alert-wrap_up" in body_classes(driver), timeout=12)
    assert 6 <= seconds_of(text(driver, "count")) <= 12, text(driver, "count")
    wait_for(lambda: colour(driver) == ORANGE and "alert-final" in body_classes(driver), timeout=8)
    assert 0 <= seconds_of(text(driver, "count")) <= 6, text(driver, "count")
    wait_for(lambda: "alert-overtime" in body_classes(driver) and text(driver, "count").startswith("+"), timeout=9)
    assert wait_for(lambda: driver.execute_script("return window.__tones") == 7, timeout=3)
    # Blinking in overtime; steady white on red for a viewer who asked for less motion.
    assert driver.execute_script("return getComputedStyle(document.getElementById('count')).animationName") == "blink"
    wait_for(lambda: "alert-overtime" in body_classes(calm))
    style = calm.execute_script(
        "const s = getComputedStyle(document.getElementById('count')); return [s.animationName, s.backgroundColor];"
    )
    assert style == ["none", RED]
    ARTIFACTS.mkdir(exist_ok=True)
    driver.set_window_size(390, 844)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    )
    time.sleep(0.3)  # a layout after the resize, for the picture only
    driver.save_screenshot(str(ARTIFACTS / "stage-390x844-overtime.png"))
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 390


def test_cohost_page_shows_the_agenda_notes_and_schedule(
    served: Callable[..., Served], browser: Callable[..., Any]
) -> None:
    session = served()
    session.press(b" ")
    session.wait_seq(1)
    driver = browser(1440, 900)
    open_page(driver, session.cohost_link)
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#rows tr")) == 2)
    rows = driver.find_elements(By.CSS_SELECTOR, "#rows tr")
    assert "row-current" in str(rows[0].get_attribute("class"))
    assert "<img src=x onerror=window.pwned=2> Opening" in rows[0].text
    assert "Second part" in rows[1].text
    starts = [row.find_elements(By.TAG_NAME, "td")[4].text for row in rows]
    assert ":" in starts[0] and starts[1].startswith("~")  # started; ahead, so expected (the snapshot's `start`)
    assert text(driver, "notes") == "SECRET NOTE for co-hosts only"
    assert text(driver, "offset") == "on time"
    assert text(driver, "session") == "<script>window.pwned=1</script> Web & <b>test</b>"
    assert driver.execute_script("return window.pwned === undefined")
    assert "Next: Second part — Ana (0:20)" == text(driver, "next")
    agrees_with_controller(driver, session)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "cohost-1440x900.png"))


#: Every visible cell of the co-host agenda: its text, whether a word of it is broken across lines or runs past
#: the cell or the screen, and how wide the page is. A word is measured by a Range over its letters.
MEASURE_CELLS = """
const width = window.innerWidth;
const cells = [];
for (const cell of document.querySelectorAll('#agenda th, #agenda td')) {
  if (cell.offsetParent === null) continue;
  const box = cell.getBoundingClientRect();
  const broken = [], cut = [];
  for (const node of cell.childNodes) {
    if (node.nodeType !== Node.TEXT_NODE) continue;
    for (const word of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (lines.size > 1) broken.push(word[0]);
      const r = range.getBoundingClientRect();
      if (r.right > Math.min(box.right, width) + 0.5 || r.left < Math.max(box.left, 0) - 0.5) cut.push(word[0]);
    }
  }
  cells.push({text: cell.textContent, left: box.left, right: box.right, broken, cut});
}
const agenda = document.getElementById('agenda-box');
return {cells, width, scroll: document.documentElement.scrollWidth, agenda: [agenda.scrollWidth, agenda.clientWidth]};
"""


def test_cohost_page_on_a_phone_shows_every_column_and_whole_words(
    served: Callable[..., Served], browser: Callable[..., Any]
) -> None:
    """At 390×844 the seed's long titles read as words, and Started, Took and +/− are on the screen."""
    session = served((REPO / SEED_NAME).read_text(encoding="utf-8"))
    session.press(b" ")
    session.wait_seq(1)
    session.press(b"n")
    session.wait_seq(2)
    driver = browser(390, 844)
    open_page(driver, session.cohost_link)
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#rows tr")) == 10)
    measured = driver.execute_script(MEASURE_CELLS)
    cells = measured["cells"]
    assert not [c for c in cells if c["broken"] or c["cut"]], [c for c in cells if c["broken"] or c["cut"]]
    assert not [c for c in cells if c["left"] < 0 or c["right"] > measured["width"]]
    assert measured["scroll"] <= measured["width"], measured["scroll"]
    assert measured["agenda"][0] <= measured["agenda"][1], measured["agenda"]
    # Every figure of a row that ran is shown: what it started at, took, and its over/under.
    for row in driver.find_elements(By.CSS_SELECTOR, "#rows tr"):
        tds = row.find_elements(By.TAG_NAME, "td")
        hidden = [i for i, td in enumerate(tds) if not td.is_displayed()]
        assert hidden == ([3] if not tds[3].get_attribute("textContent") else []), row.text  # only an empty speaker
    done = driver.find_elements(By.CSS_SELECTOR, "#rows tr")[0].find_elements(By.TAG_NAME, "td")
    assert all(done[i].text for i in (0, 1, 2, 4, 5, 6)), [td.text for td in done]
    assert "Internet connection check" in driver.find_element(By.ID, "rows").text
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "cohost-390x844.png"))
    driver.execute_script("document.getElementById('agenda-box').scrollTop = 260")
    driver.save_screenshot(str(ARTIFACTS / "cohost-390x844-agenda.png"))
    # Wider: cards while the agenda's box is under 600 px (beside the countdown at 900), else the table; all whole.
    for width in (601, 700, 900, 1280):
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        )
        time.sleep(0.2)  # a layout after the resize
        measured = driver.execute_script(MEASURE_CELLS)
        assert not [c for c in measured["cells"] if c["broken"] or c["cut"]], (width, measured["cells"])
        assert measured["scroll"] <= width and measured["agenda"][0] <= measured["agenda"][1], (width, measured)
        driver.save_screenshot(str(ARTIFACTS / f"cohost-{width}x900.png"))


def test_pages_load_nothing_from_anywhere_else(served: Callable[..., Served], browser: Callable[..., Any]) -> None:
    session = served()
    driver = browser(1280, 720)
    driver.get("about:blank")
    requested_urls(driver)  # forget the browser's own start page
    for link in (session.stage_link, session.cohost_link):
        open_page(driver, link)
    urls = requested_urls(driver)
    assert any(url.startswith(f"ws://127.0.0.1:{session.port}/view?") for url in urls)
    assert {url.split("?")[0].split("#")[0] for url in urls} <= {
        f"{session.base}/",
        f"{session.base}/stage",
        f"{session.base}/app.js",
        f"{session.base}/stage.js",
        f"{session.base}/control.js",
        f"{session.base}/style.css",
        f"{session.base}/favicon.ico",
        f"ws://127.0.0.1:{session.port}/view",
    }, urls
    # The CSP held: nothing was refused, nothing went wrong in the page.
    problems = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert all("favicon.ico" in entry["message"] for entry in problems), problems


def test_reconnects_without_blanking_the_countdown(served: Callable[..., Served], browser: Callable[..., Any]) -> None:
    """The moderator's program dies and comes back: the page marks the gap, keeps counting, and catches up."""
    session = served()
    session.press(b" ")
    session.wait_seq(1)
    driver = browser(1280, 720)
    open_page(driver, session.stage_link)
    shown(driver)
    session.terminal.process.kill()
    session.terminal.process.wait()
    wait_for(lambda: "offline" in body_classes(driver), timeout=5)
    assert text(driver, "link") == "reconnecting…"
    before = seconds_of(text(driver, "count"))
    wait_for(lambda: seconds_of(text(driver, "count")) < before, timeout=3)  # still counting, from the clock
    again = served(port=session.port)
    wait_for(lambda: "offline" not in body_classes(driver), timeout=15)
    assert text(driver, "count")
    agrees_with_controller(driver, again)


def test_a_message_appears_within_a_second_and_clears(
    served: Callable[..., Served], browser: Callable[..., Any]
) -> None:
    if "message" not in COMMANDS:
        pytest.skip("the engine has no message command yet")
    session = served()
    session.press(b" ")
    session.wait_seq(1)
    driver = browser(1280, 720)
    open_page(driver, session.stage_link)
    session.press(b"t")
    session.terminal.read_until("Esc cancels")  # the prompt is drawn and its line has the focus
    session.press(b"<b>Please</b> wrap up <script>x</script>\r")
    sent = time.monotonic()
    wait_for(lambda: text(driver, "message") == "<b>Please</b> wrap up <script>x</script>", timeout=3)
    assert time.monotonic() - sent <= 1.0
    assert "flash" in str(driver.find_element(By.ID, "message").get_attribute("class"))
    session.press(b"T")
    wait_for(lambda: not driver.find_element(By.ID, "message").is_displayed(), timeout=3)


def test_cohost_page_marks_a_pinned_message_and_words_the_end_once(
    served: Callable[..., Served], browser: Callable[..., Any]
) -> None:
    session = served()
    session.press(b" ")
    session.wait_seq(1)
    driver = browser(1280, 720)
    open_page(driver, session.cohost_link)
    session.press(b"t")
    session.terminal.read_until("Esc cancels")
    session.press(b"\x14")  # ctrl+t: pinned
    session.press(b"Doors close at 19:30\r")
    wait_for(lambda: text(driver, "message") == "Doors close at 19:30", timeout=3)
    assert text(driver, "message-marks") == "pinned"
    session.press(b"e")
    session.terminal.read_until("End the session now?")
    session.press(b"y")
    wait_for(lambda: "ended" in body_classes(driver), timeout=5)
    state = session.status()
    words = wait_for(lambda: text(driver, "schedule"), timeout=3)
    assert words == text(driver, "offset") and words.startswith("ended ") and words.count("ended") == 1
    assert "(plan " in words and text(driver, "ends") == ""
    assert state["message"] is None and not driver.find_element(By.ID, "message").is_displayed()
    assert text(driver, "message-marks") == ""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "cohost-ended.png"))


def test_message_is_shown_literally_flashes_and_clears(
    tmp_path: Path, browser: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's side of messages, whatever sends them: a server in this process adds one to the stage fields."""
    message: dict[str, Any] = {"message": None, "message_at": None}
    real = snapshots.stage_snapshot
    monkeypatch.setattr(web, "stage_snapshot", lambda view: {**real(view), **message})
    with served_in_process(tmp_path) as (base, views):
        driver = browser(1280, 720)
        open_page(driver, f"{base}/stage#stage-key")
        assert not driver.find_element(By.ID, "message").is_displayed()
        message.update(message="<b>Please</b> wrap up <script>window.pwned=3</script>", message_at="t1")
        views.refresh()
        sent = time.monotonic()
        wait_for(lambda: text(driver, "message") == "<b>Please</b> wrap up <script>window.pwned=3</script>")
        assert time.monotonic() - sent <= 1.0
        box = driver.find_element(By.ID, "message")
        assert "flash" in str(box.get_attribute("class")) and not box.find_elements(By.CSS_SELECTOR, "*")
        assert driver.execute_script("return window.pwned === undefined")
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "stage-1280x720-message.png"))
        wait_for(lambda: "flash" not in str(box.get_attribute("class")), timeout=7)  # 5 s of flashing
        message.update(message=None, message_at=None)
        views.refresh()
        wait_for(lambda: not box.is_displayed(), timeout=2)


@contextlib.contextmanager
def served_in_process(folder: Path) -> Iterator[tuple[str, web.WebViews]]:
    """A controller and its server in this process, the server in a loop of its own thread."""
    agenda_path = folder / "agenda.toml"
    agenda_path.write_text(AGENDA)
    clock = SystemClock()
    journal = folder / "inproc.jsonl"
    controller = Controller.open(journal, clock, agenda=load_agenda(agenda_path), mode="rehearsal")
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    views = web.WebViews(journal, "cohost-key", "stage-key", clock)
    server = JournalServer(journal, "cohost-key", sock, clock, web=views)
    controller.bus.records.subscribe(server.take, deliver=Delivery.loop(server.loop))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
        controller.command("start")
        yield f"http://127.0.0.1:{port}", views
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        controller.close()
        sock.close()


def test_over_https_the_page_streams_over_wss(
    served: Callable[..., Served], browser: Callable[..., Any], tmp_path: Path
) -> None:
    """With --certfile/--keyfile the pages are https and their stream wss, on the same port."""
    folder = tmp_path / "tls"
    folder.mkdir()
    session = served(tls=make_certificate(folder))
    session.press(b" ")
    session.wait_seq(1)
    driver = browser(1280, 720, trust_any_certificate=True)
    driver.get("about:blank")
    requested_urls(driver)
    open_page(driver, session.stage_link)
    agrees_with_controller(driver, session)
    urls = requested_urls(driver)
    assert any(url.startswith(f"wss://127.0.0.1:{session.port}/view?") for url in urls), urls
    assert not [url for url in urls if url.startswith(("http:", "ws:"))], urls
