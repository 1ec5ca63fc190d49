"""A journal header or a server that tries to drive the co-host's terminal, in a real pseudo-terminal.

Whoever writes a journal, or sits on the path of a plain ws:// link, chooses
the header's user, host and paths and the close reasons. What reaches the
terminal must never carry their escape sequences: no OSC (title, clipboard),
no CSI of theirs, no C1 control.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.events import REHEARSAL
from runofshow.domain.instants import format_instant
from runofshow.journal.codec import encode, new_header
from runofshow.sync.server import bind
from tests.kit.pty import Pty

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="pty details differ elsewhere"), pytest.mark.pty]

#: Each would do something to a terminal if it were written raw.
OSC_TITLE = "\x1b]0;PWNED-TITLE\x07"
OSC_CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4K\x07"
CLEAR = "\x1b[2JCLEARED"
C1_CSI = "\u009b31mRED"
C1_OSC = "\u009d0;C1TITLE\u009c"
HOSTILE = OSC_TITLE + OSC_CLIPBOARD + CLEAR + C1_CSI + C1_OSC


def hostile_header_line() -> bytes:
    """A header whose user, host and agenda path, and the agenda's title, are escape sequences."""
    seed = load_agenda(bundled_agenda())
    source = seed.source.replace(
        f'title = "{seed.session.title}"', 'title = "Show \\u001b]0;AGENDA-TITLE\\u0007 \\u009b2J"', 1
    )
    agenda = parse_agenda(source, str(bundled_agenda()))
    header = new_header(agenda, REHEARSAL, SystemClock().read())
    header = replace(header, user="mallory" + HOSTILE, host="evil" + HOSTILE, agenda_path="/tmp/" + HOSTILE)
    return encode(header.to_json())


def assert_nothing_drives_the_terminal(raw: bytes) -> None:
    """No OSC at all, none of the payload's CSI, and no C1 control, in what reached the pty."""
    text = raw.decode("utf-8", errors="replace")
    # Textual itself sets the mouse pointer's shape (OSC 22); any other OSC would be the payload's.
    osc = set(re.findall(r"\x1b\](\d*)", text))
    assert osc <= {"22"}, f"OSC {sorted(osc)} reached the terminal"
    assert b"\x1b[2JCLEARED" not in raw
    c1 = sorted({f"U+{ord(ch):04X}" for ch in text if 0x80 <= ord(ch) <= 0x9F})
    assert not c1, f"C1 controls reached the terminal: {c1}"
    for marker in (b"PWNED-TITLE", b"C1TITLE", b"AGENDA-TITLE"):
        index = raw.find(marker)
        if index >= 0:  # shown, but only as text: the bytes before it are not an escape
            assert b"\x1b]" not in raw[max(0, index - 8) : index] and b"\x9d" not in raw[max(0, index - 8) : index]


def follow_env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path), COLUMNS="120", LINES="30")


def test_a_crafted_journal_header_cannot_drive_the_terminal(tmp_path: Path) -> None:
    journal = tmp_path / "hostile.jsonl"
    journal.write_bytes(hostile_header_line())
    command = [sys.executable, "-m", "runofshow", "follow", str(journal)]
    with Pty(command, follow_env(tmp_path)) as screen:
        screen.read_until("FOLLOWING")
        screen.read_until("mallory")
        screen.read_for(1.5)
        shown = screen.text()
        screen.send(b"q")
        screen.finish()
    assert_nothing_drives_the_terminal(screen.raw)
    assert "\\x1b]0;PWNED-TITLE" in shown  # the header is shown, made visible


@pytest.fixture
def rogue_server() -> Iterator[int]:
    """A server that is not runofshow: it sends the hostile header, then drops the follower with a hostile reason."""
    sock = bind("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    header = hostile_header_line().decode().rstrip("\n")
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()

    async def handler(connection: ServerConnection) -> None:
        await connection.send(header)
        await connection.send(json.dumps({"type": "heartbeat", "wall": format_instant(SystemClock().read().wall_us)}))
        await asyncio.sleep(1.0)
        await connection.close(1013, "behind" + OSC_TITLE + C1_CSI)

    async def main() -> None:
        async with serve(handler, sock=sock):
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    yield port
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)


@pytest.mark.network
def test_a_rogue_server_cannot_drive_the_terminal(tmp_path: Path, rogue_server: int) -> None:
    command = [sys.executable, "-m", "runofshow", "follow", f"ws://127.0.0.1:{rogue_server}", "--token", "t"]
    with Pty(command, follow_env(tmp_path)) as screen:
        screen.read_until("FOLLOWING")
        screen.read_until("dropped this follower")  # the close reason, shown
        screen.read_for(0.5)
        screen.send(b"q")
        screen.finish()
    assert_nothing_drives_the_terminal(screen.raw)
