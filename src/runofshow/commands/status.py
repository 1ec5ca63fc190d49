"""`runofshow status`: the session's state now, replayed from its journal, for people or scripts."""

from __future__ import annotations

import json
from pathlib import Path

from runofshow.clock import SystemClock
from runofshow.domain.derive import View, derive
from runofshow.domain.events import LIVE
from runofshow.journal.lock import holder
from runofshow.session.replay import replay
from runofshow.sync.links import served_links
from runofshow.words.display import flex_text
from runofshow.words.status import status_document
from runofshow.words.text import json_safe, literal
from runofshow.words.timefmt import describe_offset, format_duration


def status_lines(view: View, title: str, zone: str) -> list[str]:
    """The plain, human form: a few short lines."""
    focus = view.focus
    segment = focus.segment
    who = f" — {literal(segment.speaker)}" if segment.speaker else ""
    mode = "LIVE" if view.mode == LIVE else "REHEARSAL"
    lines = [f"{literal(title)} [{mode}]"]
    count = len(view.segments)
    if not view.started:
        lead = f" (starts in {format_duration(view.starts_in_s)})" if view.starts_in_s else ""
        lines.append(f"Not started{lead}; first: {segment.number}/{count} {literal(segment.title)}{who}")
    elif view.ended:
        lines.append(f"Ended at {view.projected_end.in_tz(zone).format('HH:mm:ss zz')}")
    else:
        if view.remaining_s > 0:
            clock = f"{format_duration(view.remaining_s)} left of {format_duration(view.allotted_s)}"
        else:
            clock = f"{format_duration(-view.remaining_s)} over {format_duration(view.allotted_s)}"
        state = "PAUSED, " if view.paused else ""
        lines.append(f"Segment {segment.number}/{count}: {literal(segment.title)}{who}")
        lines.append(f"{state}{view.alert.replace('_', '-')}: {clock}")
    planned = view.planned_end.in_tz(zone).format("HH:mm:ss")
    projected = view.projected_end.in_tz(zone).format("HH:mm:ss zz")
    ends = "ended" if view.ended else "ends"
    lines.append(
        f"Schedule: {describe_offset(view.offset_s, ended=view.ended)}; {ends} {projected} (planned {planned})"
    )
    advice = flex_text(view)
    if advice:
        lines.append(advice)
    if view.uncertain:
        lines.append("Note: some time was counted by the wall clock after a restart, so it is less certain")
    return lines


def run_status(path: str, as_json: bool) -> int:
    """Print the state of the session in the journal at `path`."""
    replayed = replay(path)
    view = derive(replayed.engine, SystemClock().read())
    session = replayed.agenda.session
    owner = holder(path)
    if as_json:
        extra = {"session": session.title, "journal": str(Path(path)), "controller": owner}
        state = status_document(view, extra, link_up=owner is not None)
        print(json_safe(json.dumps(state, ensure_ascii=False)))
        return 0
    for line in status_lines(view, session.title, session.timezone):
        print(line)
    ago = ""
    if view.last_event_us is not None:
        ago = f", last {format_duration((view.now_us - view.last_event_us) / 1e6)} ago"
    who = f"controller {literal(owner)}" if owner else "no controller running"
    print(f"Journal: {literal(path)} ({view.seq} records{ago}; {who})")
    links = served_links(Path(path)) if owner else None
    if links is not None:
        print(f"Speaker link: {literal(links.stage)}")
        print(f"Co-host link: {literal(links.cohost)}")
        if links.control is not None:
            print(f"Control link: {literal(links.control)}")
    if replayed.torn is not None:
        print(f"Journal: its last record (line {replayed.torn.line}) is incomplete and was not counted")
    return 0
