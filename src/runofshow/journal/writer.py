"""The journal writer's own thread: the screen hands records over and never waits for the disk.

A record is decided and applied at once (the engine in memory is the truth);
it is *acknowledged* once its line is fsynced. A watchdog notices a write or
an fsync that does not return, so a frozen or dead disk is reported within
`STALL_S` while the countdown, computed from the clock, goes on.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from runofshow.journal.file import JournalFile, Moved

#: A write or fsync that has not returned after this long is reported as "not answering".
STALL_S = 1.5
#: A record still not on disk after this long is shown as pending (a quicker fsync is not worth a flicker).
PENDING_SHOW_S = 0.2
#: How often an idle writer checks that the journal is still the file it writes.
CHECK_S = 1.0
#: The watchdog wakes this long after a mark is due, so that the clock reads past it.
ALARM_MARGIN_S = 0.005


@dataclass(frozen=True, slots=True)
class JournalHealth:
    """Where the journal stands, for the screen: all on disk, pending, failing, or not answering."""

    #: The last record on disk.
    durable_seq: int
    #: Records decided (and shown) but not yet on disk.
    pending: int
    #: How long the oldest of them has waited, in seconds.
    waiting_s: float
    #: Why writes fail (disk full, read-only), when records are held for a retry.
    error: str | None
    #: How long a write or fsync has not returned, once that is past STALL_S.
    stalled_s: float | None
    #: What happened to the file under the session (deleted, replaced, cut short), once it did.
    notice: str | None

    @property
    def shows_pending(self) -> bool:
        """Whether the screen should say records are pending (they have waited long enough to see)."""
        return self.pending > 0 and self.waiting_s >= PENDING_SHOW_S

    @property
    def problem(self) -> str | None:
        """One line for the banner, or None while the journal keeps up."""
        if self.stalled_s is not None:
            return (
                f"journal not answering: the disk has not returned for {self.stalled_s:.0f} s; "
                f"{self.pending} record(s) waiting in memory"
            )
        if self.error is not None:
            return f"{self.error}; {self.pending} record(s) held in memory"
        return None


class JournalWriter:
    """The journal's writer thread, its queue, and a watchdog for a disk that stops answering.

    Retries of held records are asked for by the controller (`retry`), on its
    clock, so that the back-off is testable with a fake one.

    It tells its owner, on its own threads and never under its lock:
    `on_durable(seq, line)` for each record once it is on disk, in order and
    once each; `on_change(health)` whenever the health changes; `on_moved(moved)`
    when the journal had to be written again to another file.
    """

    def __init__(
        self,
        file: JournalFile,
        durable_seq: int,
        *,
        on_durable: Callable[[int, bytes], None] | None = None,
        on_change: Callable[[JournalHealth], None] | None = None,
        on_moved: Callable[[Moved], None] | None = None,
    ) -> None:
        self.file = file
        self._on_durable = on_durable
        self._on_change = on_change
        self._on_moved = on_moved
        lock = threading.RLock()
        self._cond = threading.Condition(lock)
        #: The watchdog's own condition, on the same lock, so that waking the writer or a waiter does not wake it.
        self._alarm = threading.Condition(lock)
        #: When the watchdog will next look by itself (None: not until told); a mark due later needs no wake-up.
        self._alarm_at: float | None = None
        #: When the idle writer will next check the file (a check can hang, so the watchdog plans for it).
        self._next_check = time.monotonic() + CHECK_S
        self._queue: deque[tuple[int, bytes, float] | float] = deque()
        #: (seq, monotonic time handed in) of each record not yet on disk.
        self._waiting: deque[tuple[int, float]] = deque()
        self._durable = durable_seq
        self._answered = durable_seq
        self._busy_since: float | None = None
        self._notice: str | None = None
        self._stopping = False
        self._closed = False
        #: Consecutive failed attempts, and the controller's clock at the last one (for the back-off).
        self.failures = 0
        self.failed_mono = 0.0
        self._thread = threading.Thread(target=self._run, name="runofshow-journal", daemon=True)
        self._watchdog = threading.Thread(target=self._watch, name="runofshow-journal-watchdog", daemon=True)
        self._thread.start()
        self._watchdog.start()

    # -- the controller's side -------------------------------------------------

    @property
    def fd(self) -> int:
        """The journal's descriptor now (it changes if the file had to be written again)."""
        return self.file.fd

    def submit(self, seq: int, line: bytes, mono: float) -> None:
        """Hand one record over; `mono` is the controller's clock, stamped on a failure."""
        with self._cond:
            if self._stopping:
                raise RuntimeError("the journal is closed")
            self._queue.append((seq, line, mono))
            self._waiting.append((seq, now := time.monotonic()))
            self._cond.notify_all()
            if len(self._waiting) == 1:
                self._arm(now + PENDING_SHOW_S)

    def retry(self, mono: float) -> None:
        """Try the held records again (the controller's back-off says it is time)."""
        with self._cond:
            if not self._stopping:
                self._queue.append(mono)
                self._cond.notify_all()

    def wait_answered(self, seq: int, timeout: float | None = None) -> bool:
        """Wait until the writer has tried `seq` at least once; return whether it is on disk."""
        with self._cond:
            self._cond.wait_for(lambda: self._answered >= seq or self._closed, timeout)
            return self._durable >= seq

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every record handed in has been tried; True if the writer got there in time."""
        with self._cond:
            return self._cond.wait_for(lambda: (not self._queue and self._busy_since is None) or self._closed, timeout)

    def is_durable(self, seq: int) -> bool:
        """Whether `seq` is on disk now (never waits)."""
        return self._durable >= seq

    @property
    def healthy(self) -> bool:
        """True when every record handed in is on disk (waits for the writer to try them first)."""
        self.settle(timeout=STALL_S * 2)
        with self._cond:
            return not self._waiting

    @property
    def held(self) -> list[bytes]:
        """The lines not on disk yet, oldest first (held after a failure, or still queued)."""
        with self._cond:
            queued = [item[1] for item in self._queue if isinstance(item, tuple)]
            return [line for _, line in self.file.held] + queued

    @property
    def error(self) -> str | None:
        """Why the last write failed, while records are held."""
        return self.file.error

    def health(self) -> JournalHealth:
        """A snapshot for the screen; cheap, and never waits on the disk."""
        now = time.monotonic()
        with self._cond:
            waiting = now - self._waiting[0][1] if self._waiting else 0.0
            busy = self._busy_since
            stalled = now - busy if busy is not None and now - busy >= STALL_S else None
            return JournalHealth(
                durable_seq=self._durable,
                pending=len(self._waiting),
                waiting_s=waiting,
                error=self.file.error if self.file.held else None,
                stalled_s=stalled,
                notice=self._notice,
            )

    def stop(self, timeout: float, *, retry_held: bool = True) -> bool:
        """Write what is queued (and try held records once more), then stop; False if the disk did not answer."""
        with self._cond:
            if not self._stopping:
                self._stopping = True
                if self.file.held and retry_held:
                    self._queue.append(-1.0)
                self._cond.notify_all()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def abandon(self) -> None:
        """Stop the threads and leave the file open for whoever opened it (a controller that failed to open)."""
        self.stop(timeout=STALL_S * 2, retry_held=False)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            self._alarm.notify_all()

    def close(self) -> None:
        """Stop (writing what is queued, but not retrying held records) and close the file."""
        if not self._stopping:
            self.stop(timeout=STALL_S * 2, retry_held=False)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            self._alarm.notify_all()
        self.file.close()

    # -- the writer's thread -----------------------------------------------------

    def _arm(self, due: float) -> None:
        """A mark falls due at `due` (monotonic): wake the watchdog only if it would not look by then anyway.

        Called with the lock held.
        """
        if self._alarm_at is None or self._alarm_at > due + ALARM_MARGIN_S:
            self._alarm.notify()

    def _changed(self) -> None:
        if self._on_change is not None:
            try:
                self._on_change(self.health())
            except Exception:  # a screen that is gone must not stop the writer
                pass

    def _run(self) -> None:
        last_check = time.monotonic()
        while True:
            with self._cond:
                self._next_check = last_check + CHECK_S
                while not self._queue and not self._stopping:
                    left = CHECK_S - (time.monotonic() - last_check)
                    if left <= 0:
                        break
                    self._cond.wait(left)
                item = self._queue.popleft() if self._queue else None
                if item is None and self._stopping:
                    return
            if item is None:
                last_check = time.monotonic()
                self._check()
                continue
            if isinstance(item, tuple):
                seq, line, mono = item
                self.file.held.append((seq, line))
            else:
                mono = item
            self._flush(mono)

    def _flush(self, mono: float) -> None:
        failed = False
        while self.file.held:
            seq, line = self.file.held[0]
            with self._cond:
                self._busy_since = time.monotonic()
                self._arm(self._busy_since + STALL_S)
            ok = self.file.write_one()
            with self._cond:
                self._busy_since = None
                if ok:
                    self._durable = seq
                    while self._waiting and self._waiting[0][0] <= seq:
                        self._waiting.popleft()
                    if self._waiting:  # the oldest record still waiting is a newer one, due to show later
                        self._arm(self._waiting[0][1] + PENDING_SHOW_S)
                self._cond.notify_all()
            if not ok:
                failed = True
                break
            if self._on_durable is not None:
                # Before `_answered` moves on, below: whoever waits for this record finds it handed over.
                try:
                    self._on_durable(seq, line)
                except Exception:  # whatever it feeds must not stop the writer
                    pass
        with self._cond:
            if failed:
                self.failures += 1
                self.failed_mono = mono
            else:
                self.failures = 0
            held = max((s for s, _ in self.file.held), default=self._durable)
            self._answered = max(self._answered, self._durable, held)
            self._cond.notify_all()
        self._changed()

    def _check(self) -> None:
        if self.file.held:
            return  # a failing disk: the size cannot be trusted until the records are out
        with self._cond:
            self._busy_since = time.monotonic()  # a look at a dead disk can hang too
            self._arm(self._busy_since + STALL_S)
        try:
            result = self.file.check()
        finally:
            with self._cond:
                self._busy_since = None
                self._cond.notify_all()
        if result is None:
            return
        if isinstance(result, Moved):
            if self._on_moved is not None:
                self._on_moved(result)
            self._notice = result.notice
        else:
            self._notice = result
        self._changed()

    def _watch(self) -> None:
        """Wake the screen when a record has waited long enough to show, and when a write stalls.

        It sleeps until the first moment either could happen: the oldest
        record's time to show, the stall time of the write or check under way,
        or else that of the writer's next check. Marks appearing later than
        that need no wake-up (`_arm`), so an idle journal costs the watchdog one
        wake-up every other check, not one per change of the writer's state.
        """
        fired: set[tuple[str, float]] = set()
        with self._cond:
            while not self._closed:
                marks = []
                if self._waiting:
                    marks.append(("pending", self._waiting[0][1], PENDING_SHOW_S))
                if self._busy_since is not None:
                    marks.append(("stall", self._busy_since, STALL_S))
                now = time.monotonic()
                due = [(kind, since) for kind, since, after in marks if now - since >= after]
                fresh = [mark for mark in due if mark not in fired]
                if fresh:
                    fired = set(due)
                    self._alarm_at = now  # it looks again as soon as the callbacks return
                    self._cond.release()
                    try:
                        self._changed()
                    finally:
                        self._cond.acquire()
                    continue
                ahead = [since + after for kind, since, after in marks if (kind, since) not in fired]
                if self._busy_since is None and not self._stopping:
                    ahead.append(max(now, self._next_check) + STALL_S)
                self._alarm_at = min(ahead) + ALARM_MARGIN_S if ahead else None
                self._alarm.wait(None if self._alarm_at is None else max(0.0, self._alarm_at - now))
