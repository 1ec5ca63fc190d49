"""The speaker briefing: each slot in the speaker's zone and the session's, neighbours, cues, the link."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runofshow.core.agenda import Agenda, load_agenda
from runofshow.interop.briefing import briefing

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
    assert "Countdown link: https://meet.example/stage?token=abc." in text
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
