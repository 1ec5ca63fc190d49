"""`board` and `serve --hub` on the command line: every mistake is one line on stderr and exit 2."""

from __future__ import annotations

import pytest

from runofshow.cli import main


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["board"], "board needs --hub URL, or follow links"),
        (["board", "--hub", "nats://h:4222", "ws://h:1/#K"], "not both"),
        (["board", "http://h:1/#K"], "not a follow address"),
        (["board", "ws://h:1/"], "a token is needed"),
        (["board", "--hub", "nats://h:port"], "the port must be a number"),
        (["board", "ws://h:1/#K", "--silent-after", "0"], "--silent-after 0"),
        (["board", "ws://h:1/#K", "--hub-creds", "creds.toml"], "--hub-creds goes with --hub"),
        (["serve"], "serve needs a journal, or --hub URL"),
        (["serve", "j.jsonl", "--hub", "nats://h:4222", "--listen", "1"], "give no journal"),
        (["serve", "--hub", "http://h:4222", "--listen", "1"], "not a hub address"),
        (["serve", "--hub", "nats://h:4222"], "serve --hub needs --listen"),
    ],
)
def test_a_mistake_is_one_line_and_exit_2(argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1 and "Traceback" not in err
