"""Wake up when a file changes: inotify on Linux, a short stat poll elsewhere.

A follower has to see a record within milliseconds of its fsync, yet sit idle
for minutes when nothing happens; inotify gives both for free. It watches the
folder, so a journal that is created, replaced (renamed over) or truncated is
noticed too.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import struct
from collections.abc import AsyncGenerator
from pathlib import Path

IN_MODIFY = 0x00000002
IN_ATTRIB = 0x00000004
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_MASK = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
_EVENT = struct.Struct("iIII")

#: Without inotify, how often to look at the file.
POLL_INTERVAL_S = 0.02
#: Even with inotify, look now and then, in case an event was missed (network file systems).
SAFETY_INTERVAL_S = 2.0


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        libc.inotify_init1  # noqa: B018 - probe that the symbol exists
        return libc
    except (OSError, AttributeError):
        return None


class FileWatch:
    """An async iterator that yields whenever `path` (or its folder) may have changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._event = asyncio.Event()
        folder = path.parent
        libc = _libc() if folder.is_dir() else None  # no folder yet: poll until it appears
        if libc is not None:
            fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
            if fd >= 0:
                if libc.inotify_add_watch(fd, os.fsencode(folder), _MASK) >= 0:
                    self._fd = fd
                else:
                    os.close(fd)
        self._name = os.fsencode(path.name)

    @property
    def uses_inotify(self) -> bool:
        """Whether changes are pushed by the kernel rather than polled for."""
        return self._fd is not None

    def _readable(self) -> None:
        assert self._fd is not None
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        offset = 0
        while offset + _EVENT.size <= len(data):
            _wd, _mask, _cookie, length = _EVENT.unpack_from(data, offset)
            name = data[offset + _EVENT.size : offset + _EVENT.size + length].rstrip(b"\0")
            offset += _EVENT.size + length
            if name == self._name or name.startswith(self._name + b".lock"):
                self._event.set()

    async def changes(self) -> AsyncGenerator[None, None]:
        """Yield once now, then after every change (or the safety interval)."""
        loop = asyncio.get_running_loop()
        if self._fd is not None:
            loop.add_reader(self._fd, self._readable)
        try:
            yield
            while True:
                self._event.clear()
                timeout = SAFETY_INTERVAL_S if self._fd is not None else POLL_INTERVAL_S
                try:
                    # Not wait_for: on Python 3.11 it swallows a cancel that comes as the event is set.
                    async with asyncio.timeout(timeout):
                        await self._event.wait()
                except TimeoutError:
                    if self._fd is not None:
                        yield  # the safety look
                        continue
                yield
        finally:
            if self._fd is not None:
                loop.remove_reader(self._fd)

    def close(self) -> None:
        """Stop watching."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
