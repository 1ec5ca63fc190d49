"""Lengths written h:mm or mm:ss, and day fractions: decided from the column and the session, or refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from runofshow.agenda_file import load_agenda

from .conftest import Cli, csv_text
from .test_import_errors import one_line

ZONE_DATE = ("--timezone", "UTC", "--date", "2024-05-01")


def test_mm_ss_durations_are_minutes_when_hours_would_run_past_a_day(cli: Cli, tmp_path: Path) -> None:
    """`10:00`, `05:00`… as hours made a 25.5-hour agenda that import and check both accepted."""
    source = tmp_path / "lengths.csv"
    lengths = ["10:00", "05:00", "05:00", "02:30", "03:00"]
    source.write_text(
        csv_text(
            [["Start", "Duration", "Title"], ["18:00", lengths[0], "A"]]
            + [["", length, title] for length, title in zip(lengths[1:], "BCDE")]
        )
    )
    result = cli("import", source, *ZONE_DATE)
    assert result.status == 0, result.err
    agenda = load_agenda(source.with_suffix(".toml"))
    assert [s.duration_s for s in agenda.segments] == [600, 300, 300, 150, 180]
    assert agenda.duration_s == 1530
    text = source.with_suffix(".toml").read_text()
    assert '# Column "Duration": "10:00" and the like are read as minutes:seconds (mm:ss).' in text


def test_a_ten_minute_duration_in_a_ninety_minute_programme(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "ninety.csv"
    rows = [["Start", "Duration", "Title"], ["18:00", "10:00", "Opening"], ["18:10", "", "Talks"]]
    rows += [["19:20", "10:00", "Closing"]]
    source.write_text(csv_text(rows))
    assert cli("import", source, *ZONE_DATE).status == 0
    agenda = load_agenda(source.with_suffix(".toml"))
    assert [s.duration_s for s in agenda.segments] == [600, 4200, 600]


def test_h_mm_when_mm_ss_would_give_segments_under_a_minute(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "hmm.csv"
    source.write_text(csv_text([["Start", "Duration", "Title"], ["09:00", "1:30", "A"], ["", "0:45", "B"]]))
    assert cli("import", source, *ZONE_DATE).status == 0
    assert [s.duration_s for s in load_agenda(source.with_suffix(".toml")).segments] == [5400, 2700]


def test_lengths_that_fit_either_way_are_refused(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "either.csv"
    source.write_text(csv_text([["Start", "Duration", "Title"], ["09:00", "2:00", "A"], ["", "3:00", "B"]]))
    assert one_line(cli, source, *ZONE_DATE).endswith(
        'either.csv: row 2, column "Duration": "2:00" may be 2 hours or 2 minutes, and the programme fits '
        "either; write 2h or 2m (or 2:00:00 or 0:02:00)"
    )


def test_time_cells_typed_as_mm_ss_in_a_workbook(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    """Excel takes a typed `10:00` for ten o'clock; in a Duration column of a 40-minute programme it is ten minutes."""
    rows = [["Start", "Duration", "Title"], [dt.time(9), dt.time(10), "A"], [dt.time(9, 10), dt.time(20), "B"]]
    source = write_xlsx(rows)
    assert cli("import", source, *ZONE_DATE).status == 0
    assert [s.duration_s for s in load_agenda(source.with_suffix(".toml")).segments] == [600, 1200]


def test_a_session_over_twelve_hours_is_refused(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "long.csv"
    source.write_text(csv_text([["Start", "Duration", "Title"], ["08:00", "8h", "A"], ["", "5h", "B"]]))
    assert one_line(cli, source, *ZONE_DATE).endswith(
        'long.csv: row 3, column "Duration": the programme would run 13:00:00, from 08:00 to 21:00; '
        "a session may be at most 12 hours (split the day into sessions)"
    )


def test_a_segment_over_twelve_hours_is_refused(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "long.csv"
    source.write_text(csv_text([["Start", "Duration", "Title"], ["08:00", "13h", "A"]]))
    assert 'row 2, column "Duration": segment is 13:00:00 long; the most is 12:00:00' in one_line(
        cli, source, *ZONE_DATE
    )


def test_day_fractions_in_a_general_column_say_they_were_read_as_minutes(
    cli: Cli, write_xlsx: Callable[..., Path]
) -> None:
    rows = [["Start", "Duration", "Title"], [dt.time(9), 10 / 1440, "A"]]
    assert one_line(cli, write_xlsx(rows), *ZONE_DATE).endswith(
        'row 2, column "Duration": 0.00694444 was read as a number of minutes (0.42 seconds); as a fraction of a day '
        "it is 0:10:00: format the column as a duration ([h]:mm:ss), or write 10m"
    )


def test_day_fractions_in_a_column_of_times_are_times(cli: Cli, write_xlsx: Callable[..., Path]) -> None:
    rows = [["Start", "Duration", "Title"], [dt.time(9), dt.timedelta(minutes=5), "A"], [None, 10 / 1440, "B"]]
    source = write_xlsx(rows)
    assert cli("import", source, *ZONE_DATE).status == 0
    assert [s.duration_s for s in load_agenda(source.with_suffix(".toml")).segments] == [300, 600]


def test_an_hour_long_warning_written_h_mm_is_refused(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "warn.csv"
    source.write_text(csv_text([["Start", "Duration", "Title", "Wrap up"], ["09:00", "30m", "A", "2:00"]]))
    assert one_line(cli, source, *ZONE_DATE).endswith(
        'row 2, column "Wrap up": "2:00" may be 2 hours or 2 minutes; write 2h or 2m (or 2:00:00 or 0:02:00)'
    )


def test_an_exported_agenda_over_twelve_hours_does_not_come_back_silently(
    cli: Cli, write_agenda: Callable[..., Path], tmp_path: Path
) -> None:
    agenda = write_agenda(
        '[session]\ntitle = "Day"\ndate = "2024-05-01"\ntimezone = "UTC"\n'
        '[[segments]]\nstart = "07:00"\nduration = "7h"\ntitle = "Morning"\n'
        '[[segments]]\nduration = "6h"\ntitle = "Afternoon"\n'
    )
    assert cli("check", agenda).status == 0  # an agenda written by hand may be longer
    sheet = tmp_path / "day.csv"
    assert cli("export", agenda, "--format", "csv", "-o", sheet).status == 0
    assert one_line(cli, sheet).endswith(
        'day.csv: row 7, column "End": the programme would run 13:00:00, from 07:00 to 20:00; '
        "a session may be at most 12 hours (split the day into sessions)"
    )
