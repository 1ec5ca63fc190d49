"""The link worded for the screens: the one place that says "NO CONTROLLER" and the like.

Sources report a `Link` as facts; what a moderator or a co-host reads about
it is decided here, and nowhere else.
"""

from __future__ import annotations

from runofshow.domain.instants import to_pendulum
from runofshow.domain.link import Link, LinkState, ServerHealth, ServerState, Via
from runofshow.words.cues import MESSAGE_PRESETS as MESSAGE_PRESETS  # the prompt's, worded with the cues
from runofshow.words.cues import message_presets as message_presets
from runofshow.words.timefmt import clock_time, coarse_age

STOPPED = "NO CONTROLLER: the moderator's program stopped (a crash, or its terminal closed)"
QUIT = "NO CONTROLLER: the moderator has quit; the session goes on"


def last_record_text(last_us: int | None, now_us: int, zone: str) -> str:
    """When the last record came, as an absolute time and a coarse age."""
    if last_us is None:
        return "no records yet"
    age = max(0.0, (now_us - last_us) / 1e6)
    return f"last record {clock_time(to_pendulum(last_us), zone)} ({coarse_age(age)})"


def describe_link(link: Link, now_us: int, zone: str) -> str:
    """For the status line: the journal written here, or what is followed, since when, and who writes it."""
    target = link.target
    if link.via is Via.OWN:
        if link.state is LinkState.FAILING:
            return f"JOURNAL FAILING: {link.problem}"
        if link.state is LinkState.STALLED:
            return f"JOURNAL NOT ANSWERING: {link.problem}"
        return f"journal … {link.pending} pending {target}" if link.pending else f"journal ✓ {target}"
    if link.state is LinkState.ENDED:
        return f"following {target} · the session has ended"
    if link.via in (Via.NETWORK, Via.HUB):  # no lock to look at: the records and the connection say it all
        if link.state is LinkState.DETACHED:
            return f"following {target} · the moderator ({link.holder}) has quit; the session goes on"
        if link.state is LinkState.BROKEN:
            return f"{target}: {link.problem}"
        return f"following {target} · {last_record_text(link.last_record_us, now_us, zone)} · {link.holder}"
    if link.state is LinkState.BROKEN:
        return str(link.problem)
    who = {LinkState.CONTROLLED: f"controller {link.holder}", LinkState.DETACHED: QUIT}.get(link.state, STOPPED)
    return f"following {target} · {last_record_text(link.last_record_us, now_us, zone)} · {who}"


def banner_text(link: Link, now_us: int, zone: str, *, following: bool) -> str:
    """What the red banner says about the link, or "" when it has nothing to say.

    A failing journal is the moderator's alarm. A co-host must see that the
    moderator is gone whatever the width of the status line, so for them a
    link in trouble is also worth the banner.
    """
    if link.via is Via.OWN:
        if link.state is LinkState.FAILING:
            return (
                f"JOURNAL WRITE FAILING: {link.problem}. "
                "Timing goes on in memory; records are written once the disk works."
            )
        if link.state is LinkState.STALLED:
            return (
                f"JOURNAL NOT ANSWERING: {link.problem}. "
                "Timing goes on in memory; records are written once the disk answers."
            )
        return ""
    if link.problem:
        return link.problem
    return "" if link.healthy or not following else describe_link(link, now_us, zone)


def describe_server(health: ServerHealth | None, zone: str, control_held: int = 0) -> str:
    """For the status line: "" while the server is well, never stopped and nobody holds a control link; else
    that it is down, or came back, and how many control connections are open (R revokes them)."""
    if health is None:
        return ""
    held = f"{control_held} control link{'s' if control_held != 1 else ''} open (R revokes)" if control_held else ""
    if health.state is ServerState.DOWN:
        return f"SERVER DOWN ({health.problem}): starting it again; followers reconnect"
    if health.restarts and health.stopped_us is not None:
        when = clock_time(to_pendulum(health.stopped_us), zone)
        times = "" if health.restarts == 1 else f" {health.restarts} times"
        restarted = f"server restarted{times} (last stopped {when}: {health.problem})"
        return f"{restarted} · {held}" if held else restarted
    return held


def remote_notice(actor: str, command: str) -> str:
    """What the moderator's screen says for a command from outside: "Ana: next", "deck: extend"."""
    kind, _, name = actor.partition(":")
    return f"{name or kind}: {command}"
