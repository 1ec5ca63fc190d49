"""Stagetimer's sheets name the cue's title "Name": read it as the title there, and say so."""

from __future__ import annotations

from pathlib import Path

from runofshow.agenda_file import load_agenda

from .conftest import Cli, csv_text
from .test_import_errors import one_line

ZONE_DATE = ("--timezone", "America/New_York", "--date", "2024-06-01")


def test_name_is_the_title_beside_a_speaker_column(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "stagetimer.csv"
    rows = [
        ["Start Time", "Duration", "Name", "Speaker", "Notes", "Appearance", "Wrap-up Yellow", "Wrap-up Red"],
        ["09:00", "0:10:00", "Welcome", "Dara Huot", "Lights up", "COUNTDOWN", "0:02:00", "0:01:00"],
        ["", "0:30:00", "Keynote", "Young Kim", "", "COUNTDOWN", "0:05:00", "0:01:00"],
    ]
    source.write_text(csv_text(rows))
    result = cli("import", source, *ZONE_DATE)
    assert result.status == 0, result.err
    agenda = load_agenda(source.with_suffix(".toml"))
    assert [(s.title, s.speaker) for s in agenda.segments] == [("Welcome", "Dara Huot"), ("Keynote", "Young Kim")]
    assert (agenda.segments[1].wrap_up_s, agenda.segments[1].final_s) == (300, 60)
    assert agenda.segments[0].notes == "Lights up"
    assert (
        '# Column "Name" is read as the title, as in Stagetimer\'s sheets.' in source.with_suffix(".toml").read_text()
    )


def test_name_is_the_title_beside_stagetimers_other_columns(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "cues.csv"
    source.write_text(csv_text([["Start Time", "Duration", "Name", "Trigger"], ["09:00", "10m", "Doors", "MANUAL"]]))
    assert cli("import", source, *ZONE_DATE).status == 0
    (only,) = load_agenda(source.with_suffix(".toml")).segments
    assert (only.title, only.speaker) == ("Doors", None)


def test_an_error_in_that_column_says_what_was_assumed(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "stagetimer.csv"
    rows = [["Start Time", "Duration", "Name", "Speaker"], ["09:00", "10m", "Welcome", "Dara"], ["", "5m", "", "Kim"]]
    source.write_text(csv_text(rows))
    assert one_line(cli, source, *ZONE_DATE).endswith(
        'stagetimer.csv: row 3, column "Name" (read as the title, as in Stagetimer\'s sheets): '
        "empty; every segment needs a title"
    )


def test_elsewhere_name_is_still_the_speaker(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "programme.csv"
    source.write_text(csv_text([["Start", "Duration", "Title", "Name"], ["09:00", "10m", "Welcome", "Dara"]]))
    assert cli("import", source, *ZONE_DATE).status == 0
    (only,) = load_agenda(source.with_suffix(".toml")).segments
    assert (only.title, only.speaker) == ("Welcome", "Dara")


def test_a_name_column_without_a_title_says_how_it_was_read(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "names.csv"
    source.write_text(csv_text([["Start", "Duration", "Name"], ["09:00", "10m", "Welcome"]]))
    assert one_line(cli, source, *ZONE_DATE).endswith(
        'names.csv: row 1: no title column; column "Name" is read as the speaker. If it holds the titles, '
        "as in Stagetimer's sheets, name it Title"
    )
