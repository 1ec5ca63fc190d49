"""What `run` tells the moderator on the way out: the command that comes back to the same session."""

from __future__ import annotations

from runofshow.run import resume_command


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
