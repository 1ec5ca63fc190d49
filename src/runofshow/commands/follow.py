"""`runofshow follow`: watch a session someone else runs, from a journal file, a WebSocket or a room on a hub."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runofshow.clock import SystemClock
from runofshow.errors import UserError
from runofshow.sync.follower import FileFollower, Follower
from runofshow.sync.hub.connect import hub_servers, split_room_url
from runofshow.sync.hub.names import RoomNameError, check_room
from runofshow.sync.remote import RemoteFollower, split_url
from runofshow.sync.watch import FileWatch
from runofshow.words.display import seconds_to_next_change
from runofshow.words.status import status_document
from runofshow.words.takeover import DEFAULT_SILENT_AFTER_S, MAX_SILENT_AFTER_S
from runofshow.words.text import json_safe

if TYPE_CHECKING:  # NATS and the controller are loaded only for a hub's room
    from runofshow.sync.control_client import ControlClient
    from runofshow.sync.hub.connect import HubCredentials
    from runofshow.sync.hub.takeover import RoomTakeover


@dataclass(frozen=True, slots=True)
class Room:
    """The room followed on the hub, for a co-host who may take it over (with its control token)."""

    hub: str
    name: str
    control: str
    silent_after_s: float = DEFAULT_SILENT_AFTER_S


def check_room_options(
    target: str, hub: str | None, room: str | None, control: str | None, silent_after: float | None
) -> Room | None:
    """The room to watch for silence and take over, from the options; UserError (one line) when they do not fit.

    Following `nats://HOST/ROOM`, the room is the target's; following by `ws://`, `--hub` and `--room` name it.
    """
    if control is None:
        if silent_after is not None:
            raise UserError("--silent-after is for taking a room over: give --control TOKEN too")
        if hub is not None or room is not None:
            raise UserError("--hub and --room are for taking a room over: give --control TOKEN too")
        return None
    if _on_hub(target):
        if hub is not None or room is not None:
            raise UserError("--hub and --room are for following by ws://; nats://HOST/ROOM names its room")
        hub, room = split_room_url(target)
    elif hub is None and room is None:
        if silent_after is not None:
            raise UserError("--silent-after is for taking a room over: give --hub URL and --room NAME too")
        return None  # the moderator's keys over ws://, with no room to take over
    elif hub is None or room is None:
        raise UserError("--control takes a room over through the hub: give --hub URL and --room NAME too")
    try:
        check_room(room)
    except RoomNameError as error:
        raise UserError(f"--room: {error}") from None
    hub_servers(hub)
    after = DEFAULT_SILENT_AFTER_S if silent_after is None else silent_after
    if not math.isfinite(after) or not 0 < after <= MAX_SILENT_AFTER_S:
        raise UserError(f"--silent-after {silent_after}: give seconds, more than 0 and at most {MAX_SILENT_AFTER_S:g}")
    return Room(hub, room, control, after)


def run_follow(
    target: str,
    *,
    token: str | None,
    stage: bool,
    as_json: bool,
    cafile: str | None,
    hub_creds: str | None = None,
    room: Room | None = None,
    control: str | None = None,
    name: str | None = None,
) -> int:
    """Follow `target` (a journal path, a ws:// URL or a room on a hub) until the user quits.

    With `room`, the co-host may take it over when its controller is silent. With `control` (the control
    token) and no room, following by ws://, the full screen gets the moderator's keys, sent to its server.
    """
    if room is not None and (stage or as_json):
        raise UserError("--control is for the co-host's screen: not with --stage or --json")
    if room is None and control is not None and (not target.startswith(("ws://", "wss://")) or stage or as_json):
        raise UserError("--control goes with following the moderator's server (ws://...), on the full screen")
    if name is not None and (control is None or room is not None):
        raise UserError("--as names the sender of commands: it goes with --control, following by ws:// alone")
    creds = None
    if _on_hub(target):
        split_room_url(target)  # a wrong address is the first thing to hear about
        if token or cafile:
            raise UserError("--token and --cafile are for ws:// and wss://; a hub's room takes --hub-creds")
    elif "://" in target:
        split_url(target, token or control)  # a wrong address is the first thing to hear about
    elif Path(target).is_dir():
        raise UserError(f"{target}: is a directory; give the journal file in it")
    if _on_hub(target) or room is not None:
        from runofshow.sync.hub.connect import HubCredentials

        creds = HubCredentials.find(hub_creds)
    if not as_json and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("the follow screen needs a terminal; use --json for scripts")
    try:
        if _on_hub(target):
            return asyncio.run(_follow_hub(target, creds, stage=stage, as_json=as_json, room=room))
        return asyncio.run(
            _follow(
                target, token=token, stage=stage, as_json=as_json, cafile=cafile, room=room, creds=creds,
                control=None if room is not None else control, name=name,
            )
        )  # fmt: skip
    except KeyboardInterrupt:
        return 130


def _on_hub(target: str) -> bool:
    return target.startswith(("nats://", "tls://"))


async def _follow_hub(
    target: str, creds: HubCredentials | None, *, stage: bool, as_json: bool, room: Room | None = None
) -> int:
    """Follow a room from the hub: its header first (waiting for it, saying so once), then live."""
    from runofshow.sync.hub.follower import HubFollower

    follower = HubFollower(target, SystemClock(), creds=creds)
    try:
        if not await follower.first_contact():
            print(f"Waiting for room {follower.room} on the hub… (ctrl+c to stop)", file=sys.stderr)
            await follower.wait_for_room()
        return await _show(follower, follower.changes, target, stage=stage, as_json=as_json, room=room, creds=creds)
    finally:
        await follower.close()


async def _follow(
    target: str,
    *,
    token: str | None,
    stage: bool,
    as_json: bool,
    cafile: str | None,
    room: Room | None = None,
    creds: HubCredentials | None = None,
    control: str | None = None,
    name: str | None = None,
) -> int:
    clock = SystemClock()
    source: Follower
    if "://" in target:  # split_url refuses http:// and the like, rather than wait for a file of that name
        remote = RemoteFollower(target, token or (room.control if room else None) or control, clock, cafile=cafile,
                                stage=stage)  # fmt: skip
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
        return await _show(source, changes, label, stage=stage, as_json=as_json, room=room, creds=creds)
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
    room: Room | None = None,
    creds: HubCredentials | None = None,
    remote_controls: ControlClient | None = None,
) -> int:
    """The follow screen (or stage, or JSON lines) on `source`, until the user quits or the session ends."""
    if as_json:
        return await _json_lines(source, changes)
    from runofshow.tui.app import RunofshowApp, SessionApp, StageApp, journal_label

    app: SessionApp
    if stage:
        app = StageApp(source, changes=changes)
        await app.run_async()
        return 0
    shown = label if "://" in label else journal_label(Path(label))
    takeover = None if room is None else _room_takeover(room, SystemClock(), creds)
    app = RunofshowApp(source, journal_label=shown, changes=changes, takeover=takeover, remote_controls=remote_controls)
    try:
        await app.run_async()
    finally:
        if takeover is not None:
            await asyncio.to_thread(takeover.close)
    if takeover is not None and takeover.taken is not None and room is not None:
        path = takeover.taken.controller.path
        print(
            f"You took room {room.name} over; its journal here is {path}. To go on as its controller: "
            f"runofshow run {path} --hub {room.hub} --room {room.name}"
        )
    return 0


def _room_takeover(room: Room, clock: SystemClock, creds: HubCredentials | None) -> RoomTakeover:
    """Watch the room's controller for silence on the hub, and take it over from there when asked."""
    from runofshow.sync.hub.mirror import HubMirror, mirror_controller
    from runofshow.sync.hub.silence import SilenceWatch
    from runofshow.sync.hub.takeover import RoomTakeover, TakenOver

    watch = SilenceWatch(room.hub, room.name, clock, creds=creds)
    watch.start()  # deaf to a hub that does not answer: the controller then seems silent, and taking over says why

    def mirror(taken: TakenOver) -> HubMirror:
        # From the hub's last record on (it checks that record is the journal's), keeping the room's token hashes:
        # this terminal knows only the control token.
        # It also takes the room's control API (from `serve --hub`) onto the controller's bus: the moderator's screen
        # carries each command out (RunofshowApp.become_controller), answered once on disk.
        return mirror_controller(taken.controller, room.hub, room.name, creds, token_hashes=taken.tokens, commands=True)

    return RoomTakeover(
        room.hub, room.name, room.control, clock, watch, mirror, silent_after_s=room.silent_after_s, creds=creds
    )


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
