"""What `run` tells the moderator on the way out: the command that comes back to the same session."""

from __future__ import annotations

from pathlib import Path

from runofshow.commands.run import invoked_as, resume_command


def test_bare_runofshow_comes_back_with_bare_runofshow() -> None:
    assert resume_command(None, rehearsal=False, log=None, serve=None, certfile=None, keyfile=None) == "runofshow"


def test_the_flags_that_chose_the_journal_mode_and_server_are_kept() -> None:
    command = resume_command(
        "agendas/my show.toml", rehearsal=True, log=None, serve="0.0.0.0:8765", certfile="c.pem", keyfile="k.pem"
    )
    assert command == (
        "runofshow run 'agendas/my show.toml' --rehearsal --serve 0.0.0.0:8765 --certfile c.pem --keyfile k.pem"
    )


def test_a_journal_given_by_hand_is_named() -> None:
    command = resume_command(None, rehearsal=False, log="/tmp/s.jsonl", serve=None, certfile=None, keyfile=None)
    assert command == "runofshow run --log /tmp/s.jsonl"


# -- the program, as it was started ----------------------------------------------------------


def nowhere(name: str) -> str | None:
    return None


def test_a_script_started_by_its_path_is_named_by_that_path(tmp_path: Path) -> None:
    script = tmp_path / ".venv" / "bin" / "runofshow"
    script.parent.mkdir(parents=True)
    script.write_text("")
    assert invoked_as(".venv/bin/runofshow", cwd=str(tmp_path), which=nowhere) == [".venv/bin/runofshow"]
    # The kernel hands a script found by its path to Python as an absolute path: shown from here.
    assert invoked_as(str(script), cwd=str(tmp_path), which=nowhere) == [".venv/bin/runofshow"]
    assert invoked_as(str(script), cwd="/", which=nowhere) == [str(script)[1:]]
    assert invoked_as(str(script), cwd=str(script.parent), which=nowhere) == ["./runofshow"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert invoked_as(str(script), cwd=str(elsewhere), which=nowhere) == [str(script)]


def test_a_script_on_the_path_is_named_by_its_name(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "runofshow"
    script.parent.mkdir()
    script.write_text("")
    assert invoked_as(str(script), cwd="/", which=lambda name: str(script)) == ["runofshow"]
    other = tmp_path / "other"
    other.write_text("")  # another runofshow comes first on the PATH: name this one
    assert invoked_as(str(script), cwd=str(tmp_path), which=lambda name: str(other)) == ["bin/runofshow"]


def test_python_dash_m_is_named_with_its_interpreter(tmp_path: Path) -> None:
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    main = "/somewhere/runofshow/__main__.py"
    assert invoked_as(main, executable=str(python), cwd=str(tmp_path), which=nowhere) == [
        ".venv/bin/python",
        "-m",
        "runofshow",
    ]
    assert invoked_as(main, executable=str(python), cwd="/", which=lambda name: str(python)) == [
        "python3",
        "-m",
        "runofshow",
    ]


def test_the_resume_command_starts_with_the_program_as_started() -> None:
    command = resume_command(
        "show.toml", rehearsal=False, log=None, serve=None, certfile=None, keyfile=None, program=[".venv/bin/runofshow"]
    )
    assert command == ".venv/bin/runofshow run show.toml"
    bare = resume_command(
        None, rehearsal=False, log=None, serve=None, certfile=None, keyfile=None, program=["my dir/runofshow"]
    )
    assert bare == "'my dir/runofshow'"
