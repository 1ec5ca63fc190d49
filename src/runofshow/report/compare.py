"""Several sessions side by side: lettered A, B, …, each worded in its own zone (or one given)."""

from __future__ import annotations

from runofshow.report.chart import Chart, durations
from runofshow.report.model import OPEN, SKIPPED, Comparison, SegmentReport
from runofshow.report.numbers import duration, signed, whole
from runofshow.report.words import STATUS_WORDS, Shown, delta_tone
from runofshow.words.text import literal
from runofshow.words.timefmt import describe_offset

SEGMENT_HEADER = ("#", "Segment", "Kind", "Plan")
KINDS_NOTE = "Only segments that ran to their end count; how many is in brackets."


def letters(count: int) -> list[str]:
    """A, B, … Z, then AA, AB, …: short column names for sessions."""
    names = []
    for index in range(count):
        name = ""
        index += 1
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        names.append(name)
    return names


def _session_line(letter: str, shown: Shown) -> str:
    s = shown.session
    when = s.planned_start.in_tz(shown.tz).format("ddd D MMM YYYY")
    if s.actual_start is not None:
        when = s.actual_start.in_tz(shown.tz).format("ddd D MMM YYYY HH:mm:ss") + f" {shown.zone_name}"
    took = "not started"
    if s.started:
        took = f"{duration(s.actual_s or 0.0)} for {duration(s.planned_s)} planned, "
        took += describe_offset(whole(s.end_offset_s or 0.0), ended=True) if s.ended else f"not ended ({s.state})"
    return f"{letter}: {s.mode}, {when}; {took} — {literal(s.journal)}"


def cell(segment: SegmentReport | None) -> tuple[str, str]:
    """A comparison cell ("13:00 +3:00", "8:00 -2:00 skipped") and its tone."""
    if segment is None:
        return "", ""
    if segment.actual_s is None:
        return "not run", "plan"
    text = f"{duration(segment.actual_s)} {signed(segment.delta_s)}"
    if segment.status in (SKIPPED, OPEN):
        return f"{text} {STATUS_WORDS[segment.status]}", segment.status
    return text, delta_tone(segment)


class Compared:
    """A comparison as it is shown: sessions lettered A, B, …, each in its zone (or one given)."""

    def __init__(self, comparison: Comparison, tz: str | None) -> None:
        self.comparison = comparison
        self.letters = letters(len(comparison.sessions))
        self.shown = [Shown(s, tz or s.timezone) for s in comparison.sessions]

    def heading(self) -> str:
        """ "Comparing 2 sessions: " and their titles."""
        titles = list(dict.fromkeys(literal(s.title) for s in self.comparison.sessions))
        return f"Comparing {len(self.shown)} sessions: " + " / ".join(titles)

    def session_lines(self) -> list[str]:
        """One line per session: its letter, mode, when, and how it went."""
        return [_session_line(letter, shown) for letter, shown in zip(self.letters, self.shown)]

    def notes(self) -> list[str]:
        """Each session's notes, marked with its letter."""
        return [f"{letter}: {note}" for letter, shown in zip(self.letters, self.shown) for note in shown.notes()]

    def segment_rows(self) -> list[list[str]]:
        """Number, title, kind and plan of each segment, then each session's cell."""
        return [
            [str(row.number), literal(row.title), literal(row.kind), duration(row.planned_s)]
            + [cell(c)[0] for c in row.rows]
            for row in self.comparison.segments
        ]

    def kind_rows(self) -> list[list[str]]:
        """The average over/under of each kind, per session and over all."""
        rows = []
        for kind in self.comparison.kinds:
            cells = [literal(kind.kind)]
            for average, count in zip(kind.averages, kind.counts):
                cells.append("" if average is None else f"{signed(average)} ({count})")
            cells.append("" if kind.average is None else f"{signed(kind.average)} ({kind.count})")
            rows.append(cells)
        return rows

    def chart(self) -> Chart:
        """Planned and actual durations of every segment, from zero."""
        return durations(self.comparison, self.letters)
