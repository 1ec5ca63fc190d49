"""What the screens need from a session, written down: a source to show, and controls to change it.

A controller is both; a follower is only a source. The screens call nothing
else on either, so anything that offers these methods can be shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from runofshow.domain.agenda.model import Agenda
from runofshow.domain.commands import Ack, Command
from runofshow.domain.derive import View
from runofshow.domain.events import Event
from runofshow.domain.header import Header
from runofshow.domain.link import HubHealth, Link, ServerHealth


class SessionSource(Protocol):
    """A session to show: the moderator's own, or one followed."""

    @property
    def agenda(self) -> Agenda:
        """The session's agenda."""
        ...

    @property
    def header(self) -> Header:
        """The journal's header: whose session it is."""
        ...

    def poll(self) -> Sequence[Event]:
        """Bring the state up to date; return the events this added."""
        ...

    def view(self) -> View:
        """The state now."""
        ...

    def link(self) -> Link:
        """Where the journal stands as seen from here (called once a tick)."""
        ...


class Controls(Protocol):
    """The moderator's commands: start, pause, next and the rest."""

    def command(self, command: Command, /) -> Ack:
        """Carry out `command`; raise CommandError if it makes no sense now."""
        ...


class ServedBy(Protocol):
    """The server that serves the moderator's session to others, in a process of its own: how it is doing."""

    def health(self) -> ServerHealth:
        """Where it stands now (called once a tick)."""
        ...

    def watch(self, changed: Callable[[], None], /) -> None:
        """Call `changed` (from any thread) whenever its health changes."""
        ...

    @property
    def control_held(self) -> int:
        """How many control connections (control pages, API WebSockets) the server holds now."""
        ...

    def revoke_control(self) -> str:
        """Renew the control token (every control link stops working at once); the new serving text."""
        ...


class RemoteCommands(Protocol):
    """Commands from outside the keyboard (a co-host, the API, OSC): see `session.inbound.Answers`."""

    def listen(self, carry_out: Callable[[Any], None], loop: asyncio.AbstractEventLoop, /) -> None:
        """Call `carry_out` in `loop` with each command that arrives (an `Inbound`: `.command`, `.answer`)."""
        ...

    def carry_out(self, run: Callable[[Command], Ack], inbound: Any, /) -> Ack | None:
        """Run the inbound command with `run` (as a key); answer it once on disk, or at once if refused."""
        ...


class RemoteControls(Protocol):
    """Where a co-host's keys go: the moderator's server (see `sync.control_client.ControlClient`)."""

    async def send(self, command: Command, /) -> tuple[bool, str, int | None]:
        """Send `command`; whether it was done, what to tell the co-host, and its record's seq."""
        ...


class RoomSource(SessionSource, Protocol):
    """One room on the board: a session followed, its name, and how long its controller has been silent."""

    @property
    def room(self) -> str:
        """What the board calls the room."""
        ...

    @property
    def ready(self) -> bool:
        """Whether the room's header has arrived, so there is a session to show."""
        ...

    #: What is wrong with the room's link (unreadable, unreachable), or None.
    problem: str | None

    def quiet_s(self) -> float | None:
        """Seconds since a record or a heartbeat came from the room; None if none ever did."""
        ...


class MirroredTo(Protocol):
    """The hub the moderator's journal is copied to, from a thread of its own: how the copy is doing."""

    def health(self) -> HubHealth:
        """Where the copy stands now (called once a tick; never waits)."""
        ...

    def watch(self, changed: Callable[[], None], /) -> None:
        """Call `changed` (from any thread) whenever its health changes."""
        ...
