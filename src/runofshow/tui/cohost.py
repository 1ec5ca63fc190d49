"""The co-host's screen with the moderator's keys (`follow ws://… --control TOKEN`).

The same keys as the moderator's, on a followed session: each command is
sent to the moderator's server (never carried out here) with the seq this
screen showed, and its answer is said on the cue line: done, or why not.
Quit is the co-host's own (the show goes on); end asks first, as it does
for the moderator; revoking control links is the moderator's alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import pendulum

from runofshow.domain.commands import Ack, Command, CommandError
from runofshow.tui.moderator import ModeratorScreen
from runofshow.tui.source import RemoteControls, SessionSource
from runofshow.words.text import literal

#: How long the screen waits for its own record to arrive on the stream before it takes the next key as seen.
CATCH_UP_S = 2.0


class _SentElsewhere:
    """Controls that carry out nothing here: the co-host's commands go to the moderator's server."""

    def command(self, command: Command, /) -> Ack:
        raise CommandError("commands from this screen go to the moderator's server")


class CohostControlScreen(ModeratorScreen):
    """The moderator's keys on a co-host's terminal, sent over the control connection."""

    FOLLOWING = True

    def __init__(
        self,
        source: SessionSource,
        remote: RemoteControls,
        *,
        refresh: Callable[[], None],
        journal_label: str = "",
        local_zone: pendulum.Timezone | pendulum.FixedTimezone,
    ) -> None:
        super().__init__(source, _SentElsewhere(), refresh=refresh, journal_label=journal_label, local_zone=local_zone)
        self.remote_controls = remote

    def _command(self, command: Command) -> None:
        shown = self.view
        if shown is not None and command.if_seq is None:
            command = replace(command, if_seq=shown.seq)  # the picture the co-host pressed the key on
        self.run_worker(self._send(command), exit_on_error=False)

    async def _send(self, command: Command) -> None:
        done, words, seq = await self.remote_controls.send(command)
        if done and seq is not None:  # show the command's effect with its answer: wait for its record
            loop = asyncio.get_running_loop()
            deadline = loop.time() + CATCH_UP_S
            while loop.time() < deadline:
                self.source.poll()
                if self.source.view().seq >= seq:
                    break
                await asyncio.sleep(0.02)
        self.refresh_now()
        self.notify(literal(words), severity="information" if done else "warning", timeout=5, markup=False)

    def action_revoke_control(self) -> None:
        """Revoking control links is the moderator's alone."""
        self.notify("Only the moderator can revoke control links", timeout=3)

    def action_quit_session(self) -> None:
        """Quit this screen; the show goes on at the moderator's."""
        self.app.exit()
