"""`follow --control`: the options that take a room over, and a clear line for each that does not fit."""

from __future__ import annotations

import pytest

from runofshow.cli import main

HUB = ["--hub", "nats://127.0.0.1:4222", "--room", "hall-a"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--control", "T", "--room", "r"], "--control takes a room over through the hub: give --hub URL and --room"),
        (["--control", "T", "--silent-after", "2"], "--silent-after is for taking a room over: give --hub URL"),
        (["--control", "T", *HUB, "--as", "ana"], "--as names the sender of commands: it goes with --control, follow"),
        (["--control", "T", "--hub", "nats://h"], "give --hub URL and --room NAME too"),
        (["--silent-after", "2"], "--silent-after is for taking a room over: give --control TOKEN"),
        (["--control", "T", "--hub", "nats://h", "--room", "hall a"], "--room: room 'hall a': use 1 to 64 letters"),
        (["--control", "T", "--hub", "http://h", "--room", "r"], "http://h: not a hub address; use nats://HOST:4222"),
        (["--control", "T", *HUB, "--silent-after", "0"], "--silent-after 0.0: give seconds, more than 0"),
        (["--control", "T", *HUB, "--silent-after", "nan"], "--silent-after nan: give seconds"),
        (["--control", "T", *HUB, "--json"], "--control is for the co-host's screen: not with --stage or --json"),
        (["--hub", "nats://h", "--room", "r"], "--hub and --room are for taking a room over: give --control TOKEN"),
    ],
)
def test_options_that_do_not_fit_are_one_line_and_exit_2(
    args: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["follow", "ws://127.0.0.1:9", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("runofshow: ") and line in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--control", "T", *HUB], "--hub and --room are for following by ws://; nats://HOST/ROOM names its room"),
        (["--control", "T", "--silent-after", "-1"], "--silent-after -1.0: give seconds, more than 0"),
        (["--control", "T", "--stage"], "--control is for the co-host's screen: not with --stage or --json"),
    ],
)
def test_a_room_on_the_hub_is_named_by_its_url(args: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["follow", "nats://127.0.0.1:9/hall-a", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("runofshow: ") and line in err and err.count("\n") == 1
