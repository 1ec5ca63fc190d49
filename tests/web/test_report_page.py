"""The HTML report in real headless Chromium: it fits a 1280 px window, and it prints on landscape pages whole."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runofshow.report import render
from runofshow.report.model import load
from tests.kit.journals import drive_live
from tests.kit.web import ARTIFACTS, CHROMIUM_FLAGS, chromium_paths

pytestmark = [pytest.mark.browser]

#: Every column the live run's report has, in order.
HEADERS = [
    "#",
    "Segment",
    "Speaker",
    "Planned",
    "Plan",
    "Actual",
    "Took",
    "Over/under",
    "Over/under granted",
    "Paused",
    "Extended",
    "Warnings",
    "Note",
]


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    page = folder / "live.html"
    page.write_text(render([load(drive_live(folder / "live.jsonl"))], "html"), encoding="utf-8")
    return page


def poppler(program: str) -> str:
    """A program of poppler-utils; fail in CI, skip elsewhere, if it is missing."""
    found = shutil.which(program)
    if found:
        return found
    reason = f"{program} is not installed (apt-get install poppler-utils, as .ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def test_the_report_fits_a_1280_px_window(report_page: Path, browser: Callable[..., Any]) -> None:
    """Every column on the screen, none past its edge, and titles a few lines long, not a word a line."""
    driver = browser(1280, 900)
    driver.get(report_page.as_uri())
    sizes = driver.execute_script(
        "const t = document.querySelector('table'); const r = t.getBoundingClientRect();"
        "return {table: t.scrollWidth, right: r.right, page: document.documentElement.scrollWidth,"
        " width: window.innerWidth, heads: [...t.querySelectorAll('th')].map((th) => th.textContent)};"
    )
    assert sizes["heads"] == HEADERS
    assert sizes["table"] <= sizes["width"] and sizes["right"] <= sizes["width"], sizes
    assert sizes["page"] <= sizes["width"], sizes
    # The longest title (segment 3, 95 characters) in a few lines, not eight.
    lines = driver.execute_script(
        "const td = document.querySelectorAll('tbody tr')[2].children[1]; const range = document.createRange();"
        "range.selectNodeContents(td); return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;"
    )
    assert lines <= 4, lines
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "report-1280x900.png"))


def test_the_report_prints_every_column_on_landscape_pages(report_page: Path, tmp_path: Path) -> None:
    """`chromium --headless --print-to-pdf`, as a user prints it: landscape, and the last column is there."""
    browser, _ = chromium_paths()
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--print-to-pdf={pdf}",
            report_page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    info = subprocess.run([poppler("pdfinfo"), str(pdf)], check=True, capture_output=True, text=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size:")).split()
    width, height = float(size[2]), float(size[4])
    assert width > height, info
    text = subprocess.run(
        [poppler("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    header = next(line for line in text.splitlines() if line.lstrip().startswith("#") and "Segment" in line)
    words = header.split()
    assert words[0] == "#" and words[-1] == "Note", header
    for name in ("Over/", "Paused", "Extended", "Warnings"):  # "Over/under" may break after its "/"
        assert name in words, (name, header)
    assert "skipped" in text and "Closing remarks" in text and "time's up" in text and "+2 min" in text
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "report-print.pdf")
    subprocess.run([poppler("pdftoppm"), "-png", "-r", "100", str(pdf), str(ARTIFACTS / "report-print")], check=True)
