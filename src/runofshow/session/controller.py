"""The controller: one engine, one journal, one clock, and the single-writer lock.

Every command is decided and applied by the engine at once, so the screen
never waits; its record goes to the journal's writer thread, and the command
counts as acknowledged once that record is fsynced. If the disk fails or
stops answering, the show goes on in memory, the failure is exposed for the
screen to show loudly, and the held events are written, in order, once the
disk works again, or saved to a rescue file on quit.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from runofshow.clock import Clock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.bounds import check_instant, check_mono
from runofshow.domain.commands import Ack, Command, CommandError, from_name
from runofshow.domain.decide import auto_adopt, changes_order_or_clock, check_fresh, decide, due_warnings
from runofshow.domain.derive import View, derive
from runofshow.domain.events import (
    JUMP_THRESHOLD_S,
    KEYBOARD,
    SUSPEND_THRESHOLD_S,
    ClockJump,
    Detach,
    Event,
    Payload,
    Reopen,
    ReplayError,
    Suspend,
)
from runofshow.domain.fold import State
from runofshow.domain.header import Header
from runofshow.domain.instants import Reading
from runofshow.domain.link import Link, LinkState, Via
from runofshow.files import check_regular, chunks
from runofshow.journal.codec import JOURNAL_FILE, JournalError, encode, new_header
from runofshow.journal.file import JournalFile, Moved, create_journal, names, open_journal, repair_torn_tail
from runofshow.journal.lock import JournalLock
from runofshow.journal.rescue import find_rescues, save_copy, save_rescue
from runofshow.journal.writer import STALL_S, JournalHealth, JournalWriter
from runofshow.session.bus import Bus, Delivery, DurableRecord
from runofshow.session.choice import choose_mode, foreign
from runofshow.session.replay import replay_bytes
from runofshow.words.timefmt import format_duration

#: How long quitting waits for the disk before saving what is left to a rescue file.
CLOSE_WAIT_S = 2 * STALL_S

__all__ = ["Controller", "choose_mode"]

#: Waits between retries of a failed journal write, in seconds; the last one repeats.
RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0)


class Controller:
    """The one process allowed to write a session's journal."""

    def __init__(
        self,
        path: Path,
        header: Header,
        agenda: Agenda,
        engine: State,
        file: JournalFile,
        lock: JournalLock,
        clock: Clock,
        notes: list[str],
        *,
        wait: bool = True,
    ) -> None:
        self.path = path
        self.header = header
        self.agenda = agenda
        self.engine = engine
        self.lock = lock
        self.clock = clock
        #: Things the moderator should be told once (a repaired tail, a resume).
        self.notes = notes
        #: Whether each command waits for its record to be tried on disk (scripts); the screen does not.
        self.wait = wait
        #: Where held records were saved on close, and why they could not be, if that failed.
        self.rescued: Path | None = None
        self.rescue_problem: str | None = None
        #: The whole session, saved at quit when its journal file was gone for good.
        self.saved_copy: Path | None = None
        #: Where every record, once on disk, and every change of the journal's health are published.
        self.bus = Bus()
        #: The events handed to the writer and not yet on disk, by seq: published with their line once they are.
        self._unwritten: dict[int, Event] = {}
        self._unwritten_lock = threading.Lock()
        self.writer = JournalWriter(
            file, engine.seq, on_durable=self._durable, on_change=self._health_changed, on_moved=self._moved
        )
        self._last: Reading | None = None
        self._retried: tuple[int, float] | None = None
        #: The last record that changed the running order or the clock: a command sent on a picture
        #: older than it is stale. A resumed journal counts from where it was resumed (its history
        #: is not kept), so a picture taken before the restart is stale once.
        self.changed_seq = engine.seq

    # -- opening -----------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        clock: Clock,
        *,
        agenda: Agenda | None = None,
        mode: str | None = None,
        wait: bool = True,
        confirm: Callable[[str], bool] | None = None,
    ) -> Controller:
        """Resume the journal at `path` if it exists, else start one on `agenda` in `mode`.

        Raise JournalLocked if another controller holds it (by any name), and
        JournalError if it is corrupt, or foreign and `confirm` does not say
        yes to resuming it (nothing is changed then). With `wait`, each
        command returns once its record has been tried on disk.
        """
        shown = Path(path)
        real = Path(os.path.realpath(shown))
        lock = JournalLock(real)
        for _ in range(100):  # a journal made, replaced or removed meanwhile: look again
            try:
                fd = open_journal(real)
            except FileNotFoundError:
                if agenda is None or mode is None:
                    raise JournalError(f"{shown}: no such journal") from None
                reading = clock.read()
                try:  # a journal whose header no reader would take is never started
                    check_instant(reading.wall_us, "the clock's time")
                    check_mono(reading.mono, "the system's monotonic clock")
                except ValueError as error:
                    raise JournalError(f"{shown}: not created: {error}; set the clock first") from None
                header = new_header(agenda, mode, reading)
                try:
                    created = create_journal(real, header)
                except OSError as error:
                    raise JournalError(f"{shown}: cannot create the journal: {error.strerror or error}") from None
                if created is None:
                    continue
                lock_fd, writing = created
                try:
                    lock.adopt(lock_fd, real)
                finally:
                    os.close(lock_fd)
                engine = State(agenda, mode, header.origin)
                file = JournalFile(real, writing, encode(header.to_json()))
                controller = cls(shown, header, agenda, engine, file, lock, clock, [], wait=wait)
                controller._last = reading
                return controller
            except IsADirectoryError:
                raise JournalError(f"{shown}: is a directory, not a journal") from None
            except OSError as error:
                raise JournalError(f"{shown}: cannot open the journal: {error.strerror or error}") from None
            try:
                check_regular(fd, str(shown), JOURNAL_FILE)  # not a FIFO, a device, nor more than a journal holds
                lock.acquire(shown, fd)
                if not names(real, fd):
                    lock.release()
                    os.close(fd)
                    continue
                return cls._resume(shown, fd, clock, lock, agenda, wait, confirm)
            except BaseException:
                lock.release()
                with contextlib.suppress(OSError):
                    os.close(fd)
                raise
        raise JournalError(f"{shown}: keeps changing under us; is another program writing it?")

    @classmethod
    def _resume(
        cls,
        path: Path,
        fd: int,
        clock: Clock,
        lock: JournalLock,
        agenda: Agenda | None,
        wait: bool,
        confirm: Callable[[str], bool] | None,
    ) -> Controller:
        data = b"".join(chunks(fd, str(path), JOURNAL_FILE))
        replayed = replay_bytes(str(path), data)
        notes: list[str] = []
        if agenda is not None and agenda.source != replayed.header.agenda_text:
            question = foreign(path, replayed, agenda)
            if question is None:
                notes.append(
                    f"{agenda.path} has changed since this session began; "
                    "it goes on with the agenda saved in the journal"
                )
            elif confirm is None or not confirm(question):
                raise JournalError(f"{question.removesuffix('?')}: not resumed; nothing was changed")
        if replayed.torn is not None:
            notes.append(
                repair_torn_tail(
                    Path(os.path.realpath(path)),
                    fd,
                    data,
                    replayed.torn,
                    good_size=replayed.good_size,
                    started_us=replayed.header.wall_us,
                    seq=replayed.engine.seq,
                )
            )
        file = JournalFile(Path(os.path.realpath(path)), fd, data[: replayed.good_size])
        controller = cls(path, replayed.header, replayed.agenda, replayed.engine, file, lock, clock, notes, wait=wait)
        try:
            controller._check_clock()
            controller._merge_rescues()
            controller._reopened()
        except BaseException:
            controller.writer.abandon()  # the descriptor is closed by `open`, which handed it over
            raise
        return controller

    def _check_clock(self) -> None:
        """Refuse, before anything is written, to resume a session the clock now reads outside of."""
        try:
            self.engine.check(self._read())
        except ReplayError as error:
            raise JournalError(
                f"{self.path}: not resumed, and not changed: the clock now cannot be recorded in it ({error}); "
                "review it with 'runofshow report', or start a new session"
            ) from None

    def _reopened(self) -> None:
        reading = self._read()
        engine = self.engine
        _, by_wall = engine.t_of(reading)
        last = engine.last_reading
        since_last = (reading.wall_us - last.wall_us) / 1e6
        jump = None if by_wall else since_last - (reading.mono - last.mono)
        stepped = round(jump, 3) if jump is not None and abs(jump) >= JUMP_THRESHOLD_S else None
        self._record(Reopen(round(since_last, 3), by_wall, stepped), reading)
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

    def _record(self, payload: Payload, reading: Reading, actor: str = KEYBOARD) -> Event:
        event = Event(
            seq=self.engine.seq + 1,
            wall_us=reading.wall_us,
            mono=round(reading.mono, 6),
            boot=reading.boot,
            payload=payload,
            actor=actor,
        )
        try:  # a record no reader would take (the clock far outside the session's days) is never written
            self.engine.check(event)
        except ReplayError as error:
            raise CommandError(f"{self.path.name} cannot take the clock's reading now: {error}") from None
        self.engine.apply(event)
        if changes_order_or_clock(payload):
            self.changed_seq = event.seq
        self._submit(event, encode(event.to_json()), reading.mono)
        if self.wait:
            self.writer.wait_answered(event.seq)
            self.bus.deliver_now()
        return event

    def _submit(self, event: Event, line: bytes, mono: float) -> None:
        with self._unwritten_lock:
            self._unwritten[event.seq] = event
        self.writer.submit(event.seq, line, mono)

    def _durable(self, seq: int, line: bytes) -> None:
        """On the writer's thread: record `seq` is on disk; publish it with the event it was made from."""
        with self._unwritten_lock:
            event = self._unwritten.pop(seq, None)
        if event is not None:
            self.bus.records.publish(DurableRecord(seq, line, event))

    def _health_changed(self, health: JournalHealth) -> None:
        """On a writer thread: the journal's health changed; publish it."""
        self.bus.health.publish(health)

    def command(self, command: Command | str, /, **args: Any) -> Ack:
        """Carry out a command: typed, or by name (`"goto", to=3`). Raise CommandError if it makes no sense now.

        Warnings that came due before the command are recorded first, so that
        each is stamped at its own instant and never lost to a quick keypress;
        an adopted length the agenda asks for on entering a segment, after it.
        A command sent on a picture older than the last change to the running
        order or the clock (its `if_seq`) raises StaleCommand; nothing is recorded.
        The record names the command's actor (an adopted length too: the command caused it).
        """
        if isinstance(command, str):
            command = from_name(command, **args)
        check_fresh(command, self.engine.seq, self.changed_seq)
        reading = self._read()
        noticed = self._poll(reading)
        event = self._record(decide(self.engine, command, reading), reading, command.actor)
        # Entering a flexible segment of a `flex = "auto"` agenda: its advised length is recorded next.
        if (adopted := auto_adopt(self.engine, reading)) is not None:
            self._record(adopted, reading, command.actor)
        return Ack(event=event, noticed=tuple(noticed), durability=self.writer)

    def poll(self) -> list[Event]:
        """Record what the clock says has happened: warnings, wall-clock steps, suspends; retry held records.

        Cheap when nothing is due, and never waits on the disk; call it once per displayed second.
        """
        return self._poll(self._read())

    def _poll(self, reading: Reading) -> list[Event]:
        events: list[Event] = []
        last = self._last
        if last is not None and last.boot == reading.boot:
            mono = reading.mono - last.mono
            jump = (reading.wall_us - last.wall_us) / 1e6 - mono
            if abs(jump) >= JUMP_THRESHOLD_S:
                events.append(self._record(ClockJump(round(jump, 3)), reading))
            slept = mono - (reading.awake - last.awake)
            if slept >= SUSPEND_THRESHOLD_S:
                events.append(self._record(Suspend(round(slept, 3)), reading))
        self._last = reading
        for warning in due_warnings(self.engine, reading):
            events.append(self._record(warning, reading))
        self._maybe_retry(reading)
        return events

    def _maybe_retry(self, reading: Reading) -> None:
        """Ask the writer to try held records again, each delay counted from the failed try before it."""
        writer = self.writer
        failures, failed_at = writer.failures, writer.failed_mono
        if not failures or self._retried == (failures, failed_at):
            return
        if reading.mono >= failed_at + RETRY_DELAYS[min(failures - 1, len(RETRY_DELAYS) - 1)]:
            self._retried = (failures, failed_at)
            writer.retry(reading.mono)
            if self.wait:
                writer.settle()

    def _moved(self, moved: Moved) -> None:
        """The journal had to be written again to another file (on the writer's thread): lock it, name it."""
        try:
            self.lock.adopt(moved.lock_fd, moved.path)
        finally:
            os.close(moved.lock_fd)
        self.path = moved.path

    def _merge_rescues(self) -> None:
        """Put records saved in rescue files back into the journal, in order, each seq once."""
        for rescued in find_rescues(self.header):
            merged = 0
            complete = True
            for event, line in rescued.events:
                if event.seq <= self.engine.seq:
                    continue  # on disk already (the journal took it after all)
                try:
                    if event.seq != self.engine.seq + 1:
                        raise ReplayError(f"record {event.seq} does not follow record {self.engine.seq}")
                    self.engine.apply(event)
                except ReplayError as error:
                    self.notes.append(f"{rescued.path}: not merged from record {event.seq} on ({error}); kept")
                    complete = False
                    break
                self._submit(event, line, 0.0)
                merged += 1
            if complete and rescued.refused is not None:
                seq, why = rescued.refused
                self.notes.append(f"{rescued.path}: not merged from record {seq} on ({why}); kept")
                complete = False
            if merged:
                self.writer.settle()
            if complete and self.writer.is_durable(self.engine.seq):
                with contextlib.suppress(OSError):
                    rescued.path.unlink()
                if merged:
                    self.notes.append(
                        f"Merged {merged} record(s) from {rescued.path}, saved when the journal could not take them"
                    )
            elif merged:
                self.notes.append(f"Took {merged} record(s) from {rescued.path}; it is kept until they are on disk")

    # -- reading -------------------------------------------------------------

    def view(self) -> View:
        """The state now, from the journal's events and the clock."""
        return derive(self.engine, self._read())

    @property
    def journal_health(self) -> JournalHealth:
        """Where the journal stands (pending, failing, not answering, replaced); never waits."""
        return self.writer.health()

    @property
    def pending(self) -> int:
        """Records applied and shown but not yet on disk."""
        return self.writer.health().pending

    @property
    def durable_seq(self) -> int:
        """The last record on disk: every command up to it is acknowledged."""
        return self.writer.health().durable_seq

    @property
    def journal_error(self) -> str | None:
        """Why records are not reaching the disk (failing or not answering), or None."""
        return self.writer.health().problem

    def watch(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever the journal's health changes (e.g. to redraw).

        It is called on the journal writer's threads (`Delivery.WRITER_THREAD`),
        so it must only hand over: the screen's posts a redraw to its own loop.
        """
        self.bus.health.subscribe(lambda _health: callback(), deliver=Delivery.WRITER_THREAD)

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every record handed in has been tried on disk (for scripts and tests, not screens)."""
        return self.writer.settle(timeout)

    def link(self) -> Link:
        """The journal as this process writes it: on disk, pending, failing or not answering (and why)."""
        health = self.writer.health()
        problem = health.problem
        if health.stalled_s is not None:
            state = LinkState.STALLED
        else:
            state = LinkState.FAILING if problem else LinkState.WRITING
        return Link(
            state,
            Via.OWN,
            self.path.name,
            self.header.owner,
            self.engine.last_event_us,
            problem,
            pending=health.pending if health.shows_pending else 0,
            notice=health.notice,
        )

    def close(self) -> None:
        """Leave the session without ending it: the next open resumes it. Closing twice is harmless.

        Records the disk did not take (full, read-only, not answering) are saved
        to a rescue file, named by `rescued`, which the next open merges.
        """
        if self.lock.fd is None:
            return
        try:
            if not self.engine.ended:
                with contextlib.suppress(RuntimeError, CommandError):
                    self._record_quietly(Detach(), self._read())
            answered = self.writer.stop(CLOSE_WAIT_S)
            self.bus.deliver_now()
            left = self.writer.held
            if left and answered:
                self.writer.file.cut_back()
            if answered and not self.writer.file.reachable:
                self._save_lost_journal()
            if left:
                reason = self.writer.error if answered else "the journal did not answer"
                self.rescue_problem = reason or "write failed"
                self.rescued, why = save_rescue(self.header, self.path, self.writer.health().durable_seq, left)
                if self.rescued is None:
                    self.rescue_problem += f"; and no rescue file could be written ({why})"
        finally:
            self.writer.close()
            self.lock.release()

    def _save_lost_journal(self) -> None:
        """The journal's file is gone and was not written again: save the whole session somewhere, and say where."""
        file = self.writer.file
        moved = file.check()  # one more try at its own name, or beside it
        if isinstance(moved, Moved):
            self._moved(moved)
            return
        self.saved_copy, why = save_copy(self.header, self.path, bytes(file.image))
        self.rescue_problem = f"{self.path.name} was deleted and could not be written again" + (
            f"; and no copy could be saved ({why})" if self.saved_copy is None else ""
        )

    def _record_quietly(self, payload: Payload, reading: Reading) -> None:
        wait, self.wait = self.wait, False  # quitting waits once, below, with a bound
        try:
            self._record(payload, reading)
        finally:
            self.wait = wait
