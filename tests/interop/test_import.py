"""`runofshow import` reads programmes as organizers save them, and writes agendas `check` accepts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.agenda_file import load_agenda
from runofshow.domain.agenda.model import Agenda

from .conftest import SEED_OPTIONS, SEED_PROGRAMME, Cli, csv_text

UTC = dt.UTC


def starts(agenda: Agenda) -> list[str]:
    return [s.start.format("HH:mm:ss") for s in agenda.segments]


def imported(cli: Cli, source: Path, *options: str) -> Agenda:
    result = cli("import", source, *options)
    assert result.status == 0, result.err
    target = source.with_suffix(".toml")
    assert cli("check", target).status == 0  # `check` accepts everything import writes
    return load_agenda(target)


def test_the_seed_programme_as_typed(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "programme.csv"
    source.write_text(csv_text(SEED_PROGRAMME), encoding="utf-8")
    agenda = imported(cli, source, *SEED_OPTIONS, "--title", "Initiatives and alliances")
    assert len(agenda.segments) == 10
    assert agenda.start.in_tz("UTC").isoformat() == "2021-10-08T09:00:00+00:00"
    assert agenda.end.in_tz("UTC").isoformat() == "2021-10-08T10:30:00+00:00"
    talk = agenda.segments[3]
    assert talk.title == "1st speaker presentation: Network of local governments promoting SSE"
    assert (talk.speaker, talk.organization) == ("Young Kim", "SSEGOV")
    assert talk.start.format("HH:mm") == "18:11" and talk.end.format("HH:mm") == "18:21"
    assert agenda.segments[4].speaker == "Eric Leyton Inostroza"  # en dash range
    assert agenda.segments[4].organization == "ENSIE & CIESCOOP"
    assert agenda.segments[5].speaker == "Bernard Luyiga"
    assert agenda.segments[8].start.format("HH:mm") == "19:15"  # "19:15:-19:25", as typed in the seed
    assert agenda.session.host == "Dara Huot" and agenda.session.title == "Initiatives and alliances"


def test_the_summary_is_the_one_check_prints(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "programme.csv"
    source.write_text(csv_text(SEED_PROGRAMME), encoding="utf-8")
    printed = cli("import", source, *SEED_OPTIONS).out
    checked = cli("check", source.with_suffix(".toml")).out
    assert printed.startswith(checked)
    assert "10 segments, 1:30:00 planned" in printed


def test_the_agenda_is_commented(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "programme.csv"
    source.write_text(csv_text(SEED_PROGRAMME), encoding="utf-8")
    cli("import", source, *SEED_OPTIONS)
    text = source.with_suffix(".toml").read_text()
    assert text.startswith("# Imported by runofshow from ")
    assert "# Every time below is in the session's zone (Asia/Seoul)." in text
    assert "# row 5\n" in text  # each segment says which row it came from


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bom.csv", "\ufeffStart,End,Title\n18:00,18:10,Opening\n18:10,18:30,Talk\n".encode()),
        ("crlf.csv", b"Start,End,Title\r\n18:00,18:10,Opening\r\n18:10,18:30,Talk\r\n"),
        ("semicolon.csv", "Début;Start;End;Title\n;18:00;18:10;Opening\n;18:10;18:30;Talk\n".encode()),
        ("tab.tsv", b"Start\tEnd\tTitle\n18:00\t18:10\tOpening\n18:10\t18:30\tTalk\n"),
        # What Google Sheets writes: CRLF, every row as wide as the widest, times with seconds.
        (
            "google.csv",
            b"Workshop,,,\r\n,,,\r\nStart time,End time,Topic,Presenter\r\n"
            b"18:00:00,18:10:00,Opening,\r\n18:10:00,18:30:00,Talk,Young Kim\r\n,,,\r\n,,,\r\n",
        ),
        ("ampm.csv", b"From,Until,Session\n6:00 PM,6:10 PM,Opening\n6:10 pm,6:30 pm,Talk\n"),
    ],
)
def test_csv_variants(cli: Cli, tmp_path: Path, name: str, data: bytes) -> None:
    source = tmp_path / name
    source.write_bytes(data)
    agenda = imported(cli, source, "--timezone", "Asia/Seoul", "--date", "2021-10-08")
    assert starts(agenda) == ["18:00:00", "18:10:00"]
    assert agenda.segments[1].end.format("HH:mm") == "18:30"
    assert [s.title for s in agenda.segments] == ["Opening", "Talk"]


def test_durations_and_missing_ends(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "lengths.csv"
    rows = [
        ["Start (KST)", "Duration (min)", "Title", "Flexible", "Min duration", "Wrap up", "Final"],
        ["09:00", "10", "Ten", "", "", "3m", "1m"],
        ["", "1h30m", "Ninety", "yes", "45", "", ""],
        ["11:00", "", "Runs to the next start", "", "", "off", "off"],
        ["11:30", "0:15", "Fifteen", "", "", "", ""],
    ]
    source.write_text(csv_text(rows))
    agenda = imported(cli, source, "--timezone", "Europe/Paris", "--date", "2024-03-01")
    assert [s.duration_s for s in agenda.segments] == [600, 5400, 1800, 900]
    assert (agenda.segments[0].wrap_up_s, agenda.segments[0].final_s) == (180, 60)
    assert agenda.segments[1].flexible and agenda.segments[1].min_duration_s == 45 * 60
    assert (agenda.segments[2].wrap_up_s, agenda.segments[2].final_s) == (None, None)


def test_session_facts_above_the_header(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "facts.csv"
    rows = [
        ["WORKSHOP SESSION INFO"],
        ["Session title", "Alliances"],
        ["Date", "2021-10-08"],
        ["Session time zone", "Asia/Seoul"],
        ["Host", "Dara Huot"],
        [],
        ["Start", "End", "Title"],
        ["18:00", "18:01", "Check"],
    ]
    source.write_text(csv_text(rows))
    agenda = imported(cli, source)
    assert (agenda.session.title, agenda.session.timezone, agenda.session.host) == (
        "Alliances",
        "Asia/Seoul",
        "Dara Huot",
    )
    # Options win over the sheet.
    other = tmp_path / "other.csv"
    other.write_text(csv_text(rows))
    assert imported(cli, other, "--title", "Renamed").session.title == "Renamed"


def test_xlsx_typed_cells(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    rows = [
        ["Start", "End", "Duration", "Title", "Speaker", "Flexible"],
        [dt.time(18, 0), dt.time(18, 1), None, "Check", None, False],
        [dt.datetime(2021, 10, 8, 18, 1), None, 5, "Five as a number of minutes", "Dara Huot", None],
        [dt.time(18, 6), None, dt.timedelta(minutes=5), "Five as a duration cell", None, None],
        [dt.timedelta(hours=18, minutes=11), dt.time(18, 21, 30), None, "Ends on seconds", "Young Kim", True],
        [dt.time(18, 21, 30), None, 2.5, "Two and a half minutes", None, None],
    ]
    source = write_xlsx(rows)
    # The date comes from the datetime cell: no --date needed.
    agenda = imported(cli, source, "--timezone", "Asia/Seoul")
    assert agenda.session.date.isoformat() == "2021-10-08"
    assert starts(agenda) == ["18:00:00", "18:01:00", "18:06:00", "18:11:00", "18:21:30"]
    assert [s.duration_s for s in agenda.segments] == [60, 300, 300, 630, 150]
    assert agenda.segments[3].flexible and not agenda.segments[0].flexible


def test_xlsx_picks_the_sheet(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Nothing to see"])
    for name, title in (("Day 1", "First"), ("Day 2", "Second")):
        sheet = book.create_sheet(name)
        sheet.append(["Start", "End", "Title"])
        sheet.append([dt.time(9), dt.time(10), title])
    source = write_xlsx(book)
    assert imported(cli, source, "--timezone", "UTC", "--date", "2024-05-01").segments[0].title == "First"
    assert cli("import", source, "--sheet", "Day 2", "--timezone", "UTC", "--date", "2024-05-01", "--force").status == 0
    assert load_agenda(source.with_suffix(".toml")).segments[0].title == "Second"


def test_merged_banner_above_the_header_is_fine(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    from .conftest import workbook

    book = workbook([["Programme", None, None], ["Start", "End", "Title"], ["09:00", "09:30", "Talk"]])
    book.active.merge_cells("A1:C1")
    agenda = imported(cli, write_xlsx(book), "--timezone", "UTC", "--date", "2024-05-01")
    assert agenda.segments[0].title == "Talk"


def test_never_overwrites_without_force(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "programme.csv"
    source.write_text(csv_text(SEED_PROGRAMME))
    target = tmp_path / "mine.toml"
    target.write_text("# my own work\n")
    result = cli("import", source, *SEED_OPTIONS, "-o", target)
    assert result.status == 2
    assert result.err.strip().endswith("mine.toml: already exists; add --force to replace it")
    assert target.read_text() == "# my own work\n"
    assert cli("import", source, *SEED_OPTIONS, "-o", target, "--force").status == 0
    assert len(load_agenda(target).segments) == 10


def test_unknown_columns_are_named(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "extra.csv"
    source.write_text(csv_text([["Start", "End", "Title", "Zoom room"], ["09:00", "09:30", "Talk", "3"]]))
    result = cli("import", source, "--timezone", "UTC", "--date", "2024-05-01")
    assert result.status == 0
    assert "Columns not read: Zoom room" in result.err


def test_the_seed_programme_typed_into_excel(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    agenda = imported(cli, write_xlsx(SEED_PROGRAMME), *SEED_OPTIONS)
    assert [s.speaker for s in agenda.segments if s.speaker] == [
        "Young Kim",
        "Eric Leyton Inostroza",
        "Bernard Luyiga",
        "Martin Van Den Borre",
    ]
    assert agenda.duration_s == 90 * 60 and not agenda.gaps


def test_xlsx_that_understates_its_size(cli: Cli, write_xlsx: Callable[..., Path], tmp_path: Path) -> None:
    import re
    import zipfile

    good = write_xlsx(
        [["Start", "End", "Title"], [dt.time(9), dt.time(9, 30), "A"], [dt.time(9, 30), dt.time(10), "B"]]
    )
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(lying, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:A1"', data)
            target.writestr(item, data)
    agenda = imported(cli, lying, "--timezone", "UTC", "--date", "2024-05-01")
    assert [s.title for s in agenda.segments] == ["A", "B"]
