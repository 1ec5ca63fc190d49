"""Every format, on the scripted journals: golden files, and the figures read back out of them.

After a deliberate change to the output, regenerate the golden files with

    RUNOFSHOW_UPDATE_GOLDEN=1 .venv/bin/pytest tests/report

and read the diff before committing it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pendulum
import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import LIVE, REHEARSAL
from runofshow.report import CSV_FIELDS, SEGMENT_FIELDS, TEXT_FORMATS, render
from runofshow.report.model import load
from tests.kit.journals import LIVE_RUN_S, Driver, seed_agenda

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RUNOFSHOW_UPDATE_GOLDEN") == "1"
SUFFIX = {"table": "txt", "markdown": "md", "csv": "csv", "json": "json", "html": "html"}


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {name}; run with RUNOFSHOW_UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


CASES = [
    ("live", ["live.jsonl"], ["table", "markdown", "csv", "json", "html"]),
    ("rehearsal", ["rehearsal.jsonl"], ["table", "json"]),
    ("crashed", ["crashed.jsonl"], ["table", "json"]),
    ("compare", ["rehearsal.jsonl", "live.jsonl"], ["table", "markdown", "csv", "json", "html"]),
]


@pytest.mark.parametrize(
    ("name", "files", "fmt"),
    [(name, files, fmt) for name, files, formats in CASES for fmt in formats],
)
def test_golden(in_journals: Path, name: str, files: list[str], fmt: str) -> None:
    check_golden(f"{name}.{SUFFIX[fmt]}", render([load(f) for f in files], fmt))


# ---------------------------------------------------------------------------
# The figures, format by format


def test_table_says_the_figures(in_journals: Path) -> None:
    text = render([load("live.jsonl")], "table")
    row = next(line for line in text.splitlines() if line.lstrip().startswith("4 "))
    cells = row.split()
    at = cells.index("18:11–18:21")
    # Against the plan (+3:00) and against the plan plus the minute given (+2:00); the pause splits the run.
    assert cells[at : at + 8] == [
        "18:11–18:21",
        "10:00",
        "18:11:30–18:17:30",
        "13:00",
        "+3:00",
        "+2:00",
        "paused",
        "2:00",
    ]
    assert "18:19:30–18:26:30" in text.splitlines()[text.splitlines().index(row) + 1]
    assert "Planned 1:30:00 (18:00–19:30); actual 1:32:30 (18:01:00–19:33:30)." in text
    assert "Started at 18:01:00, 1:00 late; ended at 19:33:30, 3:30 late (planned end 19:30)." in text
    assert "Largest overruns: 4 Network of local governments promoting SSE +3:00; 7 Fab City" in text
    assert (
        "Fixed segments ran 3:30 over, net (6:30 over, 3:00 under); flexible segments (~) ran 3:00 shorter, net"
        " (#8 -2:00, #9 -1:00); with the start 1:00 late and 2:00 paused, the show ended 3:30 late."
    ) in " ".join(text.split())
    assert "Paused 2:00 (1 pause); extended 1:00 (1 change); skipped: #6." in text
    assert "Timeline (KST)" in text


def test_table_labels_a_rehearsal_and_an_open_segment(in_journals: Path) -> None:
    rehearsal = render([load("rehearsal.jsonl")], "table")
    assert rehearsal.splitlines()[0].endswith("— REHEARSAL")
    assert "Rehearsal: the planned times count from its start at 14:03:10." in rehearsal
    crashed = render([load("crashed.jsonl")], "table")
    assert "Not ended: the journal stops at 18:20:20" in crashed
    row = next(line for line in crashed.splitlines() if line.lstrip().startswith("4 "))
    assert "18:11:20–…" in row and "9:00" in row and "open" in row


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_and_json_read_back_to_the_same_numbers(in_journals: Path) -> None:
    report = load("live.jsonl")
    rows = _csv(render([report], "csv"))
    data = json.loads(render([report], "json"))
    assert list(rows[0]) == list(CSV_FIELDS)
    assert {(r["journal"], r["mode"]) for r in rows} == {("live.jsonl", "live")}
    assert [set(s) for s in data["segments"]] == [set(SEGMENT_FIELDS)] * 10
    for row, record, segment in zip(rows, data["segments"], report.segments):
        assert int(row["number"]) == record["number"] == segment.number
        for key, value in (
            ("planned_duration_s", segment.planned_s),
            ("actual_duration_s", segment.actual_s),
            ("delta_s", segment.delta_s),
            ("paused_s", segment.paused_s),
            ("extended_s", segment.extended_s),
        ):
            assert float(row[key]) == record[key] == value, key
        for key, instant in (
            ("planned_start", segment.planned_start),
            ("planned_end", segment.planned_end),
            ("actual_start", segment.actual_start),
            ("actual_end", segment.actual_end),
        ):
            assert pendulum.parse(row[key]) == pendulum.parse(record[key]) == instant, key
        assert row["skipped"] == ("true" if segment.skipped else "false")
        assert record["skipped"] is segment.skipped
    assert {r["number"]: r["actual_duration_s"] for r in data["segments"]} == LIVE_RUN_S
    session = data["session"]
    assert (session["planned_duration_s"], session["actual_duration_s"]) == (5400, 5550)
    assert (session["start_offset_s"], session["end_offset_s"]) == (60, 210)
    assert session["planned_end"] == "2021-10-08T19:30:00+09:00"
    assert session["actual_end"] == "2021-10-08T19:33:30+09:00"
    assert [o["number"] for o in session["largest_overruns"]] == [4, 7, 1]
    assert (session["overrun_s"], session["fixed_delta_s"], session["flexible_delta_s"]) == (390, 210, -180)
    parts = ("start_offset_s", "fixed_delta_s", "flexible_delta_s", "paused_s", "not_run_s", "rest_offset_s")
    assert sum(session[key] for key in parts) == session["end_offset_s"]


def test_json_of_an_open_segment_has_no_end(in_journals: Path) -> None:
    data = json.loads(render([load("crashed.jsonl")], "json"))
    four = data["segments"][3]
    assert four["status"] == "open" and four["actual_end"] is None and four["actual_duration_s"] == 540
    six = data["segments"][5]
    assert six["status"] == "not_run"
    assert six["actual_start"] is six["actual_end"] is six["actual_duration_s"] is six["delta_s"] is None
    assert data["session"]["state"] == "interrupted" and data["session"]["open_segment"] == 4
    assert data["session"]["actual_end"] is None


def test_tz_shows_times_in_another_zone(in_journals: Path) -> None:
    report = load("live.jsonl")
    data = json.loads(render([report], "json", "America/Santiago"))
    assert data["session"]["timezone"] == "America/Santiago"
    assert data["segments"][0]["actual_start"] == "2021-10-08T06:01:00-03:00"
    text = render([report], "table", "UTC")
    assert "Fri 8 Oct 2021 · times in UTC (UTC)" in text
    assert "09:01:00–09:02:30" in text
    assert "Timeline (UTC)" in text


def test_compare_csv_and_json(in_journals: Path) -> None:
    reports = [load("rehearsal.jsonl"), load("live.jsonl")]
    rows = _csv(render(reports, "csv"))
    assert len(rows) == 20
    assert [(r["journal"], r["mode"]) for r in rows[::10]] == [("rehearsal.jsonl", "rehearsal"), ("live.jsonl", "live")]
    live = {int(r["number"]): float(r["actual_duration_s"]) for r in rows if r["journal"] == "live.jsonl"}
    assert live == LIVE_RUN_S
    data = json.loads(render(reports, "json"))
    assert [s["session"]["mode"] for s in data["sessions"]] == ["rehearsal", "live"]
    four = data["comparison"]["segments"][3]
    assert four["actual_duration_s"] == [660, 780] and four["delta_s"] == [60, 180]
    talk = next(k for k in data["comparison"]["kinds"] if k["kind"] == "talk")
    assert talk["average_delta_s"] == [10, 110] and talk["segments"] == [4, 3]


class _Balance(HTMLParser):
    VOID = {"meta", "br", "wbr", "img", "hr", "input", "link", "rect", "line"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_one_self_contained_page(in_journals: Path) -> None:
    page = render([load("live.jsonl")], "html")
    parser = _Balance()
    parser.feed(page)
    assert parser.stack == []
    text = " ".join(parser.text)
    assert "Network of local governments promoting SSE" in text and "+3:00" in text
    assert (
        "Fixed segments ran 3:30 over, net (6:30 over, 3:00 under); flexible segments (~) ran 3:00 shorter, net"
        " (#8 -2:00, #9 -1:00); with the start 1:00 late and 2:00 paused, the show ended 3:30 late."
    ) in " ".join(text.split())
    assert page.count("<svg") == 1 and page.count("<rect") > 20
    assert re.findall(r"(?:src|href)=", page) == []
    assert re.findall(r"https?://", page) == ["http://"]  # the SVG namespace only


def test_svg_is_a_self_contained_picture_with_the_figures(in_journals: Path) -> None:
    picture = render([load("live.jsonl")], "svg")
    root = ET.fromstring(picture)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "@font-face" not in picture and "url(http" not in picture
    lines: dict[str, str] = {}
    for node in root.iter("{http://www.w3.org/2000/svg}text"):
        clip = node.get("clip-path") or ""
        lines[clip] = lines.get(clip, "") + (node.text or "")
    text = "\n".join(lines.values()).replace("\xa0", " ")
    assert "Planned 1:30:00 (18:00–19:30); actual 1:32:30 (18:01:00–19:33:30)." in text
    assert "18:11:30–18:17:30" in text and "18:19:30–18:26:30" in text and "+3:00" in text
    assert "█" in text and "Timeline (KST)" in text


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_every_format_labels_a_rehearsal(in_journals: Path, fmt: str) -> None:
    text = render([load("rehearsal.jsonl")], fmt)
    assert "rehearsal" in text.lower()


# ---------------------------------------------------------------------------
# Text from the agenda is shown as written, whatever it contains


TRICKY = """
[session]
title = "Panel <b>one</b> | two"
date = "2021-10-08"
timezone = "Asia/Seoul"

[[segments]]
start = "18:00"
duration = "10m"
title = "Red \\u001b[31malert\\u001b[0m *now* `x` & [link](http://e.invalid)"
speaker = "Kim [SSEGOV]"
kind = "talk"
"""


@pytest.fixture
def tricky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    agenda = parse_agenda(TRICKY, "tricky.toml")
    show = Driver(tmp_path / "tricky.jsonl", FakeClock("2021-10-08T09:00:00Z"), agenda, LIVE)
    show.do("start")
    show.run(600)
    show.do("end")
    show.controller.close()
    return "tricky.jsonl"


def test_agenda_text_is_literal_in_every_format(tricky: str) -> None:
    report = load(tricky)
    table = render([report], "table")
    assert "Kim [SSEGOV]" in table
    assert "\x1b" not in table and "\\x1b[31malert\\x1b[0m" in table
    markdown = render([report], "markdown")
    assert "Kim \\[SSEGOV\\]" in markdown
    assert "\\*now\\* \\`x\\` & \\[link\\](http://e.invalid)" in markdown
    assert "Panel \\<b\\>one\\</b\\> \\| two" in markdown
    page = render([report], "html")
    assert "Panel &lt;b&gt;one&lt;/b&gt; | two" in page and "<b>" not in page
    assert "Kim [SSEGOV]" in page
    data = json.loads(render([report], "json"))
    assert data["segments"][0]["title"].startswith("Red \x1b[31malert")  # data stays data
    assert data["segments"][0]["speaker"] == "Kim [SSEGOV]"
    row = _csv(render([report], "csv"))[0]
    assert row["speaker"] == "Kim [SSEGOV]" and row["actual_duration_s"] == "600"
    picture = render([report], "svg")
    ET.fromstring(picture)  # still well-formed
    assert "\x1b" not in picture


def test_identity_is_fixed_for_golden_files(in_journals: Path) -> None:
    """Guard the golden files: the journals carry the patched id, user and host, not this machine's."""
    session = json.loads(render([load("live.jsonl")], "json"))["session"]
    assert session["owner"] == "dara@laptop"
    assert session["session_id"] == f"{0x5E551011:032x}"


def test_parts_end_where_the_segment_starts_and_ends(tmp_path: Path) -> None:
    """Fractional seconds: each segment's parts begin at its actual_start and end at its actual_end, to the µs."""
    path = tmp_path / "fractional.jsonl"
    clock = FakeClock("2021-10-07T05:00:00.123457Z", mono=1234.567891)
    show = Driver(path, clock, seed_agenda(), REHEARSAL)
    show.do("start")
    for step in (600.5221, 299.3333, 61.7, 0.000001, 1234.5678901):
        clock.advance(step)
        show.controller.poll()
        show.do("pause")
        clock.advance(step / 7)
        show.do("resume")
        clock.advance(step / 3)
        show.do("next")
    clock.advance(17.0101)
    show.do("end")
    show.controller.close()
    data = json.loads(render([load(path)], "json"))
    ran = [s for s in data["segments"] if s["parts"]]
    assert len(ran) == 6
    for record in ran:
        assert record["parts"][0][0] == record["actual_start"], record["number"]
        assert record["parts"][-1][1] == record["actual_end"], record["number"]
