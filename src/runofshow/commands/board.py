"""`runofshow board`: every room on one screen, from a hub or from several follow links."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence

from runofshow.clock import SystemClock
from runofshow.errors import UserError


def run_board(
    links: Sequence[str],
    *,
    hub: str | None,
    hub_creds: str | None,
    silent_after: float,
    cafile: str | None,
) -> int:
    """Show the board until the user quits; bad links or a bad hub address are one line and exit 2."""
    from runofshow.sync.rooms import ws_rooms

    if (hub is None) == (not links):
        raise UserError("board needs --hub URL, or follow links (ws://HOST:PORT/#KEY), not both")
    if not silent_after > 0:
        raise UserError(f"--silent-after {silent_after}: give a number of seconds above 0")
    clock = SystemClock()
    found = ws_rooms(links, clock, cafile=cafile)  # a bad link is refused before anything connects
    creds = None
    if hub is not None:
        from runofshow.sync.hub.connect import HubCredentials, hub_servers

        hub_servers(hub)
        creds = HubCredentials.find(hub_creds)
    elif hub_creds:
        raise UserError("--hub-creds goes with --hub")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("the board needs a terminal")
    try:
        return asyncio.run(_board(found, hub, creds, silent_after))
    except KeyboardInterrupt:
        return 130


async def _board(found: Sequence[object], hub: str | None, creds: object, silent_after: float) -> int:
    from runofshow.sync.rooms import Rooms, WsRoom, connect_ws, follow_hub
    from runofshow.tui.board import BoardApp

    rooms = Rooms()
    hub_task: asyncio.Task[None] | None = None
    try:
        if hub is not None:
            hub_task = asyncio.create_task(follow_hub(rooms, hub, SystemClock(), creds=creds))  # type: ignore[arg-type]
        else:
            await connect_ws(rooms, [room for room in found if isinstance(room, WsRoom)])
        app = BoardApp(rooms.rooms, changes=rooms.changes, silent_after=silent_after)
        await app.run_async()
    finally:
        if hub_task is not None:
            hub_task.cancel()
            with contextlib.suppress(BaseException):
                await hub_task
        await rooms.close()
    return 0
