"""The controller: one engine, one journal, one clock, and the single-writer lock.

Every command is decided by the engine, written and fsynced by the journal,
and only then applied and acknowledged. If the disk fails, the show goes on
in memory, the failure is exposed for the screen to show loudly, and the held
events are written, in order, once the disk works again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from runofshow.core.agenda import Agenda
from runofshow.core.clock import Clock, Reading
from runofshow.core.decide import due_warnings, event_for
from runofshow.core.events import JUMP_THRESHOLD_S, LIVE, REHEARSAL, SUSPEND_THRESHOLD_S, Event
from runofshow.core.journal import (
    Header,
    JournalError,
    JournalLock,
    JournalWriter,
    cannot_use,
    new_header,
    repair_torn_tail,
    replay,
)
from runofshow.core.link import Link, LinkState, Via
from runofshow.core.state import State
from runofshow.core.timefmt import format_duration
from runofshow.core.view import View, derive

#: Waits between retries of a failed journal write, in seconds; the last one repeats.
RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0)


def choose_mode(agenda: Agenda, reading: Reading, rehearsal: bool) -> str:
    """Live when the session is today (in its zone) or starts within 12 h; else rehearsal.

    The second rule keeps a session just after midnight live when it is
    opened the evening before.
    """
    if rehearsal:
        return REHEARSAL
    now = reading.wall
    today = now.in_tz(agenda.session.timezone).date()
    soon = agenda.start.subtract(hours=12) <= now <= agenda.end
    return LIVE if today == agenda.session.date or soon else REHEARSAL


@dataclass(frozen=True, slots=True)
class Ack:
    """What a command did: the event recorded, whether it is on disk, and warnings noticed first."""

    event: Event
    durable: bool
    noticed: tuple[Event, ...] = field(default=())


class Controller:
    """The one process allowed to write a session's journal."""

    def __init__(
        self,
        path: Path,
        header: Header,
        agenda: Agenda,
        engine: State,
        writer: JournalWriter,
        lock: JournalLock,
        clock: Clock,
        notes: list[str],
    ) -> None:
        self.path = path
        self.header = header
        self.agenda = agenda
        self.engine = engine
        self.writer = writer
        self.lock = lock
        self.clock = clock
        #: Things the moderator should be told once (a repaired tail, a resume).
        self.notes = notes
        self._last: Reading | None = None
        self._retry_at: float | None = None
        self._failures = 0

    # -- opening -----------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        clock: Clock,
        *,
        agenda: Agenda | None = None,
        mode: str | None = None,
    ) -> Controller:
        """Resume the journal at `path` if it exists, else start one on `agenda` in `mode`.

        Raise JournalLocked if another controller holds it, JournalError if it
        is corrupt or foreign (nothing is changed then).
        """
        path = Path(path)
        lock = JournalLock(path)
        try:
            lock.acquire(path)
            if path.exists():
                return cls._resume(path, clock, lock, agenda)
            if agenda is None or mode is None:
                raise JournalError(f"{path}: no such journal")
            reading = clock.read()
            header = new_header(agenda, mode, reading)
            writer = JournalWriter.create(path, header)
            engine = State(agenda, mode, header.origin)
            controller = cls(path, header, agenda, engine, writer, lock, clock, [])
            controller._last = reading
            return controller
        except OSError as error:  # a read-only file, an unwritable folder, a full disk: the user can fix it
            lock.release()
            raise JournalError(cannot_use(path, error)) from None
        except BaseException:
            lock.release()
            raise

    @classmethod
    def _resume(cls, path: Path, clock: Clock, lock: JournalLock, agenda: Agenda | None) -> Controller:
        replayed = replay(path)
        notes: list[str] = []
        if replayed.torn is not None:
            notes.append(repair_torn_tail(path, replayed))
        if agenda is not None and agenda.source != replayed.header.agenda_text:
            notes.append(
                f"{agenda.path} has changed since this session began; it goes on with the agenda saved in the journal"
            )
        writer = JournalWriter.open(path, replayed.good_size)
        controller = cls(path, replayed.header, replayed.agenda, replayed.engine, writer, lock, clock, notes)
        controller._reopened()
        return controller

    def _reopened(self) -> None:
        reading = self._read()
        engine = self.engine
        _, by_wall = engine.t_of(reading)
        last = engine.last_reading
        since_last = (reading.wall_us - last.wall_us) / 1e6
        data: dict[str, Any] = {"since_last_s": round(since_last, 3), "uncertain": by_wall}
        if not by_wall:
            jump = since_last - (reading.mono - last.mono)
            if abs(jump) >= JUMP_THRESHOLD_S:
                data["clock_jump_s"] = round(jump, 3)
        self._record("reopen", data, reading)
        self._last = reading
        if engine.started and not engine.ended:
            how = (
                "; the computer restarted meanwhile, so that time is from its wall clock and less certain"
                if by_wall
                else ""
            )
            self.notes.append(
                f"Resumed {self.path.name}: {format_duration(max(0.0, since_last))} since its last record, and the segment "
                f"kept its time running{how}"
            )

    # -- recording -----------------------------------------------------------

    def _read(self) -> Reading:
        """The clock as the journal stores it (mono to the microsecond).

        Deciding on exactly the readings that get recorded keeps the live state
        and a replay in step, even at the very instant a threshold is crossed.
        """
        reading = self.clock.read()
        return replace(reading, mono=round(reading.mono, 6))

    def _record(self, kind: str, data: dict[str, Any], reading: Reading) -> tuple[Event, bool]:
        event = Event(
            seq=self.engine.seq + 1,
            type=kind,
            wall_us=reading.wall_us,
            mono=round(reading.mono, 6),
            boot=reading.boot,
            data=data,
        )
        durable = self.writer.append(event.to_json())
        if not durable:
            self._schedule_retry(reading)
        elif self._failures:
            self._retry_at = None
            self._failures = 0  # the disk works again: a later fault starts over at the shortest wait
        self.engine.apply(event)
        return event, durable

    def command(self, name: str, **args: Any) -> Ack:
        """Carry out a moderator's command. Raise CommandError if it makes no sense now.

        Warnings that came due before the command are recorded first, so that
        each is stamped at its own instant and never lost to a quick keypress.
        """
        reading = self._read()
        noticed = self._poll(reading)
        kind, data = event_for(self.engine, name, reading, **args)
        event, durable = self._record(kind, data, reading)
        return Ack(event=event, durable=durable, noticed=tuple(noticed))

    def poll(self) -> list[Event]:
        """Record what the clock says has happened: warnings, wall-clock steps, suspends.

        Cheap when nothing is due; call it once per displayed second.
        """
        return self._poll(self._read())

    def _poll(self, reading: Reading) -> list[Event]:
        events: list[Event] = []
        last = self._last
        if last is not None and last.boot == reading.boot:
            mono = reading.mono - last.mono
            jump = (reading.wall_us - last.wall_us) / 1e6 - mono
            if abs(jump) >= JUMP_THRESHOLD_S:
                events.append(self._record("clock_jump", {"seconds": round(jump, 3)}, reading)[0])
            slept = mono - (reading.awake - last.awake)
            if slept >= SUSPEND_THRESHOLD_S:
                events.append(self._record("suspend", {"seconds": round(slept, 3)}, reading)[0])
        self._last = reading
        for data in due_warnings(self.engine, reading):
            events.append(self._record("warning", data, reading)[0])
        if self.writer.held and self._retry_at is not None and reading.mono >= self._retry_at:
            if self.writer.flush():
                self._retry_at = None
                self._failures = 0
            else:
                self._schedule_retry(reading)
        return events

    def _schedule_retry(self, reading: Reading) -> None:
        delay = RETRY_DELAYS[min(self._failures, len(RETRY_DELAYS) - 1)]
        self._failures += 1
        self._retry_at = reading.mono + delay

    # -- reading -------------------------------------------------------------

    def view(self) -> View:
        """The state now, from the journal's events and the clock."""
        return derive(self.engine, self._read())

    @property
    def journal_error(self) -> str | None:
        """Why records are being held in memory, or None when all are on disk."""
        if not self.writer.held:
            return None
        return f"{self.writer.error or 'write failed'}; {len(self.writer.held)} record(s) held in memory"

    def link(self) -> Link:
        """The journal as this process writes it: all on disk, or failing (and why)."""
        problem = self.journal_error
        state = LinkState.FAILING if problem else LinkState.WRITING
        return Link(state, Via.OWN, self.path.name, self.header.owner, self.engine.last_event_us, problem)

    def close(self) -> None:
        """Leave the session without ending it: the next open resumes it. Closing twice is harmless."""
        if self.lock.fd is None:
            return
        try:
            if not self.engine.ended:
                self._record("detach", {}, self._read())
            else:
                self.writer.flush()
        finally:
            self.writer.close()
            self.lock.release()
