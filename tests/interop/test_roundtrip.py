"""TOML -> csv -> TOML and TOML -> xlsx -> TOML give the same agenda, whatever the text in it."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from runofshow.commands.export import render
from runofshow.domain.agenda.ids import segment_ids
from runofshow.domain.agenda.model import EMAIL_PATTERN, Agenda, AgendaError
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.interop import ontime, toml_out
from runofshow.interop.lengths import MAX_SESSION_S
from runofshow.interop.sheet import read_sheet
from runofshow.interop.to_agenda import Options, import_sheet

ZONES = ["UTC", "Asia/Seoul", "America/Santiago", "America/Toronto", "Africa/Kampala", "Europe/Paris"]
HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://evil","click")',
    "+SUM(A1:A9)",
    "-2+3",
    "@cmd",
    "'=already guarded",
    "''=twice",
    "'plain apostrophe",
    "[bold red]markup[/]",
    "Kim [SSEGOV]",
    "_x0041_ looks escaped",
    "bell\x07 escape\x1b[31m nul\x00",
    "two\nlines",
    "carriage\rreturn",
    "tab\tinside",
    "del\x7f c1\x85",
    "10",
    "18:00",
    "Start",
    "Title",
    "- Mr. Not A Speaker / Org",
    "한국어 🎤 עברית",
    'a, b; c | d "quoted"',
]
text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12),
)
title = text.filter(lambda t: t.strip() != "")
optional = st.one_of(st.none(), text)
emails = st.emails().filter(lambda address: re.fullmatch(EMAIL_PATTERN, address) is not None)


def _length(seconds: int) -> str:
    return f"{seconds}s"


@st.composite
def agendas(draw: st.DrawFn) -> str:
    session: dict[str, Any] = {
        "title": draw(title),
        "date": draw(st.dates(dt.date(2000, 1, 1), dt.date(2035, 12, 31))).isoformat(),
        "timezone": draw(st.sampled_from(ZONES)),
    }
    if also := draw(st.lists(st.sampled_from(ZONES), max_size=2, unique=True)):
        session["also_show"] = also
    session["host"] = draw(optional)
    session["host_timezone"] = draw(st.one_of(st.none(), st.sampled_from(ZONES)))
    session["host_email"] = draw(st.one_of(st.none(), emails))
    lines = toml_out.table("session", session)
    if draw(st.booleans()):
        wrap = draw(st.integers(60, 300))
        lines += toml_out.table(
            "warnings", {"wrap_up": _length(wrap), "final": _length(draw(st.integers(10, wrap - 1)))}
        )
    clock = draw(st.integers(0, 86399 if draw(st.booleans()) else 1439 * 60).map(lambda s: s - s % 60 if s % 7 else s))
    for index in range(draw(st.integers(1, 6))):
        gap = 0 if index == 0 else draw(st.sampled_from([0, 0, 60, 300, 5400]))
        clock += gap
        length = draw(st.integers(1, 150)) * 60 + draw(st.sampled_from([0, 0, 0, 30]))
        segment: dict[str, Any] = {}
        if index == 0 or gap or draw(st.booleans()):
            segment["start"] = _clock(clock)
        if draw(st.booleans()):
            segment["end"] = _clock(clock + length)
        else:
            segment["duration"] = _length(length)
        segment["title"] = draw(title)
        for key in ("speaker", "role", "organization", "country", "notes"):
            segment[key] = draw(optional)
        segment["email"] = draw(st.one_of(st.none(), emails))
        if draw(st.booleans()):
            segment["id"] = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,20}", fullmatch=True)) + f"-{index}"
        segment["timezone"] = draw(st.one_of(st.none(), st.sampled_from(ZONES)))
        segment["kind"] = draw(st.one_of(st.none(), st.sampled_from(["talk", "qa", "other", "break"]), text))
        if draw(st.booleans()):
            segment["flexible"] = True
            if draw(st.booleans()):
                segment["min_duration"] = _length(draw(st.integers(1, length)))
        if draw(st.booleans()):
            warnings: dict[str, Any] = {}
            for key in ("wrap_up", "final"):
                choice = draw(st.one_of(st.none(), st.just(False), st.integers(0, 400)))
                if choice is not None:
                    warnings[key] = choice if choice is False else _length(choice)
            segment["warnings"] = warnings
        lines += ["", *toml_out.table("segments", segment, array=True)]
        clock += length
    return "\n".join(lines) + "\n"


def _clock(seconds: int) -> str:
    seconds %= 86400
    h, m, s = seconds // 3600, seconds // 60 % 60, seconds % 60
    return f"{h:02d}:{m:02d}:{s:02d}" if s else f"{h:02d}:{m:02d}"


def _load(source: str) -> Agenda:
    try:
        agenda = parse_agenda(source, "original.toml")
    except AgendaError:
        assume(False)  # overlaps, daylight-saving gaps, bad warnings: not an agenda to round-trip
        raise
    assume(agenda.duration_s <= MAX_SESSION_S)  # import refuses longer (test_import_lengths)
    return agenda


def same(a: Agenda, b: Agenda) -> None:
    """`b` is `a`, and each of its segments has the id `a` gives it (its own, or the one it would be given)."""
    assert b.session == a.session
    assert [replace(s, id=None) for s in b.segments] == [replace(s, id=None) for s in a.segments]
    assert [s.id for s in b.segments] == segment_ids(a)


def _round_trip(source: str, fmt: str, tmp: Path) -> tuple[Agenda, Agenda, Path]:
    original = _load(source)
    if fmt == "ontime.xlsx":
        sheet = tmp / "rundown.xlsx"
        sheet.write_bytes(ontime.workbook(original))
    else:
        sheet = tmp / f"programme.{'csv' if fmt == 'ontime' else fmt}"
        sheet.write_bytes(render(original, fmt))
    back = import_sheet(read_sheet(sheet), Options(), tmp / "back.toml").agenda
    return original, back, sheet


SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)


@pytest.mark.slow
@SETTINGS
@given(source=agendas())
def test_toml_csv_toml(source: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    original, back, _ = _round_trip(source, "csv", tmp_path_factory.mktemp("csv"))
    same(original, back)


@pytest.mark.slow
@SETTINGS
@given(source=agendas())
def test_toml_xlsx_toml(source: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    original, back, sheet = _round_trip(source, "xlsx", tmp_path_factory.mktemp("xlsx"))
    same(original, back)
    with zipfile.ZipFile(sheet) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)  # no live formula


@pytest.mark.slow
@SETTINGS
@given(source=agendas())
def test_toml_ontime_toml(source: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Ontime's columns, custom fields and session rows carry the whole agenda there and back."""
    original, back, _ = _round_trip(source, "ontime", tmp_path_factory.mktemp("ontime"))
    same(original, back)


@pytest.mark.slow
@SETTINGS
@given(source=agendas())
def test_toml_ontime_xlsx_toml(source: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    original, back, _ = _round_trip(source, "ontime.xlsx", tmp_path_factory.mktemp("ontime"))
    same(original, back)


def test_hostile_titles_stay_text(write_agenda: Any, tmp_path: Path) -> None:
    import openpyxl

    segments = "".join(
        f'[[segments]]\nstart = "{9 + i // 6:02d}:{i % 6 * 10:02d}"\nduration = "10m"\ntitle = {toml_out.string(t)}\n\n'
        for i, t in enumerate(HOSTILE)
        if t.strip()
    )
    agenda = parse_agenda(
        f'[session]\ntitle = "=cmd|\' /C calc\'!A0"\ndate = "2024-05-01"\ntimezone = "UTC"\n\n{segments}'
    )
    csv_text = render(agenda, "csv").decode()
    for line in csv_text.splitlines():
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "-", "@")), cell  # guarded with an apostrophe
    assert "'=1+1" in csv_text and "'''=twice" in csv_text
    sheet = tmp_path / "hostile.xlsx"
    sheet.write_bytes(render(agenda, "xlsx"))
    book = openpyxl.load_workbook(sheet)
    titles = [row[2] for row in book["Programme"].iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in titles)
    formula_looking = [cell for cell in titles if str(cell.value).startswith(("=", "+", "-", "@"))]
    assert formula_looking and all(cell.quotePrefix for cell in formula_looking)
    assert book["Session"]["B2"].data_type == "s"
    back = import_sheet(read_sheet(sheet), Options(), tmp_path / "back.toml").agenda
    same(agenda, back)
    assert [s.title for s in back.segments] == [t.strip() for t in HOSTILE if t.strip()]
