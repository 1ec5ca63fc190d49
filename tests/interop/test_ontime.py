"""Ontime's own exports import faithfully, and `export --format ontime` writes one Ontime reads, and back."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl

from runofshow.agenda_file import load_agenda
from runofshow.commands.export import render

from .conftest import Cli, csv_text
from .test_roundtrip import same

ZONE_DATE = ("--timezone", "Europe/Lisbon", "--date", "2024-06-01")

#: What Ontime 4 writes (server/api-data/excel rundownToTabular): its import map's names, custom fields after.
V4_HEADER = [
    "ID", "Flag", "Cue", "Title", "Colour", "Time Start", "Time End", "Duration", "Link Start", "Count to end",
    "Note", "Timer Type", "End Action", "Warning Time", "Danger Time", "Skip", "Speaker",
]  # fmt: skip


def v4_row(**cells: str) -> list[str]:
    names = {
        "id": "ID", "cue": "Cue", "title": "Title", "start": "Time Start", "end": "Time End", "duration": "Duration",
        "note": "Note", "type": "Timer Type", "warning": "Warning Time", "danger": "Danger Time", "skip": "Skip",
        "speaker": "Speaker", "colour": "Colour",
    }  # fmt: skip
    by_header = {names[key]: value for key, value in cells.items()}
    return [by_header.get(header, "") for header in V4_HEADER]


ONTIME_4 = [
    V4_HEADER,
    v4_row(id="e2163f", cue="Demo", title="Clear all", colour="#9d9d9d", note="Moderator - Emma", type="milestone"),
    v4_row(id="7eaf99", title="Morning Sessions", colour="#339E4E", start="10:00:00", end="12:00:00", type="group"),
    v4_row(
        id="9bf60f", cue="1", title="Pre-show", start="10:00:00", end="10:10:00", duration="00:10:00",
        type="count-down", warning="00:02:00", danger="00:01:00",
    ),
    v4_row(
        id="a1", cue="2", title="Keynote", start="10:10:00", end="10:40:00", duration="00:30:00", note="Mind the clicker",
        type="count-down", warning="00:05:00", danger="00:01:00", speaker="Ada Lovelace",
    ),
    v4_row(
        id="a2", cue="3", title="Rehearsal", start="10:40:00", end="10:50:00", duration="00:10:00",
        type="count-down", warning="00:02:00", danger="00:01:00", skip="TRUE",
    ),
    v4_row(
        id="a3", cue="4", title="Panel", start="10:50:00", end="11:30:00", duration="00:40:00",
        type="count-down", warning="00:02:00", danger="00:01:00",
    ),
    v4_row(type="group-end"),
]  # fmt: skip


def test_ontime_4_export_imports_faithfully(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "rundown.csv"
    source.write_text(csv_text(ONTIME_4))
    result = cli("import", source, *ZONE_DATE)
    assert result.status == 0, result.err
    agenda = load_agenda(source.with_suffix(".toml"))
    assert [s.title for s in agenda.segments] == ["Pre-show", "Keynote", "Panel"]
    assert [s.id for s in agenda.segments] == ["9bf60f", "a1", "a3"]
    keynote = agenda.segments[1]
    assert (keynote.notes, keynote.speaker) == ("Mind the clicker", "Ada Lovelace")
    assert (keynote.wrap_up_s, keynote.final_s) == (300, 60)
    assert agenda.segments[2].start.format("HH:mm") == "10:50"  # the skipped rehearsal leaves its gap
    text = source.with_suffix(".toml").read_text()
    assert '# Row 6 ("Rehearsal") is marked Skip in Ontime: not imported.' in text
    assert '# Row 3 ("Morning Sessions") is an Ontime group, not a segment.' in text
    assert '# Row 2 ("Clear all") is an Ontime milestone, not a segment.' in text


def test_ontime_3_export_with_its_banner_imports(cli: Cli, tmp_path: Path) -> None:
    rows = [
        ["Ontime · Rundown export"],
        ["Project title: Alliances"],
        ["Time Start", "Time End", "Duration", "ID", "Colour", "Cue", "Title", "Note", "Is Public? (x)", "Skip?",
         "Speaker", "Type"],
        ["18:00:00", "18:10:00", "00:10:00", "b1", "", "1", "Opening", "", "x", "", "", "event"],
        ["", "", "", "b2", "", "", "Talks", "", "", "", "", "block"],
        ["18:10:00", "18:40:00", "00:30:00", "b3", "", "2", "Keynote", "Slides", "x", "", "Kim", "event"],
        ["18:40:00", "18:50:00", "00:10:00", "b4", "", "3", "Spare", "", "", "x", "", "event"],
    ]  # fmt: skip
    source = tmp_path / "v3.csv"
    source.write_text(csv_text(rows))
    assert cli("import", source, *ZONE_DATE).status == 0
    agenda = load_agenda(source.with_suffix(".toml"))
    assert agenda.session.title == "Alliances"
    assert [(s.id, s.title, s.kind) for s in agenda.segments] == [
        ("b1", "Opening", "other"),
        ("b3", "Keynote", "other"),
    ]
    assert agenda.segments[1].notes == "Slides" and agenda.segments[1].speaker == "Kim"


def test_export_ontime_has_ontimes_headers(agenda_file: Path) -> None:
    data = render(load_agenda(agenda_file), "ontime").decode()
    rows = list(csv.reader(io.StringIO(data)))
    header = next(row for row in rows if "Time Start" in row)
    assert header[:12] == [
        "Time Start", "Time End", "Duration", "ID", "Colour", "Cue", "Title", "Note", "Is Public", "Skip",
        "Warning Time", "Danger Time",
    ]  # fmt: skip
    first = dict(zip(header, rows[rows.index(header) + 1]))
    assert (first["Time Start"], first["Time End"], first["Duration"]) == ("18:00:00", "18:01:00", "00:01:00")
    assert first["Cue"] == "1" and first["ID"]
    # Ontime's import map matches headers case-insensitively, trimmed: every Ontime field is there by its name.
    ontime_names = {"time start", "time end", "duration", "id", "colour", "cue", "title", "note", "skip",
                    "warning time", "danger time"}  # fmt: skip
    assert ontime_names <= {cell.strip().lower() for cell in header}


def test_ontime_round_trip(cli: Cli, agenda_file: Path, tmp_path: Path) -> None:
    for name in ("rundown.csv", "rundown.xlsx"):
        target = tmp_path / name
        assert cli("export", agenda_file, "--format", "ontime", "-o", target).status == 0
        assert cli("import", target, "--force").status == 0, name
        same(load_agenda(agenda_file), load_agenda(target.with_suffix(".toml")))
    book = openpyxl.load_workbook(tmp_path / "rundown.xlsx")
    assert "Event Schedule" in book.sheetnames  # the worksheet Ontime's import looks for first
