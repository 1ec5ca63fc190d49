"""Any valid agenda loads to an ordered schedule with exactly the gaps it states.

The agendas are generated as TOML text, the way a person writes them: starts
given or left out, ends given as `end`, `duration`, both, or taken from the
next start, with pauses and midnight crossings.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import zoneinfo
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runofshow.domain.agenda.model import Gap
from runofshow.domain.agenda.parse import parse_agenda

# Zones with no daylight saving in the dates drawn: wall-clock and real time agree.
STEADY_ZONES = ["Asia/Seoul", "UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/Santiago"]
MAX = 12 * 3600


@dataclass(frozen=True)
class Planned:
    """One generated segment: what was written and what it must load to."""

    title: str
    speaker: str | None
    start: dt.datetime  # aware, in the session's zone
    length: int
    gap: int  # seconds after the previous segment's end


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif unicodedata.category(ch) == "Cc":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@st.composite
def _clock(draw: st.DrawFn, moment: dt.datetime) -> str:
    """A time of day in one of the forms the file may use."""
    form = draw(st.sampled_from(["padded", "unpadded", "toml"]))
    if form == "toml":
        return moment.strftime("%H:%M:%S")  # a bare TOML local time
    hour = f"{moment.hour:02d}" if form == "padded" else str(moment.hour)
    seconds = f":{moment.second:02d}" if moment.second or draw(st.booleans()) else ""
    return f'"{hour}:{moment.minute:02d}{seconds}"'


@st.composite
def _duration(draw: st.DrawFn, seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    forms = [
        "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n),
        f"{seconds}s",
        f"{hours}h{minutes}m{secs}s",
    ]
    if seconds % 60 == 0:
        forms.append(f"{seconds // 60}m")
    return '"' + draw(st.sampled_from(forms)) + '"'


_text = st.text(max_size=12)


@st.composite
def steady_agendas(draw: st.DrawFn) -> tuple[str, list[Planned]]:
    """A valid agenda in a zone without daylight saving, and the schedule it means."""
    tz_name = draw(st.sampled_from(STEADY_ZONES))
    tz = zoneinfo.ZoneInfo(tz_name)
    if tz_name == "America/Santiago":  # Chile keeps one offset from midnight in late June
        date = dt.date(2021, 6, 20)
    else:
        date = draw(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)))
    count = draw(st.integers(1, 8))
    minutes_only = draw(st.booleans())
    unit = 60 if minutes_only else 1
    first = draw(st.integers(0, 86399 // unit)) * unit
    # Lengths and gaps up to 12 h: a time earlier than the one before is then the next day.
    lengths = [draw(st.integers(1, MAX // unit)) * unit for _ in range(count)]
    gap = st.just(0) | st.integers(1, MAX // unit).map(lambda g: g * unit)
    gaps = [0] + [draw(gap) for _ in range(count - 1)]
    ends = [draw(st.sampled_from(["end", "duration", "both", "next"])) for _ in range(count)]
    ends[-1] = ends[-1] if ends[-1] != "next" else "duration"

    lines = [
        "[session]",
        f"title = {_toml_string(draw(_text.filter(str.strip)))}",
        f'date = "{date.isoformat()}"',
        f'timezone = "{tz_name}"',
    ]
    planned: list[Planned] = []
    start = dt.datetime.combine(date, dt.time(0), tzinfo=tz) + dt.timedelta(seconds=first)
    for index in range(count):
        start = start + dt.timedelta(seconds=gaps[index])
        length = lengths[index]
        end = start + dt.timedelta(seconds=length)
        title = draw(_text.filter(str.strip))
        speaker = draw(st.none() | _text)
        lines += ["", "[[segments]]", f"title = {_toml_string(title)}"]
        if speaker is not None:
            lines.append(f"speaker = {_toml_string(speaker)}")
        must_start = index == 0 or gaps[index] > 0 or ends[index - 1] == "next"
        if must_start or draw(st.booleans()):
            lines.append(f"start = {draw(_clock(start))}")
        if ends[index] in ("end", "both"):
            lines.append(f"end = {draw(_clock(end))}")
        if ends[index] in ("duration", "both"):
            lines.append(f"duration = {draw(_duration(length))}")
        if ends[index] == "next":
            gaps[index + 1] = 0  # the next start is this end
        planned.append(Planned(title.strip(), (speaker or "").strip() or None, start, length, gaps[index]))
        start = end
    return "\n".join(lines) + "\n", planned


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(steady_agendas())
def test_valid_agenda_loads_to_the_stated_schedule(generated: tuple[str, list[Planned]]) -> None:
    source, planned = generated
    agenda = parse_agenda(source, "generated.toml")
    segments = agenda.segments
    assert [s.number for s in segments] == list(range(1, len(planned) + 1))
    assert [(s.title, s.speaker) for s in segments] == [(p.title, p.speaker) for p in planned]
    assert segments[0].start == planned[0].start
    for previous, segment, plan in zip((None, *segments), segments, planned):
        assert segment.duration_s == plan.length
        assert (segment.end - segment.start).total_seconds() == plan.length
        if previous is not None:
            assert segment.start >= previous.end
            assert (segment.start - previous.end).total_seconds() == plan.gap
    # A gap belongs to the segment before it: planned[i] follows segment number i.
    assert agenda.gaps == tuple(Gap(i, p.gap) for i, p in enumerate(planned) if p.gap)
    assert agenda.duration_s == sum(p.length + p.gap for p in planned)


# ---------------------------------------------------------------------------
# Across a daylight-saving change, durations are real seconds.

TRANSITIONS = [
    ("America/New_York", dt.date(2021, 3, 14)),
    ("America/New_York", dt.date(2021, 11, 7)),
    ("Europe/Berlin", dt.date(2021, 3, 28)),
    ("Europe/Berlin", dt.date(2021, 10, 31)),
]


@st.composite
def chains_across_dst(draw: st.DrawFn) -> tuple[str, dt.datetime, list[int]]:
    """A start just after midnight on a change day, then segments given only by duration."""
    tz_name, date = draw(st.sampled_from(TRANSITIONS))
    first = dt.time(0, draw(st.integers(0, 59)))
    lengths = draw(st.lists(st.integers(1, 3 * 60).map(lambda m: m * 60), min_size=1, max_size=6))
    lines = ["[session]", 'title = "DST"', f'date = "{date}"', f'timezone = "{tz_name}"']
    for index, length in enumerate(lengths):
        lines += ["[[segments]]", f'title = "S{index}"', f'duration = "{length}s"']
        if index == 0:
            lines.append(f'start = "{first:%H:%M}"')
    start = dt.datetime.combine(date, first, tzinfo=zoneinfo.ZoneInfo(tz_name))
    return "\n".join(lines) + "\n", start, lengths


@settings(max_examples=50, deadline=None)
@given(chains_across_dst())
def test_durations_across_daylight_saving_are_real_time(generated: tuple[str, dt.datetime, list[int]]) -> None:
    source, start, lengths = generated
    segments = parse_agenda(source, "dst.toml").segments
    assert segments[0].start == start
    assert [s.duration_s for s in segments] == lengths
    assert all(b.start == a.end for a, b in zip(segments, segments[1:]))
    elapsed = segments[-1].end.timestamp() - start.timestamp()
    assert elapsed == sum(lengths)
