"""Segment ids: the one a segment without an `id` is given, and the agenda text with ids added.

A calendar tells a changed invitation from a new one by its UID, so a
segment needs a name that survives a new title, new times or a new date.
Before agendas had ids, the UID was made from the session's title and date
and the segment's title, speaker and occurrence; the id given to a segment
without one is that same UUID, so invitations already sent keep updating.
Once it is written into the agenda it no longer depends on any of them.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

from runofshow.domain.agenda.guard import KeyLines
from runofshow.domain.agenda.model import Agenda

NAMESPACE = uuid.UUID("5b0f3c1e-6d0a-4e55-9a43-7e1b2d9a0c11")


def derived_ids(session_title: str, date: str, people: Sequence[tuple[str, str | None]]) -> list[str]:
    """For each (title, speaker) in order, the id it is given: a UUID from the session, the pair and its occurrence."""
    seen: Counter[tuple[str, str]] = Counter()
    out: list[str] = []
    for title, speaker in people:
        key = (title, speaker or "")
        seen[key] += 1
        name = "\x1f".join([session_title, date, title, speaker or "", str(seen[key])])
        out.append(str(uuid.uuid5(NAMESPACE, name)))
    return out


def segment_ids(agenda: Agenda) -> list[str]:
    """Every segment's id: its own, or the one it would be given."""
    session = agenda.session
    given = derived_ids(session.title, session.date.isoformat(), [(s.title, s.speaker) for s in agenda.segments])
    return [segment.id or fallback for segment, fallback in zip(agenda.segments, given)]


class NoPlaceForIds(ValueError):
    """The segments are not `[[segments]]` tables, so there is no line to add an id under."""


def with_ids(source: str, agenda: Agenda) -> tuple[str, int]:
    """`source` with `id = "…"` under each `[[segments]]` header that has none, and how many were added.

    Nothing else changes: comments, blank lines, key order and line endings
    stay as they are. The id goes under the header and the comment lines that
    follow it (an imported agenda's `# row 7`).
    """
    blocks = KeyLines(source).segment_blocks
    if len(blocks) != len(agenda.segments):
        raise NoPlaceForIds("segments are not written as [[segments]] tables; add each id by hand")
    lines = source.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in source else "\n"
    ids = segment_ids(agenda)
    added = 0
    for index in reversed(range(len(blocks))):
        if agenda.segments[index].id is not None:
            continue
        at = blocks[index] + 1
        while at < len(lines) and lines[at].lstrip().startswith("#"):
            at += 1
        if not lines[at - 1].endswith(("\n", "\r")):
            lines[at - 1] += newline
        lines.insert(at, f'id = "{ids[index]}"{newline}')
        added += 1
    return "".join(lines), added
