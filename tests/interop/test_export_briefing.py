"""The speaker briefing: each slot in the speaker's zone and the session's, neighbours, cues, the link."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import Any

import pytest

from runofshow.agenda_file import load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import LIVE
from runofshow.interop.briefing import briefing
from runofshow.session.choice import find_journal

from .conftest import Cli


def test_one_speaker(agenda: Agenda) -> None:
    text = briefing(agenda, ["Bernard Luyiga"])
    assert "## Bernard Luyiga" in text and "## Young Kim" not in text
    assert "- **Your time:** Fri 8 Oct 2021, 12:31–12:41 EAT (Africa/Kampala, UTC+03:00)" in text
    assert "- **Session time:** Fri 8 Oct 2021, 18:31–18:41 KST (Asia/Seoul, UTC+09:00)" in text
    assert (
        "- **Before you:** 18:21–18:31 KST, Work Integration Social Enterprises & International Cooperation (Eric Leyton Inostroza)"
        in text
    )
    assert "- **After you:** 18:41–18:51 KST, Fab City global initiative and SSE (Martin Van Den Borre)" in text
    assert '"Bernard Luyiga, 2 minutes left, please start wrapping up"' in text
    assert '"Bernard Luyiga, 1 minute left, please conclude"' in text
    assert "Countdown link: ask the moderator for the link." in text


def test_every_speaker_and_the_link(cli: Cli, seed: Path, tmp_path: Path) -> None:
    target = tmp_path / "briefing.md"
    link = "https://meet.example/stage?token=abc"
    assert cli("export", seed, "--format", "md", "--link", link, "-o", target).status == 0
    text = target.read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Dara Huot",
        "## Young Kim",
        "## Eric Leyton Inostroza",
        "## Bernard Luyiga",
        "## Martin Van Den Borre",
        "## How the timing works",
    ]
    assert "Countdown link: <https://meet.example/stage?token=abc>." in text
    assert text.count("### ") == 8  # the moderator has four slots
    assert "Fri 8 Oct 2021, 05:41–05:51 EDT (America/Toronto, UTC-04:00)" in text


def test_markdown_in_agenda_text_is_shown_not_obeyed(write_agenda: Any) -> None:
    path = write_agenda(
        '[session]\ntitle = "**Bold** [x](http://evil)"\ndate = "2024-05-01"\ntimezone = "UTC"\n'
        '[[segments]]\nstart = "09:00"\nend = "09:10"\ntitle = "# <b>hi</b>"\nspeaker = "Kim [SSEGOV]\\u001b[2J"\n'
    )
    text = briefing(load_agenda(path), ["Kim [SSEGOV]\x1b[2J"])
    assert "# Speaker briefing: \\*\\*Bold\\*\\* \\[x\\](http://evil)" in text
    assert "### \\# \\<b\\>hi\\</b\\>" in text
    assert "## Kim \\[SSEGOV\\]\\\\x1b\\[2J" in text
    assert "\x1b" not in text


def test_the_served_stage_link_of_the_live_session_is_found(
    cli: Cli, seed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    agenda = load_agenda(seed)
    journal, _ = find_journal(agenda, LIVE, SystemClock().read())
    journal.parent.mkdir(parents=True)
    journal.write_text("")
    for suffix, text in (
        (".token", "cohost-secret"),
        (".stage-token", "stage-secret"),
        (".served", "http://192.0.2.10:8765"),
    ):
        note = journal.with_name(journal.name + suffix)
        note.write_text(text + "\n")
        note.chmod(0o600)
    # No controller holds the journal: the note is stale, and no link is given.
    assert "ask the moderator for the link" in cli("export", seed, "--format", "md").out
    with open(journal) as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        out = cli("export", seed, "--format", "md", "--speaker", "Young Kim").out
    assert "Countdown link: <http://192.0.2.10:8765/stage#stage-secret>." in out
    assert "cohost-secret" not in out
