"""Programme sheets made in code: csv text in the ways people save it, and typed xlsx workbooks."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runofshow.cli import main

#: The seed document's programme table, typed as the organizers wrote it (its "19:15:-" typo included).
SEED_PROGRAMME = [
    ["Time", "Content"],
    ["18:00-18:01", "Internet connection check"],
    ["18:01-18:06", "Introduction of the moderator"],
    [
        "18:06-18:11",
        "Introduction of the session: background information, main question, objectives and panel members",
    ],
    ["18:11-18:21", "1st speaker presentation: Network of local governments promoting SSE\n- Mr. Young Kim / SSEGOV"],
    [
        "18:21–18:31",
        "2nd speaker presentation: Work Integration Social Enterprises & International Cooperation\n"
        "- Mr. Eric Leyton Inostroza / ENSIE & CIESCOOP",
    ],
    [
        "18:31-18:41",
        "3rd speaker presentation: Laying the Foundation for SSE Agenda in East and Central Africa\n"
        "- Mr. Bernard Luyiga  / SENECA",
    ],
    [
        "18:41-18:51",
        "4th speaker presentation: Fab City global initiative and SSE\n-  Mr. Martin Van Den Borre / Fab City",
    ],
    ["18:51-19:15", "Questions and discussions guided by the moderator"],
    ["19:15:-19:25", "Q&A: from participants via chat"],
    ["19:25-19:30", "Closing remarks by the speakers and the moderator"],
]
SEED_OPTIONS = ["--timezone", "Asia/Seoul", "--date", "2021-10-08", "--host", "Dara Huot"]


@dataclass
class Result:
    """What a command printed and returned."""

    status: int
    out: str
    err: str


Cli = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `runofshow ARGS` in this process; return its status and output."""

    def run(*args: str | Path) -> Result:
        status = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run


def csv_text(rows: Sequence[Sequence[Any]], *, delimiter: str = ",", newline: str = "\n") -> str:
    """Rows as csv text the way a spreadsheet writes it."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buffer.getvalue()


def workbook(rows: Sequence[Sequence[Any]], *, title: str = "Program") -> Any:
    """An openpyxl workbook whose one sheet holds `rows` as typed cells."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    return book


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Callable[..., Path]:
    """Save `rows` (or a ready workbook) as an xlsx file in tmp_path."""

    def write(rows: Sequence[Sequence[Any]] | Any, name: str = "agenda.xlsx", **kwargs: Any) -> Path:
        book: Any = workbook(rows, **kwargs) if isinstance(rows, list) else rows
        path = tmp_path / name
        book.save(path)
        return path

    return write


@pytest.fixture
def agenda_file(tmp_path: Path) -> Path:
    """The seed agenda copied where an export may keep its files beside it."""
    from tests.conftest import SEED

    path = tmp_path / "agenda" / "seed.toml"
    path.parent.mkdir()
    path.write_bytes(SEED.read_bytes())
    return path
