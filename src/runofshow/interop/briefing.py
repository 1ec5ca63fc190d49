"""The speaker briefing (Markdown): each speaker's slot in their own zone and the session's, and how cues work.

Agenda text is escaped for Markdown after control characters are made
visible, so a title like `[click](x)` or `**` prints as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from runofshow.domain.agenda.model import Agenda, Segment
from runofshow.domain.derive import Urgency
from runofshow.interop import words
from runofshow.words.cues import cue_text
from runofshow.words.text import literal
from runofshow.words.timefmt import spoken_minutes

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!]|&(?=#?\w+;))")
NO_LINK = "ask the moderator for the link"
_URL = re.compile(r"https?://[^\s<>\x00-\x1f\x7f]+")


def md(text: str) -> str:
    """Agenda text as inert Markdown on one line."""
    return _MD_SPECIAL.sub(r"\\\1", literal(text))


def briefing(agenda: Agenda, names: Sequence[str], link: str | None = None) -> str:
    """The briefing for `names` (every speaker, or one), as Markdown."""
    session, tz = agenda.session, agenda.session.timezone
    out = [f"# Speaker briefing: {md(session.title)}", ""]
    when = f"{md(words.session_span(agenda, tz))} ({tz}, {words.offset(agenda.start, tz)})"
    also = [md(words.session_span(agenda, extra)) for extra in session.also_show if extra != tz]
    out.append("When: " + "; ".join([when, *also]))
    if session.host:
        out.append("")
        out.append(f"Moderator: {md(session.host)}")
    out.append("")
    out.append(f"Countdown link: {_link(link) if link else NO_LINK}.")
    for name in names:
        out += ["", f"## {md(name)}", ""]
        for segment in (s for s in agenda.segments if s.speaker == name):
            out += _slot(agenda, segment)
    while out[-1] == "":
        out.pop()
    out += ["", "## How the timing works", "", *_how_cues_work(agenda, names)]
    return "\n".join(out) + "\n"


def _link(url: str) -> str:
    """An autolink for a plain web address; anything else as escaped text."""
    return f"<{url}>" if _URL.fullmatch(url) else md(url)


def _slot(agenda: Agenda, segment: Segment) -> list[str]:
    tz = agenda.session.timezone
    index = segment.number - 1
    before = agenda.segments[index - 1] if index > 0 else None
    after = agenda.segments[index + 1] if index + 1 < len(agenda.segments) else None
    lines = [f"### {md(segment.title)}", ""]
    lines.append(
        f"- **Length:** {words.minutes(segment.duration_s)} (segment {segment.number} of {len(agenda.segments)})"
    )
    if segment.timezone:
        lines.append(f"- **Your time:** {md(words.in_zone(segment, segment.timezone))}")
    else:
        lines.append("- **Your time:** no time zone is known for you; the session's time is below")
    lines.append(f"- **Session time:** {md(words.in_zone(segment, tz))}")
    lines.append(f"- **Before you:** {_neighbour(before, tz) if before else 'nobody, you open the session'}")
    lines.append(f"- **After you:** {_neighbour(after, tz) if after else 'nobody, you close the session'}")
    if segment.flexible:
        lines.append("- **Flexible:** this slot may be shortened if the session runs late")
    lines.append("")
    return lines


def _neighbour(segment: Segment, tz: str) -> str:
    return f"{words.span(segment, tz)} {words.abbreviation(segment.start, tz)}, {md(words.who(segment))}"


def _how_cues_work(agenda: Agenda, names: Sequence[str]) -> list[str]:
    mine = [s for s in agenda.segments if s.speaker in names] or list(agenda.segments)
    wrap_ups = sorted({s.wrap_up_s for s in mine if s.wrap_up_s}, reverse=True)
    finals = sorted({s.final_s for s in mine if s.final_s}, reverse=True)
    name = md(names[0]) if len(names) == 1 else "(your name)"
    lines = ["The moderator runs a countdown for every slot and sends you short cues in the chat:", ""]
    if wrap_ups:
        left = " or ".join(spoken_minutes(s) for s in wrap_ups)
        lines.append(f'- with {left} left: "{cue_text(Urgency.WRAP_UP, wrap_ups[0], name)}"')
    if finals:
        left = " or ".join(spoken_minutes(s) for s in finals)
        lines.append(f'- with {left} left: "{cue_text(Urgency.FINAL, finals[0], name)}"')
    lines.append(f'- at zero: "{cue_text(Urgency.OVERTIME, 0.0, name)}"')
    lines.append("")
    if any(s.flexible for s in agenda.segments):
        flexible = ", ".join(md(s.title) for s in agenda.segments if s.flexible)
        lines.append(
            f"If the session runs late, the flexible slots shrink first so it can still end on time: {flexible}."
        )
    lines.append("Start when the moderator introduces you; you do not need to watch the clock yourself.")
    return lines
