"""How a screen's session reaches it, as plain facts: the screens word them, the sources only report them.

A controller writes the journal itself; a follower reads one that someone
else writes, from a file or over the network. Each says where it stands with
a `Link`, so that every front end can word the same facts its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from runofshow.domain.events import EventType


class LinkState(StrEnum):
    """Where the path from the journal to this screen stands."""

    #: The controller's own journal: every record is on disk.
    WRITING = "writing"
    #: The controller's own journal: writes fail, records are held in memory.
    FAILING = "failing"
    #: The controller's own journal: a write or fsync has not returned (a frozen or dead disk).
    STALLED = "stalled"
    #: Following: a controller is there and records arrive.
    CONTROLLED = "controlled"
    #: Following a session that has ended: nothing more will come, and that is fine.
    ENDED = "ended"
    #: Following: the moderator quit (a `detach` record); the session goes on.
    DETACHED = "detached"
    #: Following a file: no one holds its lock, and no `detach` said why (a crash, a closed terminal).
    STOPPED = "stopped"
    #: Following: the journal is unreadable or the connection is lost; `problem` says which.
    BROKEN = "broken"


class Via(StrEnum):
    """How the records come."""

    #: Written by this process.
    OWN = "own"
    #: Read from a journal file on this machine.
    FILE = "file"
    #: Received over a WebSocket.
    NETWORK = "network"
    #: Read from a room's stream on the hub (NATS JetStream).
    HUB = "hub"


def control_state(*, ended: bool, last_type: str | None, held: bool | None) -> LinkState:
    """Who drives the session, from whether it ended, its last record and its lock: the one rule every reader follows.

    ENDED, CONTROLLED (a controller holds the journal), DETACHED (no one
    does, and the last record says the moderator quit: the session goes on)
    or STOPPED (no one does, and nothing said why: a crash, a closed
    terminal). `held` is whether a controller holds the journal's lock; None
    where there is no lock to look at (over the network), so only the last
    record can tell.
    """
    if ended:
        return LinkState.ENDED
    if held:
        return LinkState.CONTROLLED
    if last_type == EventType.DETACH:
        return LinkState.DETACHED
    return LinkState.CONTROLLED if held is None else LinkState.STOPPED


#: The states in which nothing needs the reader's attention.
HEALTHY = frozenset({LinkState.WRITING, LinkState.CONTROLLED, LinkState.ENDED})


@dataclass(frozen=True, slots=True)
class Link:
    """One look at the link: its state and the facts behind it, no words."""

    state: LinkState
    via: Via
    #: The journal's file name, or the URL followed.
    target: str
    #: Who writes the journal: the lock holder ("PID 123 user@host") for a file, the header's owner over the network.
    holder: str | None = None
    #: When the last record was written (wall clock, µs), or None before any.
    last_record_us: int | None = None
    #: What went wrong, as its source says it (a failing disk, a lost connection), or None.
    problem: str | None = None
    #: The controller's own journal: records taken and shown but not on disk yet (once worth showing).
    pending: int = 0
    #: The controller's own journal: what happened to the file under the session (deleted, replaced…), once it did.
    notice: str | None = None

    @property
    def healthy(self) -> bool:
        """Whether all is well, so that nothing on screen needs to alarm anyone."""
        return self.state in HEALTHY


class ServerState(StrEnum):
    """Where the server process that serves a session to others stands, as its controller sees it."""

    #: Started, not yet serving (it reads the journal first).
    STARTING = "starting"
    #: Serving followers and pages.
    SERVING = "serving"
    #: It stopped (a crash, or killed) and is being started again.
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class ServerHealth:
    """One look at the server process: its state, how often it had to be started again, and why it last stopped."""

    state: ServerState
    #: How many times it was started again after it stopped.
    restarts: int = 0
    #: Why it last stopped ("killed by SIGKILL", its last words on stderr), or None if it never did.
    problem: str | None = None
    #: When it last stopped (wall clock, µs), or None.
    stopped_us: int | None = None

    @property
    def healthy(self) -> bool:
        """Whether followers and pages are served now (or about to be, for the first time)."""
        return self.state is not ServerState.DOWN


class HubState(StrEnum):
    """Where the copy of the moderator's journal on the hub stands, as the moderator's process sees it."""

    #: Every durable record is on the hub.
    OK = "ok"
    #: The hub answers, and `behind` durable records are not on it yet.
    BEHIND = "behind"
    #: The hub does not answer; records wait, in order, to be sent when it does.
    UNREACHABLE = "unreachable"
    #: Another controller writes to the room now (a takeover): this one's records are refused.
    FENCED = "fenced"
    #: The room holds another session that is still going on: this one is not mirrored there.
    IN_USE = "in use"


@dataclass(frozen=True, slots=True)
class HubHealth:
    """One look at the room's copy on the hub: its state and the facts behind it, no words."""

    state: HubState
    #: The room's name on the hub.
    room: str = ""
    #: Durable records not acknowledged by the hub yet.
    behind: int = 0
    #: FENCED: who writes the room now (the actor of its first record, or its header's owner); IN_USE: whose session it holds.
    by: str | None = None
    #: FENCED: when that first record was written; IN_USE: the other session's last record (wall clock, µs).
    since_us: int | None = None
    #: What went wrong, as the client says it, or None.
    problem: str | None = None

    @property
    def healthy(self) -> bool:
        """Whether the hub has, or is about to have, every record this controller writes."""
        return self.state in (HubState.OK, HubState.BEHIND)
