"""Drive the whole seed workshop through the real screen with a fake clock.

The script: 18:00 start; speaker 2 (Eric) overruns by 2:30; speaker 3 is
paused for two minutes and extended by one; an accidental next during
speaker 4 is undone with previous; the controller crashes during the
discussion and is resumed 30 s later; the Q&A is skipped; the session ends at
19:22:30 KST. The screen and the journal must both tell exactly that story.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import Digits, Static

from runofshow.clock import FakeClock
from runofshow.domain.derive import derive
from runofshow.domain.instants import parse_instant, to_us
from runofshow.session.controller import Controller
from runofshow.session.replay import replay
from runofshow.tui.app import RunofshowApp
from runofshow.tui.widgets import AgendaTable, Countdown, StatusBar
from tests.kit import crash
from tests.kit.screens import to_young_kim

AppFactory = Callable[..., tuple[RunofshowApp, Controller]]


def digits(app: RunofshowApp) -> str:
    """The big number as shown."""
    return app.query_one("#countdown-digits", Digits).value


def text_of(app: RunofshowApp, selector: str) -> str:
    """The plain text a Static shows."""
    content = app.query_one(selector, Static).content
    return content.plain if isinstance(content, Text) else str(content)


def alert_class(app: RunofshowApp) -> str:
    """Which colour class the countdown carries."""
    countdown = app.query_one(Countdown)
    return next(
        name
        for name in ("-running", "-wrap_up", "-final", "-overtime", "-pending", "-done")
        if countdown.has_class(name)
    )


async def advance(app: RunofshowApp, clock: FakeClock, pilot: object, seconds: float) -> None:
    """Let time pass and give the app its wake-up, as its timer would."""
    clock.advance(seconds)
    app.refresh_now()
    await pilot.pause()  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_whole_seed_session(make_app: AppFactory, clock: FakeClock, journal: Path) -> None:
    app, controller = make_app("live")
    async with app.run_test(size=(100, 30)) as pilot:
        # 17:55 KST: the screen counts down to the start.
        assert text_of(app, "#countdown-label") == "starts in"
        assert digits(app) == "5:00"
        await advance(app, clock, pilot, 300)
        assert digits(app) == "1:00"

        # 18:00 start; the connection check runs its minute and rings once at zero.
        await pilot.press("space")
        assert digits(app) == "1:00" and alert_class(app) == "-running"
        await advance(app, clock, pilot, 60)
        assert digits(app) == "+0:00" and alert_class(app) == "-overtime"
        assert app.bells == 1
        await pilot.press("n")
        for seconds in (300, 300):  # moderator intro, session intro: on time
            await advance(app, clock, pilot, seconds)
            await pilot.press("n")

        # 18:11 Young Kim: wrap-up at 8:00, final minute at 9:00, each with a bell and a cue.
        assert "Young Kim" in text_of(app, "#segment-speaker")
        bells = app.bells
        await advance(app, clock, pilot, 480)
        assert digits(app) == "2:00" and alert_class(app) == "-wrap_up"
        assert app.last_cue == "Young Kim, 2 minutes left, please start wrapping up"
        assert "Young Kim, 2 minutes left" in text_of(app, "#cue")
        await advance(app, clock, pilot, 60)
        assert alert_class(app) == "-final"
        assert app.last_cue == "Young Kim, 1 minute left, please conclude"
        assert app.bells == bells + 2
        await advance(app, clock, pilot, 60)
        await pilot.press("n")

        # 18:21 Eric overruns by 2:30; the cue says so and c copies it.
        await advance(app, clock, pilot, 600)
        assert digits(app) == "+0:00"
        await advance(app, clock, pilot, 150)
        assert digits(app) == "+2:30"
        assert app.last_cue == "Eric Leyton Inostroza, we are 2 minutes over, please close now"
        await pilot.press("c")
        assert app.clipboard == app.last_cue
        assert "2:30 behind" in text_of(app, "#status")
        await pilot.press("n")

        # 18:33:30 Bernard: paused for two minutes, then given one more.
        await advance(app, clock, pilot, 180)
        await pilot.press("space")
        await advance(app, clock, pilot, 120)
        assert digits(app) == "7:00" and text_of(app, "#countdown-label").startswith("PAUSED")
        assert "4:30 behind" in text_of(app, "#status")
        await pilot.press("space")
        await pilot.press("plus")
        assert digits(app) == "8:00"
        await advance(app, clock, pilot, 480)
        await pilot.press("n")

        # 18:46:30 Martin; an accidental next is undone with previous.
        await advance(app, clock, pilot, 600)
        await pilot.press("n")
        await advance(app, clock, pilot, 5)
        assert "8/10" in text_of(app, "#segment-title")
        await pilot.press("p")
        assert "7/10" in text_of(app, "#segment-title")
        assert digits(app) == "+0:05"
        await advance(app, clock, pilot, 25)
        await pilot.press("n")

        # 18:57 discussion, 6:00 behind: the flexible segments must shrink.
        status = text_of(app, "#status")
        assert "6:00 behind" in status
        assert "shrink #8 to 19m46s, #9 to 8m14s" in status  # 254 s + 106 s: exactly the 6:00
        await advance(app, clock, pilot, 600)

    # The controller dies at 19:07 and is back 30 s later: the discussion kept running.
    crash(controller)
    clock.advance(30)
    controller = Controller.open(journal, clock)
    app = RunofshowApp(controller, controller, journal_label="session.jsonl", local_zone="UTC")
    async with app.run_test(size=(100, 30)) as pilot:
        assert "8/10" in text_of(app, "#segment-title")
        assert digits(app) == "13:30"  # 24:00 − (10:00 + 0:30 downtime)
        await advance(app, clock, pilot, 600)
        await pilot.press("n")
        await pilot.press("s")  # the Q&A is cut, after asking
        assert "Cut segment 9" in str(app.screen.query_one("#dialog-question", Static).render())
        await pilot.press("y")
        assert "10/10" in text_of(app, "#segment-title")
        await advance(app, clock, pilot, 300)
        await pilot.press("e")
        await pilot.press("y")
        assert text_of(app, "#countdown-label").startswith("session ended")
        assert digits(app) == "1:22:30"
        assert "ended 19:23, 7:30 early (plan 19:30)" in text_of(app, "#status")
        table = app.query_one(AgendaTable)
        assert [cell.plain for cell in table.get_row_at(4)][4:] == ["12:30", "+2:30"]
        assert [cell.plain for cell in table.get_row_at(8)][4] == "skip 0:00"
    controller.close()

    # The journal, replayed, tells the same story to the second.
    replayed = replay(journal)
    view = derive(replayed.engine, clock.read())
    took = [row.actual_s for row in view.segments]
    assert took == [60, 300, 300, 600, 750, 660, 630, 1230, 0, 300]
    bernard = view.segments[5]
    assert (bernard.paused_s, bernard.extended_s, bernard.pauses, bernard.extensions) == (120, 60, 1, 1)
    assert view.segments[8].skipped and view.segments[8].status == "skipped"
    eric = [(w.level, w.minute, w.crossed_us) for w in view.segments[4].warnings]
    assert eric == [
        ("wrap_up", 0, parse_instant("2021-10-08T09:29:00Z")),
        ("final", 0, parse_instant("2021-10-08T09:30:00Z")),
        ("time_up", 0, parse_instant("2021-10-08T09:31:00Z")),
        ("overtime", 1, parse_instant("2021-10-08T09:32:00Z")),
        ("overtime", 2, parse_instant("2021-10-08T09:33:00Z")),
    ]
    assert view.ended and to_us(view.projected_end) == parse_instant("2021-10-08T10:22:30Z")
    kinds = [line for line in journal.read_text().splitlines()]
    assert sum('"type":"reopen"' in line for line in kinds) == 1
    assert sum('"type":"detach"' in line for line in kinds) == 0


@pytest.mark.slow
async def test_quit_asks_while_running_and_the_session_resumes(
    make_app: AppFactory, clock: FakeClock, journal: Path
) -> None:
    app, controller = make_app("rehearsal")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await advance(app, clock, pilot, 20)
        await pilot.press("q")
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("n")
        assert app.is_running
        await pilot.press("q", "y")
    controller.close()
    clock.advance(10)
    again = Controller.open(journal, clock)
    try:
        view = again.view()
        assert view.current == 0 and view.elapsed_s == 30  # it kept counting while no one watched
    finally:
        again.close()


@pytest.mark.slow
async def test_end_asks_first(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("rehearsal")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "e", "escape")
        assert not controller.engine.ended
        await pilot.press("e", "enter")
        assert controller.engine.ended


@pytest.mark.slow
async def test_goto_picks_a_segment_by_number(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("rehearsal")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space", "g", "7", "enter")
        assert controller.engine.current == 6
        assert "Fab City" in text_of(app, "#segment-title")


@pytest.mark.slow
async def test_commands_that_make_no_sense_only_warn(make_app: AppFactory, clock: FakeClock, journal: Path) -> None:
    app, controller = make_app("rehearsal")
    async with app.run_test(size=(80, 24)) as pilot:
        before = journal.read_bytes()
        await pilot.press("n", "p", "plus", "s")
        assert journal.read_bytes() == before
        assert controller.engine.seq == 0
        assert "not started" in text_of(app, "#cue")


@pytest.mark.slow
async def test_mute_silences_the_bell_not_the_warning(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("rehearsal")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "m")
        await advance(app, clock, pilot, 60)
        assert app.bells == 0
        cue = text_of(app, "#cue")
        assert "Time's up" in cue and "Time is up" in cue
        await pilot.press("m")
        await pilot.press("n")
        await advance(app, clock, pilot, 180)
        assert app.bells == 1


@pytest.mark.slow
async def test_journal_failure_shows_a_red_banner_until_writes_work(
    make_app: AppFactory, clock: FakeClock, journal: Path, monkeypatch: object
) -> None:
    import errno
    import os

    app, controller = make_app("rehearsal")
    real_write = os.write
    failing = {"on": False}

    def write(fd: int, data: bytes) -> int:
        if failing["on"] and fd == controller.writer.fd:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)  # type: ignore[attr-defined]
    async with app.run_test(size=(80, 24)) as pilot:
        banner = app.query_one("#banner", Static)
        await pilot.press("space")
        assert not banner.has_class("-visible")
        failing["on"] = True
        await pilot.press("n")
        assert banner.has_class("-visible")
        assert "No space left" in text_of(app, "#banner")
        assert "JOURNAL FAILING" in text_of(app, "#status")
        assert controller.engine.current == 1  # the show goes on in memory
        failing["on"] = False
        await advance(app, clock, pilot, 2)  # the next retry is due after 1 s
        assert not banner.has_class("-visible")
    replayed = replay(journal)
    assert replayed.engine.current == 1 and replayed.engine.seq == controller.engine.seq


async def test_the_agenda_text_is_drawn_literally(tmp_path: Path, clock: FakeClock) -> None:
    from runofshow.domain.agenda.parse import parse_agenda

    agenda = parse_agenda(
        '[session]\ntitle = "[bold]Show[/bold]"\ndate = "2021-10-08"\ntimezone = "Asia/Seoul"\n'
        '[[segments]]\nstart = "18:00"\nduration = "10m"\ntitle = "Talk [red]x[/red]"\nspeaker = "Kim [SSEGOV]"\n'
        'notes = "\\u001b[31mred\\u001b[0m 한국어 🎤"\n',
        "odd.toml",
    )
    controller = Controller.open(tmp_path / "odd.jsonl", clock, agenda=agenda, mode="rehearsal")
    app = RunofshowApp(controller, journal_label="odd.jsonl", local_zone="UTC")
    async with app.run_test(size=(100, 30)):
        assert "[bold]Show[/bold]" in text_of(app, "#top")
        assert "Talk [red]x[/red]" in text_of(app, "#segment-title")
        assert "Kim [SSEGOV]" in text_of(app, "#segment-speaker")
        note = text_of(app, "#segment-note")
        assert "\x1b" not in note and "\\x1b[31mred" in note and "한국어 🎤" in note
    controller.close()


async def test_status_bar_shows_mode_and_clocks(make_app: AppFactory, clock: FakeClock) -> None:
    app, _ = make_app("live")
    async with app.run_test(size=(120, 30)):
        status = app.query_one(StatusBar)
        line = status.content.plain if isinstance(status.content, Text) else str(status.content)
        assert "LIVE" in line and "17:55 KST" in line and "08:55 UTC" in line
        assert "ends 19:30 (plan 19:30)" in line


@pytest.mark.slow
async def test_ticks_go_on_under_a_dialog(make_app: AppFactory, clock: FakeClock) -> None:
    """With help or a question on top, the countdown underneath keeps true time and warnings still ring."""
    app, controller = make_app("rehearsal")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space", "question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await advance(app, clock, pilot, 60)
        assert app.tick_error is None and app.is_running
        assert digits(app) == "+0:00" and app.bells == 1
        await pilot.press("escape", "e")
        await advance(app, clock, pilot, 5)
        assert app.tick_error is None and digits(app) == "+0:05"


@pytest.mark.slow
async def test_the_layout_follows_a_resize_at_once(make_app: AppFactory) -> None:
    app, _ = make_app("rehearsal")
    async with app.run_test(size=(100, 30)) as pilot:
        assert not app.screen.has_class("-wide")
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert app.screen.has_class("-wide")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.screen.has_class("-wide")


async def test_a_late_live_start_counts_up_its_lateness(make_app: AppFactory, clock: FakeClock) -> None:
    """Past the planned start and not started: the screen says so, second by second."""
    app, _ = make_app("live")
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(app, clock, pilot, 300 + 5.4)
        assert digits(app) == "+0:05"
        assert text_of(app, "#countdown-label").startswith("LATE")
        assert "0:05 behind" in text_of(app, "#status")
        assert app.next_delay(app.source.view()) < 1.0  # not the next minute


@pytest.mark.slow
async def test_space_well_before_a_live_start_asks_first(make_app: AppFactory, clock: FakeClock) -> None:
    app, controller = make_app("live")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space")
        assert app.screen.__class__.__name__ == "ConfirmScreen" and not controller.engine.started
        await pilot.press("n")
        assert not controller.engine.started
        await pilot.press("space", "y")
        assert controller.engine.started


async def test_a_warning_flashes_in_the_cue_line_not_over_the_status_line(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """The warning's title shows beside the cue for 8 s; no toast covers the status line."""
    app, controller = make_app("rehearsal")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space")
        await advance(app, clock, pilot, 60)  # the connection check's time is up
        assert text_of(app, "#cue").startswith(" Time's up ")
        assert not [n for n in app._notifications if n.title == "Time's up"]
        await advance(app, clock, pilot, 8)
        assert "Time's up" not in text_of(app, "#cue") and "Time is up" in text_of(app, "#cue")


async def test_notices_show_in_the_cue_line_never_over_the_status_line(make_app: AppFactory, clock: FakeClock) -> None:
    """ "Bell muted", "copied" and the like go where the warnings go; the status line keeps the projected end."""
    app, controller = make_app("live", notes=["Resumed session.jsonl: 0:30 since its last record"])
    to_young_kim(controller, clock, 490)  # wrap-up: there is a cue to copy
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert "Resumed session.jsonl: 0:30 since its last record" in text_of(app, "#cue")
        await pilot.press("m")
        await pilot.pause()
        assert "Bell muted" in text_of(app, "#cue")
        await pilot.press("c")
        await pilot.pause()
        assert "Young Kim, 2 minutes left" in text_of(app, "#cue") and "clipboard" in text_of(app, "#cue")
        assert not app.screen.query("Toast") and not app._notifications
        assert "ends 19:30 (plan 19:30)" in text_of(app, "#status")


async def test_a_notice_leaves_the_cue_line_when_its_time_is_up(make_app: AppFactory, clock: FakeClock) -> None:
    app, _ = make_app("rehearsal")
    async with app.run_test(size=(100, 30)) as pilot:
        app.notify("Gone soon", timeout=0.1)
        await pilot.pause()
        assert text_of(app, "#cue") == "Gone soon"
        await pilot.pause(0.3)
        assert text_of(app, "#cue") == ""


async def test_after_the_end_no_cue_stays_and_the_line_says_the_end_once(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app, controller = make_app("live")
    clock.set_wall("2021-10-08T10:25:00Z")
    controller.command("start")  # late, straight into the connection check
    controller.command("goto", to=10)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(app, clock, pilot, 300)  # the closing's time is up
        assert text_of(app, "#cue").startswith(" Time's up ")
        await advance(app, clock, pilot, 254.6)
        controller.command("end")
        app.refresh_now()
        await pilot.pause()
        assert "Time's up" not in text_of(app, "#cue")
        status = text_of(app, "#status")
        assert "ended 19:34, 4:15 late (plan 19:30)" in status and status.count("ended") == 1


async def test_with_nothing_flexible_left_the_status_line_still_says_what_is_lost(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app, controller = make_app("live")
    clock.set_wall("2021-10-08T10:25:00Z")
    controller.command("start")
    controller.command("goto", to=10)
    async with app.run_test(size=(100, 30)) as pilot:
        await advance(app, clock, pilot, 554)
        assert "Nothing flexible is left: 4m14s can't be recovered" in text_of(app, "#status")


async def test_paused_figures_wake_the_screen_every_second(make_app: AppFactory, clock: FakeClock) -> None:
    """While paused the countdown stands still, but behind/ahead and the projected end grow each second."""
    app, _ = make_app("rehearsal")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space")
        await advance(app, clock, pilot, 10)
        await pilot.press("space")  # pause
        await advance(app, clock, pilot, 30.2)
        assert "0:30 behind" in text_of(app, "#status")
        assert app.next_delay(app.source.view()) <= 1.0
        await advance(app, clock, pilot, app.next_delay(app.source.view()))
        assert "0:31 behind" in text_of(app, "#status")
