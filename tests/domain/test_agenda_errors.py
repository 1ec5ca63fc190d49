"""Every mistake in an agenda ends in one line naming file, line, segment and field.

Each case writes a file whose offending line carries a `# <-` marker; the
message must name exactly that line. Cases run through `load_agenda`, through
`cli.main` in-process (exit 2, the same line on stderr) and, for a few, through
a real `python -m runofshow check` subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from runofshow.agenda_file import load_agenda
from runofshow.cli import main
from runofshow.domain.agenda.model import AgendaError

SESSION = """\
[session]
title = "Alliances"
date = "2021-10-08"
timezone = "Asia/Seoul"
"""

ONE = """
[[segments]]
start = "18:00"
end = "18:10"
title = "One"
"""

MARK = "# <-"

WriteAgenda = Callable[..., Path]


@dataclass(frozen=True)
class Case:
    """A bad agenda and the message it must produce.

    `where` is what follows "file:line: " (segment label and field); `phrase`
    is the part of the message that says what is wrong. `line` is taken from
    the `# <-` marker in `content`; None means the message names no line.
    """

    id: str
    content: str | bytes | None
    where: str
    phrase: str

    @property
    def line(self) -> int | None:
        text = self.content.decode("utf-8", "replace") if isinstance(self.content, bytes) else self.content
        for number, line in enumerate((text or "").splitlines(), start=1):
            if MARK in line:
                return number
        return None


CASES = [
    Case("file-missing", None, "", "no such file"),
    Case("file-empty", "", "", "file is empty; an agenda needs [session] and [[segments]]"),
    Case("file-blank", "  \n\n\t\n", "", "file is empty"),
    Case(
        "not-utf8",
        (SESSION + '\n[[segments]]\nstart = "18:00"\nend = "18:10"\n').encode()
        + b'title = "Caf\xe9"  '
        + MARK.encode()
        + b"\n",
        "",
        "not UTF-8 text (byte 0xe9); save the file as UTF-8",
    ),
    Case(
        "invalid-toml",
        SESSION + f'\n[[segments]]\nstart = "18:00  {MARK}\nend = "18:10"\ntitle = "One"\n',
        "",
        "invalid TOML: Illegal character '\\n' (at line ",
    ),
    Case(
        "invalid-toml-duplicate-key",
        SESSION + f'\n[[segments]]\nstart = "18:00"\nstart = "18:05"  {MARK}\ntitle = "One"\n',
        "",
        "invalid TOML: Cannot overwrite a value",
    ),
    Case("no-session", ONE, "", "no [session] table; it needs at least title, date and timezone"),
    Case("no-segments", SESSION, "", "no segments; add at least one [[segments]] table"),
    Case(
        "unknown-key-segment",
        SESSION + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = "Talk"\nspeeker = "Kim"  {MARK}\n',
        'segment 1 "Talk": speeker: ',
        "unknown key \"speeker\" (did you mean 'speaker'?)",
    ),
    Case(
        "unknown-key-session",
        SESSION + f'tilte = "x"  {MARK}\n' + ONE,
        "[session] tilte: ",
        "unknown key \"tilte\" (did you mean 'title'?)",
    ),
    Case(
        "unknown-key-top-level-table",
        SESSION + f"\n[sesion]  {MARK}\nx = 1\n" + ONE,
        "",
        "unknown key \"sesion\" (did you mean 'session'?)",
    ),
    Case(
        "unknown-key-no-near-match",
        SESSION + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = "Talk"\nzzz = 1  {MARK}\n',
        'segment 1 "Talk": zzz: ',
        'unknown key "zzz" (known keys: start, end, duration, title, speaker,',
    ),
    Case(
        "missing-title",
        SESSION + ONE + f'\n[[segments]]  {MARK}\nduration = "5m"\n',
        "segment 2: title: ",
        "missing; every one needs a title",
    ),
    Case(
        "empty-title",
        SESSION + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = "   "  {MARK}\n',
        "segment 1: title: ",
        "is empty",
    ),
    Case(
        "title-not-text",
        SESSION + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = 5  {MARK}\n',
        "segment 1: title: ",
        "must be text in quotes, not int",
    ),
    Case(
        "bad-time-start",
        SESSION + ONE + f'\n[[segments]]\ntitle = "Two"\nstart = "25:00"  {MARK}\nduration = "5m"\n',
        'segment 2 "Two": start: ',
        'bad time "25:00" (use HH:MM or HH:MM:SS)',
    ),
    Case(
        "bad-time-end",
        SESSION + f'\n[[segments]]\ntitle = "One"\nstart = "18:00"\nend = "6pm"  {MARK}\n',
        'segment 1 "One": end: ',
        'bad time "6pm" (use HH:MM or HH:MM:SS)',
    ),
    Case(
        "bad-time-not-text",
        SESSION + f'\n[[segments]]\ntitle = "One"\nstart = 1800  {MARK}\nend = "18:10"\n',
        'segment 1 "One": start: ',
        'bad time "1800"',
    ),
    Case(
        "bad-date",
        SESSION.replace('date = "2021-10-08"', f'date = "2021-02-30"  {MARK}') + ONE,
        "[session] date: ",
        'bad date "2021-02-30" (use YYYY-MM-DD)',
    ),
    Case(
        "bad-date-format",
        SESSION.replace('date = "2021-10-08"', f'date = "8 Oct 2021"  {MARK}') + ONE,
        "[session] date: ",
        'bad date "8 Oct 2021" (use YYYY-MM-DD)',
    ),
    Case(
        "missing-date",
        SESSION.replace('date = "2021-10-08"\n', "").replace("[session]", f"[session]  {MARK}") + ONE,
        "[session] date: ",
        'missing; give the day as "YYYY-MM-DD"',
    ),
    Case(
        "bad-duration",
        SESSION + f'\n[[segments]]\ntitle = "One"\nstart = "18:00"\nduration = "10 minutes"  {MARK}\n',
        'segment 1 "One": duration: ',
        "bad duration '10 minutes' (use forms like 10m, 90s, 1h30m, 1m30s)",
    ),
    Case(
        "zero-duration",
        SESSION + f'\n[[segments]]\ntitle = "One"\nstart = "18:00"\nduration = "0m"  {MARK}\n',
        'segment 1 "One": duration: ',
        "must be longer than zero",
    ),
    Case(
        "duration-disagrees-with-end",
        SESSION + f'\n[[segments]]\ntitle = "One"\nstart = "18:00"\nend = "18:10"\nduration = "5m"  {MARK}\n',
        'segment 1 "One": duration: ',
        "is 5:00 but start to end is 10:00; give one of them",
    ),
    Case(
        "unknown-time-zone",
        SESSION.replace('timezone = "Asia/Seoul"', f'timezone = "Asia/Seol"  {MARK}') + ONE,
        "[session] timezone: ",
        'unknown time zone "Asia/Seol" (use an IANA name like Asia/Seoul)',
    ),
    Case(
        "unknown-time-zone-also-show",
        SESSION + f'also_show = ["UTC", "Mars/Olympus"]  {MARK}\n' + ONE,
        "[session] also_show: ",
        'unknown time zone "Mars/Olympus"',
    ),
    Case(
        "unknown-time-zone-segment",
        SESSION
        + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = "Talk"\ntimezone = "Mars/Olympus"  {MARK}\n',
        'segment 1 "Talk": timezone: ',
        'unknown time zone "Mars/Olympus"',
    ),
    Case(
        "overlap",
        SESSION + ONE + f'\n[[segments]]\nstart = "18:05"  {MARK}\nend = "18:20"\ntitle = "Two"\n',
        'segment 2 "Two": start: ',
        "starts at 18:05:00, before segment 1 ends at 18:10:00 (segments overlap)",
    ),
    Case(
        "overlap-just-under-12h-back",
        SESSION
        + '\n[[segments]]\nstart = "12:00"\nend = "19:00"\ntitle = "One"\n'
        + f'\n[[segments]]\nstart = "07:01"  {MARK}\nduration = "5m"\ntitle = "Two"\n',
        'segment 2 "Two": start: ',
        "starts at 07:01:00, before segment 1 ends at 19:00:00 (segments overlap)",
    ),
    Case(
        "overlap-next-start-before-open-segment",
        SESSION
        + '\n[[segments]]\nstart = "18:00"\ntitle = "One"\n'
        + f'\n[[segments]]\nstart = "17:55"  {MARK}\nend = "18:20"\ntitle = "Two"\n',
        'segment 2 "Two": start: ',
        "starts at 17:55:00, before segment 1 starts at 18:00:00",
    ),
    Case(
        "end-before-start",
        SESSION + f'\n[[segments]]\nstart = "18:00"\nend = "17:50"  {MARK}\ntitle = "One"\n',
        'segment 1 "One": end: ',
        "ends at 17:50:00, before it starts at 18:00:00",
    ),
    Case(
        "end-equals-start",
        SESSION + f'\n[[segments]]\nstart = "18:00"\nend = "18:00"  {MARK}\ntitle = "One"\n',
        'segment 1 "One": end: ',
        "ends when it starts; a segment needs a length",
    ),
    Case(
        "end-missing",
        SESSION + ONE + f'\n[[segments]]  {MARK}\ntitle = "Two"\n',
        'segment 2 "Two": end: ',
        "missing; give an end time or a duration",
    ),
    Case(
        "first-start-missing",
        SESSION + f'\n[[segments]]  {MARK}\nduration = "10m"\ntitle = "One"\n',
        'segment 1 "One": start: ',
        "missing; the first segment needs a start time",
    ),
    Case(
        "over-12h-duration",
        SESSION + f'\n[[segments]]\nstart = "06:00"\nduration = "12h1m"  {MARK}\ntitle = "Long"\n',
        'segment 1 "Long": duration: ',
        "segment is 12:01:00 long; the most is 12:00:00",
    ),
    Case(
        "over-12h-end",
        SESSION + f'\n[[segments]]\nstart = "06:00"\nend = "18:30"  {MARK}\ntitle = "Long"\n',
        'segment 1 "Long": end: ',
        "segment is 12:30:00 long; the most is 12:00:00",
    ),
    Case(
        # Used to overflow timedelta and end in a traceback.
        "over-12h-huge-duration",
        SESSION + f'\n[[segments]]\nstart = "06:00"\nduration = "99999999999999999999h"  {MARK}\ntitle = "Long"\n',
        'segment 1 "Long": duration: ',
        "long; the most is 12:00:00",
    ),
    Case(
        "dst-start-does-not-exist",
        SESSION.replace("2021-10-08", "2021-03-14").replace("Asia/Seoul", "America/New_York")
        + f'\n[[segments]]\nstart = "02:30"  {MARK}\nduration = "10m"\ntitle = "Early"\n',
        'segment 1 "Early": start: ',
        "2021-03-14 02:30:00 does not exist in America/New_York (the clocks jump over it for daylight saving)",
    ),
    Case(
        "dst-start-ambiguous",
        SESSION.replace("2021-10-08", "2021-11-07").replace("Asia/Seoul", "America/New_York")
        + f'\n[[segments]]\nstart = "01:30"  {MARK}\nduration = "10m"\ntitle = "Twice"\n',
        'segment 1 "Twice": start: ',
        "2021-11-07 01:30:00 happens twice in America/New_York (daylight saving ends)",
    ),
    Case(
        "dst-end-ambiguous",
        SESSION.replace("2021-10-08", "2021-11-07").replace("Asia/Seoul", "America/New_York")
        + f'\n[[segments]]\nstart = "00:30"\nend = "01:00"  {MARK}\ntitle = "Late"\n',
        'segment 1 "Late": end: ',
        "2021-11-07 01:00:00 happens twice in America/New_York",
    ),
    Case(
        # The ambiguous time is written in segment 2, so segment 2 is named (it used to be segment 1).
        "dst-next-start-ambiguous",
        SESSION.replace("2021-10-08", "2021-11-07").replace("Asia/Seoul", "America/New_York")
        + '\n[[segments]]\nstart = "00:30"\ntitle = "Open"\n'
        + f'\n[[segments]]\nstart = "01:30"  {MARK}\nduration = "10m"\ntitle = "Twice"\n',
        'segment 2 "Twice": start: ',
        "2021-11-07 01:30:00 happens twice in America/New_York",
    ),
    Case(
        "dst-end-does-not-exist",
        SESSION.replace("2021-10-08", "2021-03-14")
        .replace("Asia/Seoul", "Europe/Berlin")
        .replace("2021-03-14", "2021-03-28")
        + f'\n[[segments]]\nstart = "01:30"\nend = "02:15"  {MARK}\ntitle = "Gap"\n',
        'segment 1 "Gap": end: ',
        "2021-03-28 02:15:00 does not exist in Europe/Berlin",
    ),
    Case(
        # Inline-table warnings used to be reported on the [[segments]] line.
        "bad-warning-duration",
        SESSION
        + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = "One"\nwarnings = {{ wrap_up = "soon" }}  {MARK}\n',
        'segment 1 "One": warnings.wrap_up: ',
        "bad duration 'soon'",
    ),
    Case(
        "final-not-shorter-than-wrap-up",
        SESSION + f'\n[warnings]\nwrap_up = "1m"\nfinal = "2m"  {MARK}\n' + ONE,
        "[warnings] final: ",
        "must be shorter than wrap_up",
    ),
    Case(
        "flexible-not-bool",
        SESSION + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = "One"\nflexible = "yes"  {MARK}\n',
        'segment 1 "One": flexible: ',
        "must be true or false",
    ),
    Case(
        "min-duration-without-flexible",
        SESSION + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = "One"\nmin_duration = "5m"  {MARK}\n',
        'segment 1 "One": min_duration: ',
        "only a flexible segment can shrink; add flexible = true",
    ),
    Case(
        "min-duration-longer-than-segment",
        SESSION
        + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = "One"\nflexible = true\nmin_duration = "11m"  {MARK}\n',
        'segment 1 "One": min_duration: ',
        "is longer than the segment (10:00)",
    ),
    Case(
        # Used to raise OverflowError: the day after 9999-12-31 does not exist.
        "past-the-calendar",
        SESSION.replace("2021-10-08", "9999-12-31")
        + f'\n[[segments]]  {MARK}\nstart = "23:30"\nend = "00:30"\ntitle = "Forever"\n',
        'segment 1 "Forever": ',
        "its times fall outside the calendar (years 1 to 9999)",
    ),
    Case(
        "escape-sequence-in-title-shown-literally",
        SESSION
        + f'\n[[segments]]\nstart = "18:00"\nend = "18:10"\ntitle = "Red\\u001b[31mAlert"\nspeeker = "x"  {MARK}\n',
        'segment 1 "Red\\x1b[31mAlert": speeker: ',
        'unknown key "speeker"',
    ),
]


def _expected_prefix(path: Path, case: Case) -> str:
    place = f"{path}:{case.line}" if case.line else str(path)
    return f"{place}: {case.where}"


def _write(case: Case, tmp_path: Path) -> Path:
    path = tmp_path / f"{case.id}.toml"
    if case.content is not None:
        path.write_bytes(case.content if isinstance(case.content, bytes) else case.content.encode("utf-8"))
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_load_agenda_names_file_line_segment_and_field(case: Case, tmp_path: Path) -> None:
    path = _write(case, tmp_path)
    with pytest.raises(AgendaError) as raised:
        load_agenda(path)
    message = str(raised.value)
    assert message.startswith(_expected_prefix(path, case)), message
    assert case.phrase in message
    assert "\n" not in message and "\x1b" not in message


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_check_exits_2_with_the_same_one_line(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(case, tmp_path)
    assert main(["check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.endswith("\n")
    assert err.startswith("runofshow: " + _expected_prefix(path, case)), err
    assert case.phrase in err


def test_file_over_1_mb(write_agenda: WriteAgenda) -> None:
    path = write_agenda(SESSION + ONE + "# " + "x" * 1_000_000 + "\n")
    size = path.stat().st_size
    with pytest.raises(AgendaError) as raised:
        load_agenda(path)
    assert str(raised.value) == f"{path}: file is {size:,} bytes; an agenda may be at most 1 MB"


def test_file_of_exactly_1_mb_is_read(write_agenda: WriteAgenda) -> None:
    text = SESSION + ONE
    path = write_agenda(text + "#" * (1_000_000 - len(text) - 1) + "\n")
    assert path.stat().st_size == 1_000_000
    assert load_agenda(path).segments[0].title == "One"


def test_directory_is_not_an_agenda(tmp_path: Path) -> None:
    with pytest.raises(AgendaError) as raised:
        load_agenda(tmp_path)
    assert str(raised.value) == f"{tmp_path}: is a directory, not an agenda file"


# ---------------------------------------------------------------------------
# The real command line, in a subprocess

SUBPROCESS_CASES = [
    "file-missing",
    "not-utf8",
    "invalid-toml",
    "unknown-key-segment",
    "overlap",
    "dst-start-does-not-exist",
    "past-the-calendar",
]


def _run_check(path: Path | str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "runofshow", "check", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_subprocess_check_exits_2_with_one_line(case_id: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == case_id)
    path = _write(case, tmp_path)
    result = _run_check(path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("runofshow: " + _expected_prefix(path, case))
    assert case.phrase in lines[0]


def test_subprocess_file_over_1_mb(write_agenda: WriteAgenda) -> None:
    path = write_agenda(SESSION + ONE + "# " + "x" * 1_000_000 + "\n")
    result = _run_check(path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"runofshow: {path}: file is {path.stat().st_size:,} bytes; an agenda may be at most 1 MB"
    ]


def test_subprocess_file_name_with_newline_and_escape_stays_one_line(tmp_path: Path) -> None:
    """The file name comes from the user too; it must not break the one line or colour the terminal."""
    path = tmp_path / "bad\nname\x1b[31m.toml"
    result = _run_check(path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "\x1b" not in result.stderr
    assert result.stderr.rstrip("\n").endswith("name\\x1b[31m.toml: no such file")
