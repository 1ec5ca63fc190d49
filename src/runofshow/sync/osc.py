"""OSC commands (`run --serve … --osc [HOST:]PORT`): `/runofshow/next`, `/runofshow/extend 60`, …

For lighting desks, QLab, TouchOSC and Companion's OSC actions. OSC has no
authentication: anyone who can send a datagram to the port can run the
show. So it is off by default, and the port is bound (by the moderator's
process, which hands it over) on loopback unless the moderator names an
address. Each message is one command, with its argument as the message's
first argument (`/runofshow/goto 3`, `/runofshow/message "wrap up"`); it
goes the same way as an HTTP command with the control token, acted as
`api:osc`. There is no answer (OSC has none): the screens show the effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from pythonosc.osc_packet import OscPacket

from runofshow.sync.control import Call, ControlApi, Refused, call_of

#: Every OSC address starts with this; the command's name follows.
OSC_PREFIX = "/runofshow/"
#: Each command's argument, in the order OSC gives them.
OSC_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "goto": ("to",),
    "extend": ("seconds",),
    "message": ("text", "pinned"),
    "later": ("after",),
}
#: The actor OSC commands are recorded as.
OSC_ACTOR = "api:osc"


def osc_call(address: str, params: list[Any]) -> tuple[str, Call] | None:
    """The command an OSC message names, or None for one that is not ours or not valid."""
    if not address.startswith(OSC_PREFIX):
        return None
    name = address[len(OSC_PREFIX) :].strip("/")
    fields = dict(zip(OSC_ARGUMENTS.get(name, ()), params))
    try:
        return name, call_of(name, fields)
    except Refused:
        return None


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: OscCommands) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.owner.received(data)


class OscCommands:
    """Takes OSC datagrams on a bound UDP socket, in the server's loop, and sends each command on."""

    def __init__(self, api: ControlApi, sock: socket.socket) -> None:
        self.api = api
        self.sock = sock
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """In the server's loop: listen."""
        self.sock.setblocking(False)
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: _Datagrams(self), sock=self.sock
        )
        self._transport = transport

    def received(self, data: bytes) -> None:
        """One datagram: each message in it that names a command is sent on, in order of arrival."""
        try:
            messages = OscPacket(data).messages
        except Exception:  # not OSC: ignored, as a stray datagram must never disturb the show
            return
        for timed in messages:
            found = osc_call(timed.message.address, list(timed.message.params))
            if found is None:
                continue
            name, call = found
            task = asyncio.get_running_loop().create_task(self.api.run(call, "control", OSC_ACTOR, name))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        """Stop listening; from any thread, `loop` being the server's."""
        transport = self._transport
        if transport is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(transport.close)
