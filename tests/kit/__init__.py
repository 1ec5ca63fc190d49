"""What the tests share: drivers of a session, followers, screen helpers, and a simulated kill -9."""

from __future__ import annotations

from runofshow.session.controller import Controller


def crash(controller: Controller) -> None:
    """Drop a controller as kill -9 would: no detach record, the file as written, the lock freed by the kernel."""
    controller.writer.close()
    controller.lock.release()
