"""The control API's arguments, the co-host's command messages and OSC addresses, without a server."""

from __future__ import annotations

import pytest

from runofshow.domain.commands import Extend, Goto, Message, Next
from runofshow.sync.control import Call, Refused, call_of, sender_name
from runofshow.sync.control_client import command_message, worded
from runofshow.sync.osc import osc_call


def test_arguments_come_from_the_path_or_the_fields_and_are_checked() -> None:
    assert call_of("goto", {}, "3") == Call("goto", {"to": 3}, None)
    assert call_of("goto", {"to": "2", "if_seq": "41"}) == Call("goto", {"to": 2}, 41)
    assert call_of("extend", {}, "-60") == Call("extend", {"seconds": -60.0}, None)
    assert call_of("message", {"text": "hi", "pinned": "1"}) == Call("message", {"text": "hi", "pinned": True}, None)
    assert call_of("clear-message", {}) == Call("message", {"text": ""}, None)
    assert call_of("later", {"after": 4}) == Call("later", {"after": 4}, None)
    assert call_of("next", {"as": "deck"}) == Call("next", {}, None)
    for name, fields, arg, status in (
        ("goto", {}, "x", 400),
        ("goto", {}, "2.5", 400),
        ("extend", {}, "0", 400),
        ("extend", {"seconds": "inf"}, None, 400),
        ("extend", {"seconds": True}, None, 400),
        ("message", {"text": "  "}, None, 400),
        ("message", {"text": "x" * 281}, None, 400),
        ("next", {"if_seq": "soon"}, None, 400),
        ("next", {}, "3", 404),
        ("dance", {}, None, 404),
    ):
        with pytest.raises(Refused) as refused:
            call_of(name, fields, arg)
        assert refused.value.status.value == status and "\n" not in refused.value.text


def test_a_sender_s_name_is_printable_and_short() -> None:
    assert sender_name("Ana\x1b[31m", "x") == "Ana[31m"
    assert sender_name("", "http") == "http" and sender_name(None, "ws") == "ws"
    assert len(sender_name("n" * 100, "x")) == 40


def test_a_cohost_s_commands_become_websocket_messages() -> None:
    assert command_message(Next(if_seq=4), 1) == {"id": 1, "command": "next", "if_seq": 4}
    assert command_message(Goto(3), 2) == {"id": 2, "command": "goto", "to": 3}
    assert command_message(Extend(-60.0), 3) == {"id": 3, "command": "extend", "seconds": -60.0}
    assert command_message(Message("", if_seq=9), 4) == {"id": 4, "command": "clear-message", "if_seq": 9}
    assert worded("next", {"ok": True, "seq": 5}) == (True, "Done: next", 5)
    done, words, _ = worded("next", {"ok": False, "code": 409, "error": "the session changed since"})
    assert not done and words.startswith("Not done (next): the session changed")


def test_osc_addresses_name_a_command_and_its_argument() -> None:
    assert osc_call("/runofshow/next", []) == ("next", Call("next", {}, None))
    assert osc_call("/runofshow/extend", [60]) == ("extend", Call("extend", {"seconds": 60.0}, None))
    assert osc_call("/runofshow/goto", [2]) == ("goto", Call("goto", {"to": 2}, None))
    assert osc_call("/runofshow/message", ["wrap up"]) == ("message", Call("message", {"text": "wrap up"}, None))
    assert osc_call("/other/next", []) is None
    assert osc_call("/runofshow/goto", ["x"]) is None


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["follow", "session.jsonl", "--control", "T"], "--control goes with following the moderator's server"),
        (["follow", "ws://127.0.0.1:9", "--token", "T", "--as", "Ana"], "--as names the sender of commands"),
    ],
)
def test_control_flags_used_wrongly_are_one_clear_line(args: list[str], words: str) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "runofshow", *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
