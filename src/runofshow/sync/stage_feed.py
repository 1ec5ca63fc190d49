"""The journal as a stage-token holder may have it: the same records, a header with only what a stage shows.

`runofshow follow --stage` with the speakers' token replays the journal like
any follower, so it needs a header and an agenda; it gets one rewritten to
keep only the stage's facts: the session's title, date and zone, and each
segment's times, title, speaker, kind and warnings. Notes, roles,
organizations, the moderator's name, the user, the host and every path are
left out. The records themselves carry none of those.
"""

from __future__ import annotations

import json

from runofshow.domain.agenda.model import Agenda
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.header import Header
from runofshow.errors import RunofshowError
from runofshow.journal.codec import encode


def _string(text: str) -> str:
    # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def stage_agenda_text(agenda: Agenda) -> str:
    """TOML for `agenda` with only the stage's facts, every time written out so it reads back the same."""
    session = agenda.session
    lines = [
        "[session]",
        f"title = {_string(session.title)}",
        f'date = "{session.date.isoformat()}"',
        f"timezone = {_string(session.timezone)}",
    ]
    for segment in agenda.segments:
        lines += [
            "",
            "[[segments]]",
            f'start = "{segment.start.format("HH:mm:ss")}"',
            f'end = "{segment.end.format("HH:mm:ss")}"',
            f"title = {_string(segment.title)}",
            f"kind = {_string(segment.kind)}",
        ]
        if segment.speaker:
            lines.append(f"speaker = {_string(segment.speaker)}")
        if segment.flexible:
            lines += ["flexible = true", f'min_duration = "{segment.min_duration_s}s"']
        wrap_up = f'"{segment.wrap_up_s}s"' if segment.wrap_up_s is not None else "false"
        final = f'"{segment.final_s}s"' if segment.final_s is not None else "false"
        lines.append(f"warnings = {{ wrap_up = {wrap_up}, final = {final} }}")
    return "\n".join(lines) + "\n"


def stage_header(header_line: str) -> str | None:
    """The header line for a stage feed, or None if this journal's agenda cannot be retold faithfully."""
    try:
        header = Header.from_json(json.loads(header_line))
        agenda = parse_agenda(header.agenda_text, "journal")
        text = stage_agenda_text(agenda)
        again = parse_agenda(text, "stage")
    except (ValueError, TypeError, KeyError, RunofshowError):
        return None
    same = [(s.start_epoch, s.end_epoch, s.wrap_up_s, s.final_s, s.flexible, s.min_duration_s) for s in agenda.segments]
    told = [(s.start_epoch, s.end_epoch, s.wrap_up_s, s.final_s, s.flexible, s.min_duration_s) for s in again.segments]
    if same != told:
        return None
    safe = Header(
        session_id=header.session_id,
        tool=header.tool,
        mode=header.mode,
        agenda_path="",
        agenda_text=text,
        wall_us=header.wall_us,
        mono=header.mono,
        boot=header.boot,
        user="",
        host="",
        format=header.format,
    )
    return encode(safe.to_json()).decode().rstrip("\n")
