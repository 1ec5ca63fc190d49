"""The hub's copy of the moderator's journal, worded once for the status line."""

from __future__ import annotations

from runofshow.domain.instants import to_pendulum
from runofshow.domain.link import HubHealth, HubState
from runofshow.words.text import literal
from runofshow.words.timefmt import clock_time


def describe_hub(health: HubHealth | None, zone: str) -> str:
    """ "hub ✓", "hub: 12 behind", "hub unreachable", or who took the room over; "" with no hub."""
    if health is None:
        return ""
    if health.state is HubState.OK:
        return "hub ✓"
    if health.state is HubState.BEHIND:
        return f"hub: {health.behind} behind"
    if health.state is HubState.UNREACHABLE:
        waiting = [f"{health.behind} to send"] if health.behind else []
        said = [health.problem] if health.problem and "refused the credentials" in health.problem else []
        return "hub unreachable" + (f" ({'; '.join(said + waiting)})" if said or waiting else "")
    when = (
        "" if health.since_us is None else f" at {clock_time(to_pendulum(health.since_us), zone, with_seconds=False)}"
    )
    # Read from the hub, where anyone who may publish could have put it: shown, never acted on.
    who = literal(health.by[:80]) if health.by else "another controller"
    if health.state is HubState.FENCED:
        return f"hub: {who} took over the room{when}; this screen's records are kept here, not sent"
    return f"hub: room {health.room} holds {who}'s session (last record{when}); not mirrored, choose another --room"
