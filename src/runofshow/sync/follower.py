"""Followers: read-only sources for the screen that replay a journal someone else writes.

They feed the journal's bytes, as they arrive, to the same Replayer and
engine that the controller and the report use, so a follower can only ever
show what the journal says.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from runofshow.clock import Clock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.derive import View, derive
from runofshow.domain.events import Event
from runofshow.domain.fold import State
from runofshow.domain.header import Header
from runofshow.domain.link import Link, LinkState, Via, control_state
from runofshow.files import check_regular
from runofshow.journal.codec import JOURNAL_FILE, MAX_LINE_BYTES, JournalError
from runofshow.journal.lock import holder
from runofshow.session.replay import Replayer
from runofshow.words.text import literal

#: How often a file follower asks whether a controller still holds the lock.
HOLDER_CHECK_S = 2.0


class Follower:
    """A journal replayed as its bytes arrive; the screen's source when following."""

    def __init__(self, name: str, clock: Clock) -> None:
        self.name = name
        self.clock = clock
        self.replayer = Replayer(name)
        #: A problem to show (corrupt journal, lost connection); None when all is well.
        self.problem: str | None = None
        #: The type of the last record applied ("detach" once the moderator has quit).
        self.last_type: str | None = None
        self._shown: tuple[Header, Header] | None = None

    @property
    def ready(self) -> bool:
        """Whether the header has arrived, so there is a session to show."""
        return self.replayer.engine is not None

    @property
    def header(self) -> Header:
        """The session's header record, its words (user, host, paths) made safe to draw.

        They come from a journal or a socket, so anyone who can write one could
        put escape sequences in them: a terminal title, a cleared screen, the
        clipboard. The agenda itself is shown through `literal` where it is drawn.
        """
        raw = self.replayer.header
        assert raw is not None, "no header yet"
        if self._shown is None or self._shown[0] is not raw:
            safe = replace(
                raw,
                user=literal(raw.user),
                host=literal(raw.host),
                agenda_path=literal(raw.agenda_path),
                tool=literal(raw.tool),
            )
            self._shown = (raw, safe)
        return self._shown[1]

    @property
    def agenda(self) -> Agenda:
        """The agenda carried by the journal."""
        assert self.replayer.agenda is not None, "no header yet"
        return self.replayer.agenda

    @property
    def engine(self) -> State:
        """The replayed state."""
        assert self.replayer.engine is not None, "no header yet"
        return self.replayer.engine

    def view(self) -> View:
        """The state now, by this machine's clock."""
        return derive(self.engine, self.clock.read())

    def poll(self) -> Sequence[Event]:
        """Bring the state up to date with what has arrived; return the events applied."""
        raise NotImplementedError

    def feed(self, data: bytes) -> list[Event]:
        """Apply journal bytes; a corrupt journal becomes `problem`, not an exception."""
        try:
            events = self.replayer.feed(data)
        except JournalError as error:
            self.problem = str(error)
            return []
        if events:
            self.last_type = events[-1].type
        return events

    def restart(self) -> None:
        """Forget everything and replay from the first byte (the journal was replaced)."""
        self.replayer = Replayer(self.name)
        self.problem = None

    def link(self) -> Link:
        """Where the link to the journal stands, as facts for the screen to word."""
        raise NotImplementedError


class FileFollower(Follower):
    """Tails a journal on this machine; survives it being created late, replaced or truncated."""

    def __init__(self, path: str | Path, clock: Clock) -> None:
        super().__init__(str(path), clock)
        self.path = Path(path)
        self._identity: tuple[int, int] | None = None
        #: Where the last whole line read ends, and that line: a file cut or rewritten in place loses it.
        self._offset = 0
        self._last_line = b""
        self._holder: str | None = None
        self._holder_checked: float | None = None

    def poll(self) -> Sequence[Event]:
        """Read whatever was appended since last time; reload if the file was replaced or cut."""
        try:
            # Non-blocking: a FIFO put in the journal's place must not hang the screen.
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return []
        except OSError as error:
            self.problem = f"{self.path}: {error.strerror or error}"
            return []
        try:
            return self._read_new(fd, check_regular(fd, str(self.path), JOURNAL_FILE))
        except JournalError as error:  # a directory, a pipe, a device, a file larger than any journal
            self.problem = str(error)
            return []
        except OSError as error:  # a device that fails: say so, never crash the screen
            self.problem = f"{self.path}: {error.strerror or error}"
            return []
        finally:
            os.close(fd)

    def _read_new(self, fd: int, stat: os.stat_result) -> Sequence[Event]:
        identity = (stat.st_dev, stat.st_ino)
        if identity != self._identity or not self._still_there(fd, stat.st_size):
            self.restart()
            self._identity = identity
            self._offset = 0
            self._last_line = b""
        events: list[Event] = []
        # A line at a time at most: never more held than the longest line a journal may have.
        while stat.st_size > self._offset:
            data = os.pread(fd, min(stat.st_size - self._offset, MAX_LINE_BYTES + 1), self._offset)
            # Whole lines only: a half-written record may yet be cut off and another written in its place.
            end = data.rfind(b"\n") + 1
            if not end:
                if len(data) > MAX_LINE_BYTES:
                    self.problem = f"{self.path}:{self.replayer.lines + 1}: a line longer than any record; corrupt"
                break
            self._offset += end
            self._last_line = data[data.rfind(b"\n", 0, end - 1) + 1 : end]
            events += self.feed(data[:end])
        return events

    def _still_there(self, fd: int, size: int) -> bool:
        """Whether the last line read is still where it was: not cut off, nor the file rewritten in place."""
        if not self._last_line:
            return True
        if size < self._offset:
            return False
        return os.pread(fd, len(self._last_line), self._offset - len(self._last_line)) == self._last_line

    def controller(self) -> str | None:
        """Who holds the journal's lock ("PID 123 user@host"), checked at most every 2 s."""
        now = self.clock.read().mono
        if self._holder_checked is None or now - self._holder_checked >= HOLDER_CHECK_S:
            found = holder(self.path)  # read from the lock file: anyone's text
            self._holder = None if found is None else literal(found)
            self._holder_checked = now
        return self._holder

    def link(self) -> Link:
        """Whether a controller holds the journal (the lock, looked at every 2 s), and if not, why."""
        last = self.engine.last_event_us if self.ready else None
        if self.problem:
            return Link(LinkState.BROKEN, Via.FILE, literal(self.path.name), None, last, literal(self.problem))
        owner = self.controller()
        state = control_state(ended=self.ready and self.engine.ended, last_type=self.last_type, held=bool(owner))
        return Link(state, Via.FILE, literal(self.path.name), owner, last)  # the holder is made literal as read
