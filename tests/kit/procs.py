"""Processes as Linux's /proc sees them: a program's children, whether one is gone, what it holds.

Imported by test modules as tests.kit.procs.
"""

from __future__ import annotations

import time
from pathlib import Path


def children(pid: int) -> list[int]:
    """The processes `pid` started that still run, from every one of its threads."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(word) for word in task.read_text().split()]
        except OSError:
            continue
    return [child for child in found if alive(child)]


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead and not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def one_child(pid: int, other_than: int | None = None, timeout: float = 20.0) -> int:
    """The one child of `pid` (other than `other_than`), once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        found = [child for child in children(pid) if child != other_than]
        if len(found) == 1:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"PID {pid} has children {found}, not one new one")
        time.sleep(0.05)


def gone(pid: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for `pid` to end; whether it did."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def rss_mb(pid: int) -> float:
    """The resident memory of `pid`, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def holds_file(pid: int, path: Path) -> bool:
    """Whether `pid` has `path` open."""
    target = str(path.resolve())
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if str(fd.readlink()) == target:
                return True
        except OSError:
            continue
    return False
