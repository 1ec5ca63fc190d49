"""Each segment keeps a stable `id` in the agenda: written by import, added by `check --fix-ids`, kept by sheets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from runofshow.agenda_file import load_agenda
from runofshow.domain.agenda.model import AgendaError
from runofshow.domain.agenda.parse import parse_agenda

from .conftest import SEED_OPTIONS, SEED_PROGRAMME, Cli, csv_text

SESSION = (
    '[session]\ntitle = "S"\ndate = "2024-05-01"\ntimezone = "UTC"\nhost = "Dara"\nhost_email = "dara@example.org"\n'
)


def test_id_email_and_host_email_are_agenda_keys() -> None:
    agenda = parse_agenda(
        SESSION + '[[segments]]\nid = "opening-1"\nstart = "09:00"\nduration = "10m"\ntitle = "A"\n'
        'speaker = "Kim"\nemail = "kim@example.org"\n'
    )
    assert agenda.session.host_email == "dara@example.org"
    assert (agenda.segments[0].id, agenda.segments[0].email) == ("opening-1", "kim@example.org")


@pytest.mark.parametrize(
    ("segment", "message"),
    [
        ('id = "a b"', 'segment 1 "A": id: "a b" is not an id (letters, digits and . _ ~ -, at most 64)'),
        ("id = 3", 'segment 1 "A": id: must be text in quotes, not int'),
        ('email = "kim"', 'segment 1 "A": email: "kim" is not an email address (like name@example.org)'),
    ],
)
def test_bad_ids_and_addresses_are_one_line(segment: str, message: str) -> None:
    with pytest.raises(AgendaError, match=None) as caught:
        parse_agenda(SESSION + f'[[segments]]\nstart = "09:00"\nduration = "10m"\ntitle = "A"\n{segment}\n')
    assert str(caught.value).endswith(message)


def test_two_segments_may_not_share_an_id() -> None:
    with pytest.raises(AgendaError) as caught:
        parse_agenda(
            SESSION + '[[segments]]\nid = "x"\nstart = "09:00"\nduration = "10m"\ntitle = "A"\n'
            '[[segments]]\nid = "x"\nduration = "10m"\ntitle = "B"\n'
        )
    assert str(caught.value).endswith('segment 2 "B": id: "x" is already segment 1\'s; each segment needs its own')


def test_import_writes_an_id_for_every_segment_the_same_each_time(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "programme.csv"
    source.write_text(csv_text(SEED_PROGRAMME))
    assert cli("import", source, *SEED_OPTIONS).status == 0
    first = load_agenda(source.with_suffix(".toml"))
    ids = [s.id for s in first.segments]
    assert all(ids) and len(set(ids)) == len(ids)
    assert cli("import", source, *SEED_OPTIONS, "--force").status == 0
    assert [s.id for s in load_agenda(source.with_suffix(".toml")).segments] == ids


def test_ids_survive_a_sheet_round_trip_after_the_date_moves(cli: Cli, tmp_path: Path, seed: Path) -> None:
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(seed.read_text())
    assert cli("check", "--fix-ids", agenda).status == 0
    ids = [s.id for s in load_agenda(agenda).segments]
    postponed = tmp_path / "postponed.toml"
    postponed.write_text(agenda.read_text().replace('date = "2021-10-08"', 'date = "2021-10-15"'))
    for fmt in ("csv", "xlsx"):
        sheet = tmp_path / f"programme.{fmt}"
        assert cli("export", postponed, "--format", fmt, "-o", sheet).status == 0
        assert cli("import", sheet, "--force").status == 0, fmt
        assert [s.id for s in load_agenda(sheet.with_suffix(".toml")).segments] == ids, fmt


def test_fix_ids_adds_ids_in_place_keeping_comments_and_layout(
    cli: Cli, write_agenda: Callable[..., Path], seed: Path
) -> None:
    original = seed.read_text()
    path = write_agenda(original.replace("\n", "\r\n"))
    result = cli("check", "--fix-ids", path)
    assert result.status == 0, result.err
    assert "Added an id to 10 segments" in result.out
    fixed = path.read_bytes().decode()
    assert fixed.count("\r\n") == fixed.count("\n")  # the file's line endings are kept
    lines = fixed.replace("\r\n", "\n").splitlines()
    assert [line for line in lines if not line.startswith("id = ")] == original.splitlines()
    agenda, before = load_agenda(path), parse_agenda(original)
    assert all(s.id for s in agenda.segments)
    assert [s.title for s in agenda.segments] == [s.title for s in before.segments]
    again = cli("check", "--fix-ids", path)
    assert again.status == 0 and "every segment has an id" in again.out
    assert path.read_bytes().decode() == fixed


def test_fix_ids_keeps_an_id_already_there(cli: Cli, write_agenda: Callable[..., Path]) -> None:
    path = write_agenda(
        SESSION + '\n# the opening\n[[segments]]  # first\n# row 2\nid = "keep-me"\nstart = "09:00"\n'
        'duration = "10m"\ntitle = "A"\n\n[[segments]]\n# row 3\nduration = "5m"\ntitle = "B"\n'
    )
    assert cli("check", "--fix-ids", path).status == 0
    text = path.read_text()
    assert '[[segments]]\n# row 3\nid = "' in text
    agenda = load_agenda(path)
    assert agenda.segments[0].id == "keep-me" and agenda.segments[1].id


def test_fix_ids_refuses_segments_it_cannot_place(cli: Cli, write_agenda: Callable[..., Path]) -> None:
    path = write_agenda('segments = [{ start = "09:00", duration = "10m", title = "A" }]\n' + SESSION)
    before = path.read_bytes()
    result = cli("check", "--fix-ids", path)
    assert result.status == 2 and result.err.count("\n") == 1
    assert "not written as [[segments]] tables; add each id by hand" in result.err
    assert path.read_bytes() == before
