"""Whether a room's controller is silent: nothing from it, record or heartbeat, for a while.

A `SilenceWatch` listens on the hub to the room's heartbeats and to its
records as they are published (core NATS subscriptions on the room's two
subjects, so it hears the controller however the screen gets the records:
from the hub or from a `ws://` server). It runs on a thread and loop of its
own; the screen only asks it, at each tick, how long it has been silent.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from runofshow.clock import Clock
from runofshow.sync.hub.connect import HubCredentials, connect
from runofshow.sync.hub.names import beat_subject, check_room, subject


class SilenceWatch:
    """How long since the room's controller was last heard, by this machine's monotonic clock."""

    def __init__(self, url: str, room: str, clock: Clock, *, creds: HubCredentials | None = None) -> None:
        self.url = url
        self.room = check_room(room)
        self.clock = clock
        #: When the watch began, or the controller was last heard (monotonic seconds).
        self._heard = clock.read().mono
        #: The last heartbeat's seq (the controller's last durable record), if one came.
        self.beat_seq: int | None = None
        #: Why the hub cannot be listened to now, or None.
        self.problem: str | None = None
        self.creds = creds
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._listening = threading.Event()

    def start(self, timeout: float = 5.0) -> bool:
        """Start listening on a thread of its own; whether it listens within `timeout` seconds."""
        self._thread = threading.Thread(target=self._run, name="runofshow-silence", daemon=True)
        self._thread.start()
        return self._listening.wait(timeout)

    def heard(self) -> None:
        """The controller was heard now (a record or a heartbeat came, by whatever path)."""
        now = self.clock.read().mono
        with self._lock:
            self._heard = max(self._heard, now)

    def silent_s(self) -> float:
        """Seconds since the controller was last heard (since the watch began, if never)."""
        with self._lock:
            heard = self._heard
        return max(0.0, self.clock.read().mono - heard)

    def close(self, timeout: float = 2.0) -> None:
        """Stop listening. Closing twice is harmless."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)

    # -- the watch's own thread and loop ------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as error:  # the watch must not take the screen down: it says why it is deaf
            self.problem = f"{type(error).__name__}: {error}"

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        nc = await self._open()

        async def on_record(msg: Any) -> None:
            self.heard()

        async def on_beat(msg: Any) -> None:
            self.heard()
            try:
                seq = json.loads(msg.data).get("seq")
            except (ValueError, AttributeError):
                return
            if type(seq) is int:
                self.beat_seq = seq

        try:
            await nc.subscribe(subject(self.room), cb=on_record)
            await nc.subscribe(beat_subject(self.room), cb=on_beat)
            await nc.flush()
            self._listening.set()
            await self._stop.wait()
        finally:
            await nc.close()

    async def _open(self) -> Any:
        # Reconnects for ever: while the hub is away, nothing is heard, and the controller seems silent.
        return await connect(self.url, self.creds, name="runofshow-silence")
