"""Where journals live by default, and which one `run AGENDA` opens: one rule for live and rehearsal.

The rule: an unfinished journal of the agenda is resumed while its session
is plausibly still going on, that is until 12 h after its planned end (a
live session's is the agenda's own end; a rehearsal's is its start plus the
agenda's length). A rehearsal resumed past its planned end is asked about
first, since it would come back in deep overtime. Otherwise a fresh session
starts: live on the agenda's day or within 12 h before its start, else a
rehearsal (see docs/journal.md).
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from runofshow.domain.agenda.model import Agenda
from runofshow.domain.derive import derive
from runofshow.domain.events import LIVE, REHEARSAL
from runofshow.domain.instants import Reading
from runofshow.journal.codec import JournalError
from runofshow.journal.places import state_dir
from runofshow.session.replay import Replayed, replay
from runofshow.words.timefmt import format_duration

#: A session is plausibly still going on until this long after its planned end.
GOING_ON_AFTER_END_S = 12 * 3600
#: How many of an agenda's latest journals are looked at for one still going on.
LOOK_AT = 20


def choose_mode(agenda: Agenda, reading: Reading, rehearsal: bool) -> str:
    """The mode of a fresh session: live when the session is today (in its zone) or starts within 12 h.

    The second rule keeps a session just after midnight live when it is
    opened the evening before. Resuming is decided by `choose_journal`.
    """
    if rehearsal:
        return REHEARSAL
    now = reading.wall
    today = now.in_tz(agenda.session.timezone).date()
    soon = agenda.start.subtract(hours=12) <= now <= agenda.end
    return LIVE if today == agenda.session.date or soon else REHEARSAL


@dataclass(frozen=True, slots=True)
class Choice:
    """Which journal `run AGENDA` opens, in which mode (for a fresh one), and what to ask or tell first."""

    path: Path
    mode: str
    #: Ask this before resuming `path`; when the answer is no, open `fresh` instead (a fresh rehearsal).
    question: str | None = None
    fresh: Path | None = None
    #: Something to tell the moderator once (a session left behind).
    note: str | None = None


def _stem(agenda: Agenda, room: str | None = None) -> str:
    """The agenda's part of its journals' names; a room on a hub gets its own (one agenda may run in two rooms)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(agenda.path).stem).strip("-.") or "agenda"
    return stem if room is None else f"{stem}.{room}"


def planned_end_us(replayed: Replayed, reading: Reading) -> int:
    """When a journal's session was planned to end: the agenda's end live, start plus length in rehearsal.

    A rehearsal never started counts from when its journal was made.
    """
    state = replayed.engine
    if state.mode == REHEARSAL and not state.started:
        return replayed.header.wall_us + state.agenda.duration_s * 1_000_000
    return int(derive(state, reading).planned_end.timestamp() * 1_000_000)


def _same_agenda(replayed: Replayed, agenda: Agenda) -> bool:
    theirs, mine = replayed.agenda.session, agenda.session
    return replayed.header.agenda_text == agenda.source or (theirs.title, theirs.date) == (mine.title, mine.date)


def _unfinished(agenda: Agenda, modes: tuple[str, ...], room: str | None) -> list[tuple[Path, Replayed]]:
    """The agenda's unfinished journals in `modes` (in `room`), the latest written first."""
    folder = state_dir()
    stem = _stem(agenda, room)
    try:
        names = [
            p
            for p in folder.glob(f"{glob.escape(stem)}_*.jsonl")
            if re.fullmatch(rf"{re.escape(stem)}_\d{{4}}-\d\d-\d\d.*", p.name)
        ]
        names.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return []
    found = []
    for path in names[:LOOK_AT]:
        try:
            replayed = replay(path)
        except JournalError:
            continue  # opening it by its name reports the problem
        if replayed.header.mode in modes and not replayed.engine.ended and _same_agenda(replayed, agenda):
            found.append((path, replayed))
    return found


def choose_journal(
    agenda: Agenda, reading: Reading, *, rehearsal: bool, new: bool = False, room: str | None = None
) -> Choice:
    """The journal `run AGENDA` opens now, by the one rule in this module's docstring (`room`: the hub's room).

    With `rehearsal`, only rehearsals are resumed; on the agenda's live day,
    only its live session is; any other day, a live session still going on
    (one that crossed midnight, say) comes first, then a rehearsal.
    """
    mode = choose_mode(agenda, reading, rehearsal)
    if new:
        return Choice(find_journal(agenda, mode, reading, new=True, room=room)[0], mode)
    modes = (REHEARSAL,) if rehearsal else (LIVE,) if mode == LIVE else (LIVE, REHEARSAL)
    stale: Path | None = None
    for path, replayed in _unfinished(agenda, modes, room):
        end_us = planned_end_us(replayed, reading)
        past_s = (reading.wall_us - end_us) / 1e6
        if past_s > GOING_ON_AFTER_END_S:
            stale = stale or path
            continue
        if replayed.header.mode == REHEARSAL and past_s > 0:
            fresh = find_journal(agenda, REHEARSAL, reading, new=True, room=room)[0]
            question = (
                f"{path.name} is a rehearsal planned to end {format_duration(past_s)} ago, so it would come back "
                f"in overtime; resume it? (no starts a fresh one, {fresh.name})"
            )
            return Choice(path, REHEARSAL, question=question, fresh=fresh)
        return Choice(path, replayed.header.mode)
    path, ended_before = find_journal(agenda, mode, reading, room=room)
    if ended_before is not None:
        return Choice(path, mode, note=f"{ended_before.name} has ended, so this is a new session in {path.name}")
    if path.exists():  # today's journal, not ended but no longer going on
        stale, path = path, find_journal(agenda, mode, reading, new=True, room=room)[0]
    if stale is not None:
        return Choice(
            path,
            mode,
            note=f"{stale.name} was never ended, but its plan ended over 12 h ago; this is a new session in {path.name}",
        )
    return Choice(path, mode)


def find_journal(
    agenda: Agenda, mode: str, reading: Reading, *, new: bool = False, room: str | None = None
) -> tuple[Path, Path | None]:
    """The journal to use for `agenda` today: the latest one unless it has ended (or `new`),
    and the ended one it follows, if any, so that the moderator can be told.

    Names are `<agenda>[.<room>]_<date>[_rehearsal][-N].jsonl`; a live session is named
    by its own date, a rehearsal by the day it is held.
    """
    stem = _stem(agenda, room)
    if mode == LIVE:
        day = agenda.session.date.isoformat()
        base = f"{stem}_{day}"
    else:
        day = reading.wall.in_tz(agenda.session.timezone).date().isoformat()
        base = f"{stem}_{day}_rehearsal"
    folder = state_dir()

    def named(number: int) -> Path:
        return folder / (f"{base}.jsonl" if number == 1 else f"{base}-{number}.jsonl")

    latest = 1
    while named(latest + 1).exists():
        latest += 1
    if not named(latest).exists():
        return named(latest), None
    if new:
        return named(latest + 1), None
    try:
        ended = replay(named(latest)).engine.ended
    except JournalError:
        ended = False  # let opening it report the problem, rather than silently starting over
    return (named(latest + 1), named(latest)) if ended else (named(latest), None)


def foreign(path: Path, replayed: Replayed, agenda: Agenda) -> str | None:
    """The question to ask when the journal at `path` is another agenda's session, or None if it is this one's.

    An agenda edited since the session began is still the same one: same
    title and date. Anything else is another session, never resumed unasked.
    """
    theirs = replayed.agenda.session
    mine = agenda.session
    if (theirs.title, theirs.date) == (mine.title, mine.date):
        return None
    return (
        f"{path} holds another agenda's session ({theirs.title!r} on {theirs.date}, "
        f"by {replayed.header.owner}), not {agenda.path} ({mine.title!r} on {mine.date}); resume that session?"
    )
