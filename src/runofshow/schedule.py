"""An agenda's schedule as a Rich table, in every zone that matters: what `check` and `import` print."""

from __future__ import annotations

import pendulum
from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from runofshow.domain.agenda.model import Agenda
from runofshow.words.text import literal
from runofshow.words.timefmt import clock_time, format_duration
from runofshow.words.zones import zone_label


def span(start: pendulum.DateTime, end: pendulum.DateTime, tz: str, first_day: pendulum.Date) -> str:
    """ "18:00–18:01" in `tz`, with "+1" on a time that falls on a later day."""

    def one(moment: pendulum.DateTime) -> str:
        return clock_time(moment, tz, first_day=first_day, with_seconds=bool(moment.in_tz(tz).second))

    return f"{one(start)}–{one(end)}"


def render_check(agenda: Agenda) -> Group:
    """Everything `check` prints, as one Rich renderable."""
    session = agenda.session
    tz = session.timezone
    zones = [tz, *[z for z in session.also_show if z != tz]]
    start, end = agenda.start, agenda.end
    first_days = {z: start.in_tz(z).date() for z in zones}

    heading = Text(literal(session.title), style="bold")
    when = Text(start.in_tz(tz).format("ddd D MMM YYYY") + " · ")
    when.append(" · ".join(f"{span(start, end, z, first_days[z])} {zone_label(start, z)}" for z in zones))
    when.append(f" · {format_duration(agenda.duration_s)} planned")
    lines: list[RenderableType] = [heading, when, Text(f"Time zone: {tz}", style="dim")]
    if session.host:
        host = Text("Host: ") + Text(literal(session.host))
        if session.host_timezone:
            host_day = start.in_tz(session.host_timezone).date()
            host.append(
                f" ({span(start, end, session.host_timezone, host_day)} "
                f"{zone_label(start, session.host_timezone)}, {session.host_timezone})"
            )
        lines.append(host)

    lines.append(Text(""))
    lines.append(_Schedule(agenda, zones, first_days))

    gaps = agenda.gaps
    summary = Text(f"\n{len(agenda.segments)} segments, {format_duration(agenda.duration_s)} planned")
    if gaps:
        described = ", ".join(f"{format_duration(g.seconds)} after {g.after}" for g in gaps)
        summary.append(f"; gaps: {described}.")
    else:
        summary.append(", no gaps.")
    flexible = [s.number for s in agenda.segments if s.flexible]
    if flexible:
        summary.append(f" Flexible (~): {', '.join(map(str, flexible))}.", style="cyan")
    lines.append(summary)
    return Group(*lines)


class _Schedule:
    """The segments as a table that fits the console.

    When the zone columns leave too little room for the title and the speaker
    side by side, the speaker goes under the title, so neither is cropped.
    Words wider than their column (a CJK title has no spaces) fold, whole.
    """

    def __init__(self, agenda: Agenda, zones: list[str], first_days: dict[str, pendulum.Date]) -> None:
        self.agenda = agenda
        self.zones = zones
        self.first_days = first_days

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # The zones and the length never wrap; side by side, the title needs 16 cells and the speaker 14.
        # Measured unbounded, with those columns empty: Measurement.get clamps to the width it is given.
        probe = self._table(speaker_column=True, probe=True)
        fits = Measurement.get(console, options.update_width(10_000), probe).minimum <= options.max_width
        yield self._table(speaker_column=fits)

    def _table(self, *, speaker_column: bool, probe: bool = False) -> Table:
        agenda, zones, first_days = self.agenda, self.zones, self.first_days
        start = agenda.start
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True, header_style="bold")
        table.add_column("#", justify="right")
        for z in zones:
            table.add_column(zone_label(start, z), no_wrap=True)
        table.add_column("Length", justify="right", no_wrap=True)
        if speaker_column:
            # No min_width here: Rich meets one it has no room for by cropping the cell.
            table.add_column("Title", ratio=3, min_width=16 if probe else None, overflow="fold")
            table.add_column("Speaker, their time", ratio=2, min_width=14 if probe else None, overflow="fold")
        else:
            table.add_column("Title; speaker, their time", overflow="fold")
        for segment in agenda.segments:
            length = Text(format_duration(segment.duration_s))
            if segment.flexible:
                length.append("~", style="cyan")
            speaker = Text(literal(segment.speaker or ""))
            if segment.country:
                speaker.append(f" ({literal(segment.country)})", style="dim")
            if segment.timezone:
                moment = segment.start.in_tz(segment.timezone)
                speaker.append(
                    f"\n{moment.format('HH:mm')} {zone_label(segment.start, segment.timezone)}", style="cyan"
                )
            title = Text(literal(segment.title))
            if probe:
                texts = [Text(), Text()]
            elif speaker_column:
                texts = [title, speaker]
            else:
                texts = [title + Text("\n") + speaker if speaker else title]
            table.add_row(
                str(segment.number),
                *[span(segment.start, segment.end, z, first_days[z]) for z in zones],
                length,
                *texts,
            )
        return table


def print_check(agenda: Agenda, console: Console | None = None) -> None:
    """Print the schedule of a validated agenda."""
    (console or Console()).print(render_check(agenda))
