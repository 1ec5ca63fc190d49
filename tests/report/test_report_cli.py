"""`runofshow report` as a user runs it: real processes, stdout for the report only, one line per error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runofshow import cli, report
from tests.kit.journals import LIVE_RUN_S, REPO, SEED_NAME, run_cli

# All but the first start `runofshow report` in a fresh interpreter, about half a second apiece;
# the formats themselves are checked in this process by the other report tests.
pytestmark = pytest.mark.slow


def test_formats_agree_between_cli_and_renderer() -> None:
    assert cli.REPORT_FORMATS == report.FORMATS


def test_table_on_stdout_and_nothing_else(journals: Path) -> None:
    result = run_cli("report", "live.jsonl", cwd=journals)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Initiatives and alliances")
    assert "\x1b[" not in result.stdout  # a pipe gets no colour
    assert any("Largest overruns: 4 Network of local governments" in line for line in lines)
    assert (journals / "live.jsonl").stat().st_size > 0


def test_json_on_stdout_can_be_piped(journals: Path) -> None:
    result = run_cli("report", "live.jsonl", "--format", "json", cwd=journals)
    assert result.returncode == 0 and result.stderr == ""
    data = json.loads(result.stdout)  # stdout is the report and only the report
    assert {s["number"]: s["actual_duration_s"] for s in data["segments"]} == LIVE_RUN_S


def test_output_file_matches_the_golden_one(journals: Path, tmp_path: Path) -> None:
    out = tmp_path / "minutes.md"
    result = run_cli("report", "live.jsonl", "--format", "markdown", "-o", str(out), cwd=journals)
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    assert out.read_text(encoding="utf-8") == (Path(__file__).parent / "golden" / "live.md").read_text(encoding="utf-8")


def test_several_journals_are_compared(journals: Path) -> None:
    result = run_cli("report", "rehearsal.jsonl", "live.jsonl", "crashed.jsonl", "--format", "json", cwd=journals)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["letter"] for s in data["sessions"]] == ["A", "B", "C"]
    assert data["comparison"]["segments"][3]["actual_duration_s"] == [660, 780, 540]
    assert data["comparison"]["segments"][3]["statuses"] == ["done", "done", "open"]


def test_tz_option(journals: Path) -> None:
    result = run_cli("report", "live.jsonl", "--format", "csv", "--tz", "UTC", cwd=journals)
    assert result.returncode == 0
    assert ",2021-10-08T09:01:00+00:00,2021-10-08T09:02:30+00:00,90," in result.stdout


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


BAD_FILES = {
    "corrupt.jsonl": None,  # made from live.jsonl below
    "agenda.toml": (REPO / SEED_NAME).read_bytes(),
    "other.json": b'{"hello": "world"}\n',
    "array.jsonl": b"[1, 2, 3]\n",
    "empty.jsonl": b"",
    "binary.jsonl": bytes(range(256)) * 4,
    "newer.jsonl": b'{"type":"header","magic":"runofshow-journal","format":99}\n',
    "bad-agenda.jsonl": (
        b'{"type":"header","magic":"runofshow-journal","format":1,"mode":"live","wall":"2021-10-08T08:00:00Z",'
        b'"mono":1.0,"agenda":"[session]\\n"}\n'
    ),
}
PHRASES = {
    "corrupt.jsonl": "corrupt.jsonl:3: corrupt record (not JSON",
    "agenda.toml": "agenda.toml: not a runofshow journal (its first line is not JSON)",
    "other.json": "other.json: not a runofshow journal (not a runofshow journal header)",
    "array.jsonl": "array.jsonl: not a runofshow journal (not a JSON object)",
    "empty.jsonl": "empty.jsonl: empty file, not a runofshow journal",
    "binary.jsonl": "binary.jsonl: not a runofshow journal",
    "newer.jsonl": "newer.jsonl: not a runofshow journal (journal format 99 is newer",
    "bad-agenda.jsonl": "bad-agenda.jsonl:1: bad record: the agenda it carries is invalid",
    "missing.jsonl": "missing.jsonl: no such journal",
    # Refused when the record is decoded, with its place, before anything is computed from it.
    "infinite.jsonl": "infinite.jsonl:3: bad record: extend: seconds must be a finite number from -43200 to 43200",
    "nan.jsonl": "nan.jsonl:3: bad record: extend: seconds must be a finite number from -43200 to 43200",
    "huge.jsonl": "huge.jsonl:3: bad record: extend: seconds must be a finite number from -43200 to 43200",
    "deep.jsonl": "deep.jsonl:3: corrupt record (not JSON: maximum recursion depth exceeded",
    "far.jsonl": "far.jsonl:3: bad record: wall 9999-12-31T23:59:59.000000Z is not between the years 2000 and 2099",
    "folder": "folder: is a directory, not a journal",
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory, journals: Path) -> Path:
    folder = tmp_path_factory.mktemp("bad")
    lines = (journals / "live.jsonl").read_bytes().splitlines(keepends=True)
    (folder / "corrupt.jsonl").write_bytes(b"".join([lines[0], lines[1], b"{not json\n", *lines[2:]]))
    # Records that parse, but hold values no session can have.
    record = '{"seq":2,"type":"%s","wall":"%s","mono":1180.0,"boot":"boot-1","data":%s}\n'
    hostile = {
        "infinite.jsonl": record % ("extend", "2021-10-08T09:02:00Z", '{"segment":1,"seconds":Infinity}'),
        "nan.jsonl": record % ("extend", "2021-10-08T09:02:00Z", '{"segment":1,"seconds":NaN}'),
        "huge.jsonl": record % ("extend", "2021-10-08T09:02:00Z", '{"segment":1,"seconds":1e300}'),
        "deep.jsonl": record % ("pause", "2021-10-08T09:02:00Z", "[" * 50_000 + "]" * 50_000),
        "far.jsonl": record % ("pause", "9999-12-31T23:59:59Z", '{"segment":1}'),
    }
    for name, text in hostile.items():
        (folder / name).write_bytes(lines[0] + lines[1] + text.encode())
    # Not JSON that a reader can take, and not the last line: corrupt, not torn.
    (folder / "deep.jsonl").write_bytes((folder / "deep.jsonl").read_bytes() + lines[2])
    for name, content in BAD_FILES.items():
        if content is not None:
            (folder / name).write_bytes(content)
    (folder / "folder").mkdir()
    return folder


@pytest.mark.parametrize("name", sorted(PHRASES))
def test_a_bad_file_is_one_line_and_exit_2(bad_files: Path, name: str) -> None:
    line = _one_line_error(run_cli("report", name, cwd=bad_files))
    assert line.startswith(f"runofshow: {PHRASES[name]}"), line


def test_a_bad_file_among_good_ones_fails_the_whole_comparison(bad_files: Path, journals: Path) -> None:
    line = _one_line_error(run_cli("report", str(journals / "live.jsonl"), "agenda.toml", cwd=bad_files))
    assert "agenda.toml: not a runofshow journal" in line


def test_a_corrupt_journal_is_not_changed(bad_files: Path) -> None:
    before = (bad_files / "corrupt.jsonl").read_bytes()
    run_cli("report", "corrupt.jsonl", cwd=bad_files)
    assert (bad_files / "corrupt.jsonl").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--tz", "Mars/Olympus"], "runofshow: --tz: unknown time zone"),
        (["--format", "pdf"], "runofshow report: argument --format: invalid choice: 'pdf'"),
        (["-o", "no/such/folder/out.txt"], "runofshow: no/such/folder/out.txt: cannot write"),
        (["-o", "./live.jsonl"], "runofshow: ./live.jsonl: is a journal being reported on"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(journals: Path, args: list[str], phrase: str) -> None:
    line = _one_line_error(run_cli("report", "live.jsonl", *args, cwd=journals))
    assert line.startswith(phrase), line


def test_a_file_name_cannot_steer_the_terminal(journals: Path, tmp_path: Path) -> None:
    name = "evil\x1b[2J.jsonl"
    line = _one_line_error(run_cli("report", name, cwd=tmp_path))
    assert "\x1b" not in line and "evil\\x1b[2J.jsonl: no such journal" in line


def test_report_does_not_import_textual(journals: Path) -> None:
    probe = (
        "import io, json, sys\n"
        "from contextlib import redirect_stdout\n"
        "import runofshow.cli\n"
        "with redirect_stdout(io.StringIO()) as out:\n"
        "    status = runofshow.cli.main(['report', 'live.jsonl', 'crashed.jsonl'])\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(json.dumps({'status': status, 'printed': len(out.getvalue()), 'textual': loaded}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=journals, timeout=60, check=True
    )
    seen = json.loads(result.stdout)
    assert seen["status"] == 0 and seen["printed"] > 1000
    assert seen["textual"] == []


def test_a_reader_that_stops_early_gets_no_traceback(journals: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "runofshow", "report", "live.jsonl", "--format", "html"],
        cwd=journals,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -0`: gone before the report is written
    errors = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in errors and "Error" not in errors


def test_the_journal_may_be_read_only(journals: Path, tmp_path: Path) -> None:
    path = tmp_path / "archived.jsonl"
    shutil.copy(journals / "live.jsonl", path)
    path.chmod(0o444)
    result = run_cli("report", str(path), "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 11


def test_parsing_the_command_line_loads_no_renderer() -> None:
    """`cli` reads the format registry on every start; the renderers load only when a report is made."""
    probe = (
        "import json, sys\n"
        "import runofshow.cli\n"
        "runofshow.cli._build_parser().parse_args(['report', 'x.jsonl', '--format', 'csv'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('rich', 'pendulum', 'runofshow.report.')))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout) == ["runofshow.report.formats"]
    assert list(report.FORMATS) == ["table", "markdown", "csv", "json", "html", "svg", "xlsx"]


@pytest.mark.parametrize("which", ["output", "journal"])
def test_a_symlink_loop_is_one_line_and_exit_2(journals: Path, tmp_path: Path, which: str) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    loop = tmp_path / "a"
    if which == "output":
        line = _one_line_error(run_cli("report", "live.jsonl", "-o", str(loop), cwd=journals))
        assert line.startswith(f"runofshow: {loop}: cannot write"), line
    else:
        line = _one_line_error(run_cli("report", str(loop), "-o", str(tmp_path / "out.txt"), cwd=journals))
        assert line.startswith(f"runofshow: {loop}: cannot read"), line
