"""`runofshow board`: every room on one screen, from a hub or from several follow links."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
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
    listen: str | None = None,
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
    sock = None
    if listen is not None:
        from runofshow.sync.listen import bind, parse_listen

        sock = bind(*parse_listen(listen))  # a port in use is one line, before any screen
    try:
        return asyncio.run(_board(found, hub, creds, silent_after, sock))
    except KeyboardInterrupt:
        return 130
    finally:
        if sock is not None:
            sock.close()


async def _board(
    found: Sequence[object], hub: str | None, creds: object, silent_after: float, sock: socket.socket | None
) -> int:
    from runofshow.sync.board_page import BoardPage
    from runofshow.sync.rooms import Rooms, WsRoom, connect_ws, follow_hub
    from runofshow.tui.board import BoardApp
    from runofshow.tui.board_models import look, row_json

    rooms = Rooms()
    hub_task: asyncio.Task[None] | None = None
    page: BoardPage | None = None
    try:
        if hub is not None:
            hub_task = asyncio.create_task(follow_hub(rooms, hub, SystemClock(), creds=creds))  # type: ignore[arg-type]
        else:
            await connect_ws(rooms, [room for room in found if isinstance(room, WsRoom)])
        if sock is not None:

            def snapshot() -> dict[str, object]:
                return {"rows": [row_json(row) for row in look(rooms.rooms, silent_after).rows]}

            page = BoardPage(sock, secrets.token_urlsafe(16), snapshot)
            await page.start()
            rooms.listeners.append(page.changed)
        note = None if page is None else f"page: {page.link()}"
        app = BoardApp(rooms.rooms, changes=rooms.changes, silent_after=silent_after, note=note)
        await app.run_async()
        if page is not None:
            print(f"The board's page was {page.link()}")
    finally:
        if page is not None:
            await page.close()
        if hub_task is not None:
            hub_task.cancel()
            with contextlib.suppress(BaseException):
                await hub_task
        await rooms.close()
    return 0
