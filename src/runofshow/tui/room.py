"""The co-host's screen for a room on a hub, with its control token: the controller's silence, and `o` to take over.

The screen only asks its `Takeover` how long the controller has been silent
(once a tick) and, when told to, runs the takeover off its loop; the
network and the disk are the takeover's.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pendulum

from runofshow.errors import RunofshowError
from runofshow.tui.dialogs import ConfirmScreen
from runofshow.tui.screens import HELP, MUTE, QUIT, FollowScreen, Key, bindings
from runofshow.tui.source import SessionSource, Takeover
from runofshow.words.takeover import not_silent, silent_line, takeover_question

TAKE_OVER: Key = ("o", "o", "take_over", "take over", "Take the room over from its silent controller")


class RoomFollowScreen(FollowScreen):
    """The co-host's screen for a room on the hub, with its control token: says when the controller is silent,
    and offers to take the room over then."""

    KEYS: ClassVar[tuple[Key, ...]] = (TAKE_OVER, MUTE, QUIT, HELP)
    BINDINGS = bindings(KEYS)

    def __init__(
        self,
        source: SessionSource,
        takeover: Takeover,
        *,
        journal_label: str = "",
        local_zone: pendulum.Timezone | pendulum.FixedTimezone,
    ) -> None:
        super().__init__(source, journal_label=journal_label, local_zone=local_zone)
        self.takeover = takeover
        #: Whether a takeover is under way (the key then does nothing).
        self.taking = False

    def holder(self) -> str | None:
        """Who controls the room, as the link (or the journal's header) names them."""
        link = self.link
        return (link.holder if link is not None else None) or self.source.header.owner

    def draw(self) -> None:
        """The co-host's screen, and on its banner how long the controller has been silent, once it is."""
        super().draw()
        view = self.view
        if view is None or not self.ready or view.ended:
            return
        silent = self.takeover.silent_s()
        if silent >= self.takeover.silent_after_s:
            line = silent_line(self.holder(), silent, key=None if self.taking else TAKE_OVER[1])
            if self.banner.words != (line, "bold"):
                self.banner.words = (line, "bold")
            self.banner.set_class(True, "-visible")

    def action_take_over(self) -> None:
        """Ask, naming the silent controller, then take the room over (refused at once while it still speaks)."""
        if self.taking or (self.view is not None and self.view.ended):
            return
        takeover, holder = self.takeover, self.holder()
        silent = takeover.silent_s()
        if silent < takeover.silent_after_s:
            self.app.notify(not_silent(holder, silent, takeover.silent_after_s), severity="warning", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.taking = True
                self.app.run_worker(self._take_over(), exclusive=False, exit_on_error=False)

        question, detail = takeover_question(holder, silent, takeover.room)
        self.app.push_screen(ConfirmScreen(question, detail), answered)

    async def _take_over(self) -> None:
        try:
            # Measured again now: the confirmation took a while, and the copy must say how long it really was.
            handover = await asyncio.to_thread(self.takeover.take_over, self.takeover.silent_s())
        except RunofshowError as error:
            self.taking = False
            self.app.notify(str(error), title="Take over", severity="error", timeout=10, markup=False)
            return
        become = getattr(self.app, "become_controller", None)
        if become is not None:
            become(handover)
