"""`runofshow follow`: watch a session someone else runs, from a journal file or a WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from runofshow.clock import SystemClock
from runofshow.errors import UserError
from runofshow.sync.follower import FileFollower, Follower
from runofshow.sync.remote import RemoteFollower, split_url
from runofshow.sync.watch import FileWatch
from runofshow.words.display import seconds_to_next_change
from runofshow.words.status import status_document
from runofshow.words.text import json_safe

if TYPE_CHECKING:
    from runofshow.sync.control_client import ControlClient
    from runofshow.sync.hub.connect import HubCredentials


def run_follow(
    target: str,
    *,
    token: str | None,
    stage: bool,
    as_json: bool,
    cafile: str | None,
    hub_creds: str | None = None,
    control: str | None = None,
    name: str | None = None,
) -> int:
    """Follow `target` (a journal path, a ws:// URL or a room on a hub) until the user quits.

    With `control` (the control token), the full screen gets the moderator's keys, sent to its server.
    """
    if control is not None and (not target.startswith(("ws://", "wss://")) or stage or as_json):
        raise UserError("--control goes with following the moderator's server (ws://...), on the full screen")
    if name is not None and control is None:
        raise UserError("--as names the sender of commands: it goes with --control")
    creds = None
    if _on_hub(target):
        from runofshow.sync.hub.connect import HubCredentials, split_room_url

        split_room_url(target)  # a wrong address is the first thing to hear about
        if token or cafile:
            raise UserError("--token and --cafile are for ws:// and wss://; a hub's room takes --hub-creds")
        creds = HubCredentials.find(hub_creds)
    elif "://" in target:
        split_url(target, token or control)  # a wrong address is the first thing to hear about
    elif Path(target).is_dir():
        raise UserError(f"{target}: is a directory; give the journal file in it")
    if not as_json and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("the follow screen needs a terminal; use --json for scripts")
    try:
        if _on_hub(target):
            return asyncio.run(_follow_hub(target, creds, stage=stage, as_json=as_json))
        return asyncio.run(
            _follow(target, token=token, stage=stage, as_json=as_json, cafile=cafile, control=control, name=name)
        )
    except KeyboardInterrupt:
        return 130


def _on_hub(target: str) -> bool:
    return target.startswith(("nats://", "tls://"))


async def _follow_hub(target: str, creds: HubCredentials | None, *, stage: bool, as_json: bool) -> int:
    """Follow a room from the hub: its header first (waiting for it, saying so once), then live."""
    from runofshow.sync.hub.follower import HubFollower

    follower = HubFollower(target, SystemClock(), creds=creds)
    try:
        if not await follower.first_contact():
            print(f"Waiting for room {follower.room} on the hub… (ctrl+c to stop)", file=sys.stderr)
            await follower.wait_for_room()
        return await _show(follower, follower.changes, target, stage=stage, as_json=as_json)
    finally:
        await follower.close()


async def _follow(
    target: str,
    *,
    token: str | None,
    stage: bool,
    as_json: bool,
    cafile: str | None,
    control: str | None = None,
    name: str | None = None,
) -> int:
    clock = SystemClock()
    source: Follower
    if "://" in target:  # split_url refuses http:// and the like, rather than wait for a file of that name
        remote = RemoteFollower(target, token or control, clock, cafile=cafile, stage=stage)
        await remote.first_contact()
        source, changes, label = remote, remote.changes, remote.url
    else:
        if token:
            raise UserError("--token is for following over the network (ws://...); a journal file needs none")
        path = Path(target)
        follower = FileFollower(path, clock)
        watch = FileWatch(path)
        await _wait_for_header(follower, watch)
        source, changes, label = follower, watch.changes, str(path)
    if control is None:
        return await _show(source, changes, label, stage=stage, as_json=as_json)
    from runofshow.sync.control_client import ControlClient

    client = ControlClient(target, control, name, cafile=cafile)
    try:
        return await _show(source, changes, label, stage=stage, as_json=as_json, remote_controls=client)
    finally:
        await client.close()


async def _show(
    source: Follower,
    changes: Callable[[], AsyncIterator[None]],
    label: str,
    *,
    stage: bool,
    as_json: bool,
    remote_controls: ControlClient | None = None,
) -> int:
    """The follow screen (or stage, or JSON lines) on `source`, until the user quits or the session ends."""
    if as_json:
        return await _json_lines(source, changes)
    from runofshow.tui.app import RunofshowApp, SessionApp, StageApp, journal_label

    app: SessionApp
    if stage:
        app = StageApp(source, changes=changes)
    else:
        shown = label if "://" in label else journal_label(Path(label))
        app = RunofshowApp(source, journal_label=shown, changes=changes, remote_controls=remote_controls)
    await app.run_async()
    return 0


async def _wait_for_header(follower: FileFollower, watch: FileWatch) -> None:
    """Wait, saying so once, until the journal exists and its header can be read."""
    told = False
    # Closed on the way out, not left to the garbage collector: its clean-up would stop the
    # watch's next iteration (the screen's) from hearing of changes.
    async with contextlib.aclosing(watch.changes()) as changes:
        async for _ in changes:
            follower.poll()
            if follower.problem:  # a pipe, a device, a corrupt journal: said once, before any screen or line
                raise UserError(follower.problem)
            if follower.ready:
                return
            if not told:  # on stderr, so a script reading --json lines is not disturbed
                print(f"Waiting for {follower.path} to be written… (ctrl+c to stop)", file=sys.stderr)
                told = True


async def _json_lines(source: Follower, changes: Callable[[], AsyncIterator[None]]) -> int:
    """Print one JSON state line per change: a new record, or a new second on the countdown."""
    iterator = changes().__aiter__()
    waiting: asyncio.Future[None] = asyncio.ensure_future(anext(iterator))
    last_key: tuple[object, ...] | None = None
    try:
        while True:
            source.poll()
            if not getattr(source, "caught_up", True):
                # Still receiving the history: its states are not news to a script.
                done, _ = await asyncio.wait({waiting}, timeout=1.0)
                if waiting in done:
                    waiting = asyncio.ensure_future(anext(iterator))
                continue
            view = source.view()
            extra = {"session": source.agenda.session.title, "problem": source.problem}
            state = status_document(view, extra, link_up=source.problem is None)
            key = (state["seq"], state["phase"], round(view.remaining_s), round(view.offset_s), source.problem)
            if key != last_key:
                print(json_safe(json.dumps(state, ensure_ascii=False)), flush=True)
                last_key = key
            if view.ended:
                return 0
            delay = min(seconds_to_next_change(view), 60.0)
            done, _ = await asyncio.wait({waiting}, timeout=delay + 0.003)
            if waiting in done:
                waiting = asyncio.ensure_future(anext(iterator))
    except BrokenPipeError:
        return 0
    finally:
        waiting.cancel()
