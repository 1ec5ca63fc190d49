"""The session's bus: how what the journal makes durable, and how the journal is doing, reach every front end.

One bus per controller, with one channel per kind of message:

- `records`: each record once it is on disk, as a `DurableRecord`: its seq,
  its line exactly as written, and its event, decoded once (by the decision
  that made it, or by the rescue file it came back from). A subscriber
  folds the event; it never parses the line again, nor reads the file.
- `health`: a `JournalHealth` whenever it changes (a record on disk, a
  failing write, a stall, the file moved under the session).
- `commands`: inbound commands (`Inbound`) from outside the
  moderator's keyboard (a co-host, the HTTP API, OSC), published by the
  server's channel from its reading thread; the screen that owns the
  controller subscribes in its loop and carries each one out as a key.

Records are published in seq order, each once, from the journal writer's
thread; health from the writer's thread or its watchdog's.

Every subscriber says, when it subscribes, where it is called, and nothing
is guessed from the thread or loop that happens to be running:

- `Delivery.WRITER_THREAD`: at once, on the thread that publishes (for both
  channels, the journal writer's own). It must be quick, must not block and
  must be thread-safe; an exception it raises is dropped, so that no
  subscriber can stop the writer.
- `Delivery.loop(loop)`: in `loop`, by `loop.call_soon_threadsafe`, in
  order. For objects that belong to that loop (a server's connections, a
  screen). A loop that has closed gets nothing more, and its subscriptions end.

`deliver_now()`, from inside a running loop, hands that loop's subscribers
what is on its way to them at once: a script that waits for each record
(`Controller(wait=True)`) sees its subscribers served before the command returns.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from runofshow.domain.commands import Command
from runofshow.domain.events import Event
from runofshow.journal.writer import JournalHealth

__all__ = ["Answer", "Bus", "Channel", "Delivery", "DurableRecord", "Inbound", "Subscription"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DurableRecord:
    """A record on disk: its seq, its line as written (newline included), and its event, decoded once."""

    seq: int
    line: bytes
    event: Event


@dataclass(frozen=True, slots=True)
class Answer:
    """What became of an inbound command: its record's seq once on disk, or why it was refused."""

    ok: bool
    seq: int | None = None
    #: The HTTP status the sender gets: 200, 409 (stale, or makes no sense now).
    code: int = 200
    error: str | None = None
    #: Whether it was refused for a stale `if_seq` (rather than making no sense now).
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Inbound:
    """A command from outside, and where its answer goes (any thread: it must be quick and never block)."""

    command: Command
    answer: Callable[[Answer], None]


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a subscriber is called: on the publishing thread, or in a given event loop."""

    #: The loop to call the subscriber in; None for the publishing thread.
    target: asyncio.AbstractEventLoop | None = None

    #: At once, on the thread that publishes (the journal writer's): quick, non-blocking, thread-safe.
    WRITER_THREAD: ClassVar[Delivery]

    @classmethod
    def loop(cls, loop: asyncio.AbstractEventLoop) -> Delivery:
        """In `loop`, in order, by `call_soon_threadsafe`."""
        return cls(loop)


Delivery.WRITER_THREAD = Delivery()


class Subscription:
    """One subscriber on one channel; `cancel()` stops its deliveries, those already on their way included."""

    __slots__ = ("callback", "delivery", "_channel", "active")

    def __init__(self, channel: Channel[Any], callback: Callable[[Any], None], delivery: Delivery) -> None:
        self.callback = callback
        self.delivery = delivery
        self._channel = channel
        self.active = True

    def cancel(self) -> None:
        """Stop calling the subscriber. Cancelling twice is harmless."""
        self._channel._remove(self)


class Channel(Generic[T]):
    """One kind of message, published in order to every subscriber where it asked to be called."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self._subscriptions: list[Subscription] = []

    def subscribe(self, callback: Callable[[T], None], *, deliver: Delivery) -> Subscription:
        """Call `callback` with every message published from now on, as `deliver` says."""
        subscription = Subscription(self, callback, deliver)
        with self._bus._lock:
            self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, callback: Callable[[T], None]) -> None:
        """Stop calling `callback`, however it was subscribed; nothing happens if it was not."""
        with self._bus._lock:
            for subscription in [s for s in self._subscriptions if s.callback == callback]:
                subscription.active = False
                self._subscriptions.remove(subscription)

    def _remove(self, subscription: Subscription) -> None:
        with self._bus._lock:
            subscription.active = False
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)

    def publish(self, message: T) -> None:
        """Hand `message` to every subscriber; the publishing thread's ones are called before this returns."""
        with self._bus._lock:
            subscriptions = list(self._subscriptions)
        here = [s for s in subscriptions if s.delivery.target is None]
        for subscription in subscriptions:
            loop = subscription.delivery.target
            if loop is not None:
                self._bus._post(loop, subscription, message)
        for subscription in here:
            if subscription.active:
                try:
                    subscription.callback(message)
                except Exception:  # a subscriber that fails must not stop the thread that publishes
                    pass


class Bus:
    """The channels of one session, and the mail on its way to each event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: What is on its way to each loop, in the order it was published.
        self._mail: dict[asyncio.AbstractEventLoop, deque[tuple[Subscription, object]]] = {}
        self.records: Channel[DurableRecord] = Channel(self)
        self.health: Channel[JournalHealth] = Channel(self)
        self.commands: Channel[Inbound] = Channel(self)

    def _post(self, loop: asyncio.AbstractEventLoop, subscription: Subscription, message: object) -> None:
        if loop.is_closed():
            subscription.cancel()
            return
        with self._lock:
            self._mail.setdefault(loop, deque()).append((subscription, message))
        try:
            loop.call_soon_threadsafe(self._deliver, loop)
        except RuntimeError:  # the loop closed just now
            subscription.cancel()
            with self._lock:
                self._mail.pop(loop, None)

    def _deliver(self, loop: asyncio.AbstractEventLoop) -> None:
        """In `loop`: call its subscribers with everything on its way to them, in order."""
        while True:
            with self._lock:
                box = self._mail.get(loop)
                if not box:
                    self._mail.pop(loop, None)
                    return
                subscription, message = box.popleft()
            if not subscription.active:
                continue
            try:
                subscription.callback(message)
            except Exception as error:  # one subscriber's failure is reported, and the others still get theirs
                loop.call_exception_handler(
                    {"message": f"a {subscription.callback!r} subscriber failed", "exception": error}
                )

    def deliver_now(self) -> None:
        """From inside a running loop: call that loop's subscribers now with every message on its way to them."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._deliver(loop)
