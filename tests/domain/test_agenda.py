"""Valid agendas load to the schedule a person reading the file would expect."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import pendulum
import pytest
from rich.console import Console

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.domain.agenda.model import DEFAULT_FINAL_S, DEFAULT_WRAP_UP_S, Agenda, AgendaError, Gap
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.agenda.values import parse_duration, parse_time
from runofshow.schedule import render_check
from runofshow.words.text import literal
from runofshow.words.timefmt import format_duration

WriteAgenda = Callable[..., Path]

SESSION = """\
[session]
title = "Alliances"
date = "2021-10-08"
timezone = "Asia/Seoul"
"""


def _render(agenda: Agenda, *, terminal: bool = False) -> tuple[str, str]:
    """What `check` draws: (plain text as exported, raw bytes written to the terminal)."""
    file = io.StringIO()
    console = Console(
        record=True,
        width=120,
        file=file,
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
    )
    console.print(render_check(agenda))
    return console.export_text(), file.getvalue()


def _clock(moment: pendulum.DateTime, tz: str) -> str:
    return moment.in_tz(tz).format("HH:mm")


# ---------------------------------------------------------------------------
# The seed agenda

SEED_SLOTS = [
    # number, title, KST, UTC, speaker
    (1, "Internet connection check", "18:00–18:01", "09:00–09:01", None),
    (2, "Introduction of the moderator", "18:01–18:06", "09:01–09:06", "Dara Huot"),
    (
        3,
        "Introduction of the session: background information, main question, objectives and panel members",
        "18:06–18:11",
        "09:06–09:11",
        "Dara Huot",
    ),
    (4, "Network of local governments promoting SSE", "18:11–18:21", "09:11–09:21", "Young Kim"),
    (
        5,
        "Work Integration Social Enterprises & International Cooperation",
        "18:21–18:31",
        "09:21–09:31",
        "Eric Leyton Inostroza",
    ),
    (
        6,
        "Laying the Foundation for SSE Agenda in East and Central Africa",
        "18:31–18:41",
        "09:31–09:41",
        "Bernard Luyiga",
    ),
    (7, "Fab City global initiative and SSE", "18:41–18:51", "09:41–09:51", "Martin Van Den Borre"),
    (8, "Questions and discussions guided by the moderator", "18:51–19:15", "09:51–10:15", "Dara Huot"),
    (9, "Q&A: from participants via chat", "19:15–19:25", "10:15–10:25", "Dara Huot"),
    (10, "Closing remarks by the speakers and the moderator", "19:25–19:30", "10:25–10:30", None),
]


def test_seed_loads_to_the_ten_slots(seed: Path) -> None:
    agenda = load_agenda(seed)
    got = [
        (
            s.number,
            s.title,
            f"{_clock(s.start, 'Asia/Seoul')}–{_clock(s.end, 'Asia/Seoul')}",
            f"{_clock(s.start, 'UTC')}–{_clock(s.end, 'UTC')}",
            s.speaker,
        )
        for s in agenda.segments
    ]
    assert got == SEED_SLOTS
    assert all(s.start.date() == pendulum.Date(2021, 10, 8) for s in agenda.segments)
    assert all(s.start.timezone_name == "Asia/Seoul" for s in agenda.segments)


def test_seed_session_and_totals(seed: Path) -> None:
    agenda = load_agenda(seed)
    session = agenda.session
    assert session.date == pendulum.Date(2021, 10, 8)
    assert session.timezone == "Asia/Seoul"
    assert session.also_show == ("UTC",)
    assert (session.host, session.host_timezone) == ("Dara Huot", "Asia/Phnom_Penh")
    assert agenda.start == pendulum.datetime(2021, 10, 8, 9, 0, tz="UTC")
    assert agenda.end == pendulum.datetime(2021, 10, 8, 10, 30, tz="UTC")
    assert agenda.duration_s == 90 * 60
    assert agenda.gaps == ()
    assert agenda.path == str(seed)
    assert agenda.source == seed.read_text(encoding="utf-8")


def test_seed_flexible_segments_and_their_floors(seed: Path) -> None:
    agenda = load_agenda(seed)
    flexible = {s.number: s.min_duration_s for s in agenda.segments if s.flexible}
    assert flexible == {8: 12 * 60, 9: 5 * 60}
    # A fixed segment cannot shrink: its floor is its own length.
    assert all(s.min_duration_s == s.duration_s for s in agenda.segments if not s.flexible)


def test_seed_speakers_keep_their_own_zones(seed: Path) -> None:
    zones = {s.speaker: s.timezone for s in load_agenda(seed).segments if s.speaker}
    assert zones == {
        "Dara Huot": "Asia/Phnom_Penh",
        "Young Kim": "Asia/Seoul",
        "Eric Leyton Inostroza": "America/Santiago",
        "Bernard Luyiga": "Africa/Kampala",
        "Martin Van Den Borre": "America/Toronto",
    }


def test_seed_thresholds_skipped_for_the_one_minute_check(seed: Path) -> None:
    segments = load_agenda(seed).segments
    # 2m wrap-up and 1m final would fire the moment a 1-minute segment starts.
    assert (segments[0].wrap_up_s, segments[0].final_s) == (None, None)
    assert all((s.wrap_up_s, s.final_s) == (120, 60) for s in segments[1:])


def test_bundled_agenda_is_the_seed(seed: Path) -> None:
    assert bundled_agenda().read_bytes() == seed.read_bytes()


# ---------------------------------------------------------------------------
# Crossing midnight


MIDNIGHT = (
    SESSION
    + """\
also_show = ["UTC"]

[[segments]]
start = "23:30"
end = "00:30"
title = "Late night"

[[segments]]
duration = "30m"
title = "After midnight"

[[segments]]
start = "01:15"
end = "02:00"
title = "After a pause"
"""
)


def test_midnight_crossing_moves_to_the_next_day() -> None:
    agenda = parse_agenda(MIDNIGHT, "midnight.toml")
    seoul = [(s.start.in_tz("Asia/Seoul"), s.end.in_tz("Asia/Seoul")) for s in agenda.segments]
    assert [(a.isoformat(), b.isoformat()) for a, b in seoul] == [
        ("2021-10-08T23:30:00+09:00", "2021-10-09T00:30:00+09:00"),
        ("2021-10-09T00:30:00+09:00", "2021-10-09T01:00:00+09:00"),
        ("2021-10-09T01:15:00+09:00", "2021-10-09T02:00:00+09:00"),
    ]
    assert [s.duration_s for s in agenda.segments] == [3600, 1800, 2700]
    assert agenda.gaps == (Gap(after=2, seconds=15 * 60),)
    assert agenda.offset_of(agenda.segments[2]) == 105 * 60


def test_midnight_crossing_is_marked_in_check() -> None:
    text, _ = _render(parse_agenda(MIDNIGHT, "midnight.toml"))
    assert "23:30–00:30+1d" in text
    assert "01:15+1d–02:00+1d" in text
    # In UTC the whole session stays on the 8th: no day mark.
    assert "14:30–15:30" in text and "16:15–17:00" in text
    assert "14:30–15:30+1d" not in text and "16:15–17:00+1d" not in text


def test_a_step_back_of_12h_or_more_is_the_next_day() -> None:
    agenda = parse_agenda(
        SESSION
        + """
[[segments]]
start = "12:00"
end = "19:00"
title = "Day"

[[segments]]
start = "07:00"
duration = "10m"
title = "Next morning"
""",
        "x.toml",
    )
    second = agenda.segments[1]
    assert second.start.isoformat() == "2021-10-09T07:00:00+09:00"
    assert agenda.gaps == (Gap(after=1, seconds=12 * 3600),)


def test_a_segment_of_exactly_12h_is_allowed_across_midnight() -> None:
    agenda = parse_agenda(SESSION + '[[segments]]\nstart = "18:00"\nend = "06:00"\ntitle = "Night"\n', "x.toml")
    assert agenda.segments[0].end.isoformat() == "2021-10-09T06:00:00+09:00"
    assert agenda.segments[0].duration_s == 12 * 3600


# ---------------------------------------------------------------------------
# Daylight saving: durations are real time


def _new_york(date: str, segments: str) -> Agenda:
    text = SESSION.replace("2021-10-08", date).replace("Asia/Seoul", "America/New_York") + segments
    return parse_agenda(text, "dst.toml")


def test_duration_across_fall_back_is_real_time() -> None:
    agenda = _new_york(
        "2021-11-07",
        '[[segments]]\nstart = "00:30"\nduration = "2h"\ntitle = "A"\n[[segments]]\nduration = "10m"\ntitle = "B"\n',
    )
    a, b = agenda.segments
    assert a.duration_s == 2 * 3600
    assert a.end.isoformat() == "2021-11-07T01:30:00-05:00"  # the second 01:30
    assert b.start == a.end and b.duration_s == 600


def test_duration_across_spring_forward_is_real_time() -> None:
    agenda = _new_york(
        "2021-03-14",
        '[[segments]]\nstart = "01:30"\nduration = "1h"\ntitle = "A"\n[[segments]]\nduration = "10m"\ntitle = "B"\n',
    )
    a, b = agenda.segments
    assert a.end.isoformat() == "2021-03-14T03:30:00-04:00"
    assert (a.duration_s, b.start, b.duration_s) == (3600, a.end, 600)


def test_end_across_fall_back_counts_the_repeated_hour() -> None:
    agenda = _new_york("2021-11-07", '[[segments]]\nstart = "00:30"\nend = "02:30"\ntitle = "A"\n')
    assert agenda.segments[0].duration_s == 3 * 3600
    with pytest.raises(AgendaError, match=r"duration: is 2:00:00 but start to end is 3:00:00"):
        _new_york("2021-11-07", '[[segments]]\nstart = "00:30"\nend = "02:30"\nduration = "2h"\ntitle = "A"\n')


# ---------------------------------------------------------------------------
# Text is data


ESC_SPEAKER = "\x1b[31mred\x1b[0m"
UNICODE = (
    SESSION.replace('"Alliances"', '"[bold]Panel[/bold] 🎤 사회적경제"')
    + """\
also_show = ["UTC"]
host = "Kim [SSEGOV]"

[[segments]]
start = "18:00"
end = "18:10"
title = "[bold]x[/bold] 社会的経済 🎉"
speaker = "Kim [SSEGOV]"
country = "대한민국"

[[segments]]
duration = "10m"
title = "مرحبا بالجميع"
speaker = "\\u001b[31mred\\u001b[0m"

[[segments]]
duration = "5m"
title = "שלום \\u202eevil"
speaker = "[link=https://example.com]click[/link]"
"""
)


def test_unicode_and_brackets_are_kept_verbatim() -> None:
    agenda = parse_agenda(UNICODE, "unicode.toml")
    assert agenda.session.title == "[bold]Panel[/bold] 🎤 사회적경제"
    assert agenda.session.host == "Kim [SSEGOV]"
    assert [(s.title, s.speaker) for s in agenda.segments] == [
        ("[bold]x[/bold] 社会的経済 🎉", "Kim [SSEGOV]"),
        ("مرحبا بالجميع", ESC_SPEAKER),
        ("שלום \u202eevil", "[link=https://example.com]click[/link]"),
    ]
    assert agenda.segments[0].country == "대한민국"
    assert agenda.end.isoformat() == "2021-10-08T18:25:00+09:00"


def test_check_draws_agenda_text_as_written() -> None:
    text, _ = _render(parse_agenda(UNICODE, "unicode.toml"))
    for shown in (
        "[bold]Panel[/bold] 🎤 사회적경제",
        "Host: Kim [SSEGOV]",
        "[bold]x[/bold] 社会的経済 🎉",
        "Kim [SSEGOV] (대한민국)",
        "مرحبا بالجميع",
        "[link=https://example.com]click[/link]",
        # Control characters are drawn as visible escapes.
        "\\x1b[31mred\\x1b[0m",
        "שלום \\u202eevil",
    ):
        assert shown in text
    assert "\x1b" not in text and "\u202e" not in text


def test_check_on_a_terminal_writes_no_escape_from_the_agenda() -> None:
    _, raw = _render(parse_agenda(UNICODE, "unicode.toml"), terminal=True)
    assert "\x1b[" in raw  # the terminal does get Rich's own styling...
    assert "\x1b[31mred" not in raw  # ...but never the agenda's
    assert "\\x1b[31mred\\x1b[0m" in raw
    assert "\u202e" not in raw


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain", "plain"),
        ("Kim [SSEGOV]", "Kim [SSEGOV]"),
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("bell\x07", "bell\\x07"),
        ("cr\rlf", "cr\\x0dlf"),
        ("two\nlines", "two⏎lines"),
        ("tab\there", "tab here"),
        ("c1\x9b31m", "c1\\x9b31m"),
        ("\u202eevil\u2066", "\\u202eevil\\u2066"),
        ("مرحبا שלום 社会 🎉", "مرحبا שלום 社会 🎉"),
    ],
)
def test_literal_makes_controls_visible(text: str, shown: str) -> None:
    assert literal(text) == shown


# ---------------------------------------------------------------------------
# Values


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10m", 600),
        ("90s", 90),
        ("1h30m", 5400),
        ("1m30s", 90),
        ("1h", 3600),
        ("2h0m5s", 7205),
        (" 5M ", 300),
        ("0s", 0),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "m", "1m1h", "1h 30m", "-5m", "1.5h", "ten minutes", "10min"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_parse_duration_rejects_a_number() -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("18:00", dt.time(18, 0)),
        ("9:05", dt.time(9, 5)),
        ("00:00", dt.time(0, 0)),
        ("23:59:59", dt.time(23, 59, 59)),
        (" 18:30 ", dt.time(18, 30)),
        (dt.time(18, 0, 0, 500), dt.time(18, 0)),  # a TOML local time
    ],
)
def test_parse_time(value: object, expected: dt.time) -> None:
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    "value",
    ["24:00", "18:60", "18:00:60", "18", "18:0", "6pm", "18.00", "", 1800, dt.time(18, 0, tzinfo=dt.UTC)],
)
def test_parse_time_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_time(value)


@pytest.mark.parametrize(
    ("seconds", "signed", "shown"),
    [
        (0, False, "0:00"),
        (59, False, "0:59"),
        (59.6, False, "1:00"),
        (90, False, "1:30"),
        (3599, False, "59:59"),
        (3600, False, "1:00:00"),
        (5400, False, "1:30:00"),
        (-90, False, "-1:30"),
        (90, True, "+1:30"),
        (-90, True, "-1:30"),
        (0, True, "0:00"),
    ],
)
def test_format_duration(seconds: float, signed: bool, shown: str) -> None:
    assert format_duration(seconds, signed=signed) == shown


# ---------------------------------------------------------------------------
# Warning thresholds


def test_thresholds_as_long_as_the_segment_are_skipped() -> None:
    agenda = parse_agenda(
        SESSION
        + """
[warnings]
wrap_up = "10m"
final = "5m"

[[segments]]
start = "18:00"
duration = "10m"
title = "Exactly the wrap-up"

[[segments]]
duration = "5m"
title = "Exactly the final"

[[segments]]
duration = "20m"
title = "Long enough"

[[segments]]
duration = "20m"
title = "Own warnings"
warnings = { wrap_up = "3m", final = false }
""",
        "w.toml",
    )
    assert [(s.wrap_up_s, s.final_s) for s in agenda.segments] == [
        (None, 300),
        (None, None),
        (600, 300),
        (180, None),
    ]


def test_default_thresholds_without_a_warnings_table() -> None:
    agenda = parse_agenda(SESSION + '[[segments]]\nstart = "18:00"\nduration = "10m"\ntitle = "A"\n', "d.toml")
    assert (agenda.segments[0].wrap_up_s, agenda.segments[0].final_s) == (DEFAULT_WRAP_UP_S, DEFAULT_FINAL_S)


def test_end_taken_from_the_next_start(write_agenda: WriteAgenda) -> None:
    path = write_agenda(
        SESSION
        + '[[segments]]\nstart = "18:00"\ntitle = "Open"\n'
        + '[[segments]]\nstart = "18:20"\nduration = "5m"\ntitle = "Next"\n'
    )
    first, second = load_agenda(path).segments
    assert (first.duration_s, second.start) == (20 * 60, first.end)


def test_utf8_bom_and_toml_local_times_are_accepted(write_agenda: WriteAgenda) -> None:
    path = write_agenda(
        b"\xef\xbb\xbf"
        + (
            SESSION.replace('date = "2021-10-08"', "date = 2021-10-08")
            + '[[segments]]\nstart = 18:00:00\nend = 18:10:00\ntitle = "A"\n'
        ).encode()
    )
    segment = load_agenda(path).segments[0]
    assert (segment.start.isoformat(), segment.duration_s) == ("2021-10-08T18:00:00+09:00", 600)


MESSAGES = """\
messages = ["Five minutes to the break", "  Slides, please  "]

[session]
title = "Show"
date = "2021-10-08"
timezone = "UTC"

[[segments]]
start = "09:00"
duration = "10m"
title = "Talk"
messages = ["Ana: your mic", "Ana: your mic"]

[[segments]]
duration = "5m"
title = "Q&A"
"""


def test_preset_messages_come_globally_and_per_segment() -> None:
    agenda = parse_agenda(MESSAGES, "show.toml")
    assert agenda.messages == ("Five minutes to the break", "Slides, please")
    assert [segment.messages for segment in agenda.segments] == [("Ana: your mic",), ()]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('messages = ["Five', "messages = 3 #"),
            'show.toml:1: messages: must be a list of texts, like ["Please wrap up"]',
        ),
        (('["Ana: your mic", "Ana: your mic"]', '[""]'), 'show.toml:12: segment 1 "Talk": messages: has an empty text'),
        (('["Ana: your mic", "Ana: your mic"]', '["' + "x" * 121 + '"]'), "too long for one line (at most 120)"),
    ],
)
def test_bad_preset_messages_are_one_line(change: tuple[str, str], expected: str) -> None:
    with pytest.raises(AgendaError) as raised:
        parse_agenda(MESSAGES.replace(*change), "show.toml")
    assert expected in str(raised.value)
