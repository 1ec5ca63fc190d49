"""Calendar invitations parsed back with icalendar: right instants, each speaker's own time, stable UIDs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pendulum
import pytest
from icalendar import Calendar

from runofshow.commands.export import render
from runofshow.domain.agenda.model import Agenda
from runofshow.interop.ics import calendar

from .conftest import Cli

UTC = dt.UTC
NOW = pendulum.datetime(2021, 9, 20, 8, 0, tz="UTC")


def events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def by_summary(agenda: Agenda) -> dict[str, Any]:
    return {str(e["SUMMARY"]): e for e in events(calendar(agenda, agenda.segments, NOW))}


def test_one_event_per_segment_in_utc(agenda: Agenda) -> None:
    found = events(calendar(agenda, agenda.segments, NOW))
    assert [str(e["SUMMARY"]) for e in found] == [s.title for s in agenda.segments]
    first_talk = by_summary(agenda)["Network of local governments promoting SSE"]
    start = first_talk["DTSTART"].dt
    assert start == dt.datetime(2021, 10, 8, 9, 11, tzinfo=UTC) and start.utcoffset() == dt.timedelta(0)
    assert first_talk["DTEND"].dt == dt.datetime(2021, 10, 8, 9, 21, tzinfo=UTC)


def test_the_session_zone_travels_with_the_file(agenda: Agenda) -> None:
    cal = Calendar.from_ical(calendar(agenda, agenda.segments, NOW))
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Seoul"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Seoul"]


@pytest.mark.parametrize(
    ("title", "own"),
    [
        ("Network of local governments promoting SSE", "18:11–18:21 KST (Asia/Seoul, UTC+09:00)"),
        (
            "Work Integration Social Enterprises & International Cooperation",
            "06:21–06:31 -03 (America/Santiago, UTC-03:00)",
        ),
        (
            "Laying the Foundation for SSE Agenda in East and Central Africa",
            "12:31–12:41 EAT (Africa/Kampala, UTC+03:00)",
        ),
        ("Fab City global initiative and SSE", "05:41–05:51 EDT (America/Toronto, UTC-04:00)"),
    ],
)
def test_each_speaker_gets_their_own_time(agenda: Agenda, title: str, own: str) -> None:
    text = str(by_summary(agenda)[title]["DESCRIPTION"])
    assert f"Speaker's time: Fri 8 Oct 2021, {own}" in text.splitlines()


def test_description_names_the_speaker_and_the_slots_around(agenda: Agenda) -> None:
    lines = str(
        by_summary(agenda)["Work Integration Social Enterprises & International Cooperation"]["DESCRIPTION"]
    ).splitlines()
    assert lines[0] == "Speaker: Eric Leyton Inostroza, Project Manager"
    assert lines[1].startswith("Organization: European Network for Social Integration Enterprises (ENSIE)")
    assert "Before: 18:11–18:21 KST Network of local governments promoting SSE (Young Kim)" in lines
    assert (
        "After: 18:31–18:41 KST Laying the Foundation for SSE Agenda in East and Central Africa (Bernard Luyiga)"
        in lines
    )
    assert "Session time: Fri 8 Oct 2021, 18:21–18:31 KST (Asia/Seoul, UTC+09:00)" in lines


def test_uids_are_stable_and_survive_a_change_of_time(agenda: Agenda, write_agenda: Any) -> None:
    first = {str(e["SUMMARY"]): str(e["UID"]) for e in events(calendar(agenda, agenda.segments, NOW))}
    later = NOW.add(days=3)
    again = {str(e["SUMMARY"]): str(e["UID"]) for e in events(calendar(agenda, agenda.segments, later))}
    assert first == again and len(set(first.values())) == len(agenda.segments)
    moved = agenda.source.replace('start = "18:11"\nend = "18:21"', 'start = "18:11"\nend = "18:20"')
    assert moved != agenda.source
    path = write_agenda(moved)
    from runofshow.agenda_file import load_agenda

    changed = load_agenda(path)
    third = {str(e["SUMMARY"]): str(e["UID"]) for e in events(calendar(changed, changed.segments, later))}
    assert third == first  # SEQUENCE, which makes a client take the re-sent copy: test_ics_updates


def test_speaker_filter(cli: Cli, seed: Path, tmp_path: Path) -> None:
    target = tmp_path / "young.ics"
    agenda = tmp_path / "seed.toml"  # the calendar's ledger goes beside the agenda, not into the checkout
    agenda.write_bytes(seed.read_bytes())
    assert cli("export", agenda, "--format", "ics", "--speaker", "young kim", "-o", target).status == 0
    found = events(target.read_bytes())
    assert [str(e["SUMMARY"]) for e in found] == ["Network of local governments promoting SSE"]
    moderator = events(render_seed(seed, "Dara Huot"))
    assert len(moderator) == 4


def render_seed(seed: Path, speaker: str) -> bytes:
    from runofshow.agenda_file import load_agenda

    return render(load_agenda(seed), "ics", speaker=speaker)


def test_unknown_speaker_lists_the_speakers(cli: Cli, seed: Path) -> None:
    result = cli("export", seed, "--format", "ics", "--speaker", "Young")
    assert result.status == 2 and result.out == ""
    assert result.err.strip() == (
        f'runofshow: {seed}: no speaker "Young"; the speakers are: Dara Huot, Young Kim, Eric Leyton Inostroza, '
        "Bernard Luyiga, Martin Van Den Borre"
    )
    assert result.err.count("\n") == 1


def test_hostile_text_cannot_break_the_calendar(write_agenda: Any) -> None:
    path = write_agenda(
        '[session]\ntitle = "S"\ndate = "2024-05-01"\ntimezone = "UTC"\n'
        '[[segments]]\nstart = "09:00"\nend = "09:10"\ntitle = "=HYPERLINK(\\"x\\")\\r\\nBEGIN:VEVENT\\u001b[31m"\n'
    )
    from runofshow.agenda_file import load_agenda

    agenda = load_agenda(path)
    found = events(calendar(agenda, agenda.segments, NOW))
    assert len(found) == 1
    summary = str(found[0]["SUMMARY"])
    assert summary.startswith('=HYPERLINK("x")') and "\\x0d" in summary and "\\x1b[31m" in summary
