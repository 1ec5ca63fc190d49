"""A program on a pseudo-terminal, keeping every raw byte it wrote, for tests that look at what reached the terminal.

Imported by test modules as tests.kit.pty.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Sequence

ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]P_^][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[=>78]")


class Pty:
    """A program whose stdin, stdout and stderr are one pseudo-terminal; `raw` is all it wrote."""

    def __init__(
        self, args: Sequence[str], env: dict[str, str], size: tuple[int, int] = (120, 30), **popen: object
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.process = subprocess.Popen(  # type: ignore[call-overload]
            list(args), stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, **popen
        )
        os.close(slave)
        self.raw = b""

    def __enter__(self) -> Pty:
        return self

    def __exit__(self, *exc: object) -> None:
        """Never leave the program running: without its terminal it would spin."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        try:
            os.close(self.master)
        except OSError:
            pass

    def text(self) -> str:
        """What it wrote, escape sequences removed."""
        return ANSI.sub(b"", self.raw).decode(errors="replace")

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        self.raw += data
        return bool(data)

    def read_until(self, pattern: str, timeout: float = 20.0) -> str:
        """Read until `pattern` shows up in the text, or fail with what was seen."""
        deadline = time.monotonic() + timeout
        while pattern not in self.text():
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(f"{pattern!r} not seen; text:\n{self.text()[-2000:]}")
        return self.text()

    def read_for(self, seconds: float) -> None:
        """Keep reading for `seconds` (to catch what a screen draws after a first frame)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self._read(0.1):
            pass

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, timeout: float = 20.0) -> tuple[int, str]:
        """Wait for the program to exit, reading all it prints; return its status and text."""
        deadline = time.monotonic() + timeout
        while self._read(0.2) and time.monotonic() < deadline:
            pass
        try:
            return self.process.wait(max(0.1, deadline - time.monotonic())), self.text()
        finally:
            self.__exit__()
