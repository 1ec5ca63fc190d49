"""The moderator's screen: the session's layout (see `screens`) with its controls on the keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pendulum
from textual.binding import Binding

from runofshow.domain.commands import (
    Adopt,
    Command,
    CommandError,
    End,
    Extend,
    Goto,
    Later,
    Message,
    Next,
    Pause,
    Previous,
    Resume,
    Skip,
    Start,
)
from runofshow.domain.events import KEYBOARD, MAX_MESSAGE
from runofshow.errors import RunofshowError
from runofshow.tui.dialogs import ConfirmScreen, GotoScreen, MessageScreen
from runofshow.tui.screens import HELP, MUTE, QUIT, SessionScreen, bindings
from runofshow.tui.source import Controls, MirroredTo, RemoteCommands, ServedBy, SessionSource
from runofshow.tui.words import message_presets, remote_notice
from runofshow.words.text import literal
from runofshow.words.timefmt import format_duration

#: A live start earlier than this before the plan asks first (a key pressed by mistake).
EARLY_START_S = 60.0


class ModeratorScreen(SessionScreen):
    """The moderator's screen: the session's controls on the keys."""

    #: The one list of keys: bindings, the key bar and the command palette are all made from it.
    KEYS = (
        ("space", "space", "start_pause", "start/pause", "Start / pause / resume"),
        ("n,right", "n →", "next", "next", "Next segment"),
        ("p,left", "p ←", "previous", "back", "Previous segment (undoes the n that led here)"),
        ("plus,equals_sign", "+", "extend(60)", "more", "Give the segment 1 minute more"),
        ("minus,underscore", "−", "extend(-60)", "less", "Give the segment 1 minute less"),
        ("s", "s", "skip", "cut", "Skip: cut this segment (it will not run), start the next (asks first)"),
        ("l", "l", "later", "later", "Later: run this segment after the next one, with the time it has left"),
        ("a", "a", "adopt", "adopt", "Adopt the advice: this flexible segment gets the advised length"),
        ("g", "g", "goto", "go to", "Go to a segment"),
        ("e", "e", "end", "end", "End the session"),
        MUTE,
        ("c", "c", "copy_cue", "copy cue", "Copy the speaker's cue"),
        ("t", "t", "message", "message", "Message to the speaker (an empty line clears it)"),
        QUIT,
        HELP,
    )
    BINDINGS = [
        *bindings(KEYS),
        Binding("T", "clear_message", "Clear the message", show=False),
        Binding("R", "revoke_control", "Revoke every control link", show=False),
    ]
    #: How long the screen says what a co-host or a script did ("Ana: next").
    REMOTE_NOTICE_S = 4.0

    def __init__(
        self,
        source: SessionSource,
        controls: Controls,
        *,
        refresh: Callable[[], None],
        journal_label: str = "",
        local_zone: pendulum.Timezone | pendulum.FixedTimezone,
        serving: str | None = None,
        server: ServedBy | None = None,
        hub: MirroredTo | None = None,
    ) -> None:
        super().__init__(
            source, journal_label=journal_label, local_zone=local_zone, serving=serving, server=server, hub=hub
        )
        self.controls = controls
        #: Draw at once after a command, rather than at the next tick.
        self.refresh_now = refresh
        #: Answers commands from outside once on disk (when serving with a command channel).
        self.answers: RemoteCommands | None = None

    def remote(self, inbound: Any) -> None:
        """A command from outside, in this screen's loop: carried out as a key, said on the cue line for a moment."""
        if self.answers is None:
            return
        ack = self.answers.carry_out(self.controls.command, inbound)
        if ack is None:
            return
        self.refresh_now()
        name = type(inbound.command).__name__.lower()
        self.notify(literal(remote_notice(inbound.command.actor, name)), timeout=self.REMOTE_NOTICE_S, markup=False)

    def _command(self, command: Command) -> None:
        shown = self.view
        if shown is not None and command.actor == KEYBOARD and command.if_seq is None:
            command = replace(command, if_seq=shown.seq)  # the picture the moderator pressed the key on
        try:
            ack = self.controls.command(command)
        except CommandError as error:
            self.notify(str(error), severity="warning", timeout=4)
            return
        self.refresh_now()
        if not ack.on_disk and not self.source.link().healthy:  # never waits: the writer has its own thread
            self.notify("Not on disk yet: the journal is failing (see the red banner)", severity="error", timeout=6)

    def action_start_pause(self) -> None:
        """Space: start the session, or pause / resume it."""
        view = self.source.view()
        if view.ended:
            self.notify("The session has ended: q quits, and 'runofshow report' reviews it", timeout=4)
        elif not view.started:
            early = view.starts_in_s or 0.0
            if early < EARLY_START_S:
                self._command(Start())
                return

            def answered(yes: bool | None) -> None:
                if yes:
                    self._command(Start())

            self.app.push_screen(
                ConfirmScreen(
                    f"Start now, {format_duration(early)} before the planned start?",
                    "The plan keeps its clock times, so the show will count as ahead.",
                ),
                answered,
            )
        elif view.paused:
            self._command(Resume())
        else:
            self._command(Pause())

    def action_next(self) -> None:
        """Finish this segment and start the next."""
        self._command(Next())

    def action_previous(self) -> None:
        """Back one segment (an undo of the n that led here)."""
        self._command(Previous())

    def action_extend(self, seconds: int) -> None:
        """Give the current segment more (or less) time."""
        self._command(Extend(seconds))

    def action_skip(self) -> None:
        """Cut this segment and start the next, after asking: a cut segment does not run again (`l` keeps it)."""
        view = self.source.view()
        if not view.started or view.ended or view.segment is None:
            self._command(Skip())  # refused with its reason
            return
        row = view.segment

        def answered(yes: bool | None) -> None:
            if yes:
                self._command(Skip())

        self.app.push_screen(
            ConfirmScreen(
                f"Cut segment {row.number}, {literal(row.segment.title)}?",
                "Cut: it will not run again, and the show stops counting its time. "
                "To run it later with the time it has left, answer n and press l (later).",
            ),
            answered,
        )

    def action_later(self) -> None:
        """Move this segment to after the next one, keeping its remaining time; start the next. p undoes it."""
        self._command(Later())

    def action_adopt(self) -> None:
        """Give the current flexible segment the length the shrink advice gives it."""
        self._command(Adopt())

    def action_goto(self) -> None:
        """Pick any segment to jump to."""

        def chosen(number: int | None) -> None:
            if number:
                self._command(Goto(number))

        self.app.push_screen(GotoScreen(self.source.agenda, self.source.view().current), chosen)

    def action_end(self) -> None:
        """End the session, after asking."""
        view = self.source.view()
        if not view.started or view.ended:
            self.notify(
                "The session has not started" if not view.started else "The session has already ended", timeout=3
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._command(End())

        self.app.push_screen(
            ConfirmScreen("End the session now?", "The journal is closed for good; a report can be made from it."),
            answered,
        )

    def action_copy_cue(self) -> None:
        """Copy the speaker's cue to the clipboard, and show it, since some terminals ignore OSC 52."""
        cue = self.last_cue
        if not cue:
            self.notify("No cue now: one appears at wrap-up time", timeout=3)
            return
        self.app.copy_to_clipboard(cue)
        self.notify(literal(cue), title="Sent to the clipboard (if your terminal allows it)", timeout=8, markup=False)

    def action_message(self) -> None:
        """A one-line prompt for a message to the speaker, with presets; Enter sends, an empty line clears."""
        view = self.source.view()
        agenda = self.source.agenda
        upcoming = view.next_segment
        presets = message_presets(
            self.last_cue,
            upcoming.segment.speaker if upcoming is not None else None,
            agenda.messages,
            view.focus.segment.messages,
        )

        def typed(sent: tuple[str, bool] | None) -> None:
            if sent is not None:
                self._command(Message(*sent))

        self.app.push_screen(MessageScreen(presets, view.message, MAX_MESSAGE), typed)

    def action_clear_message(self) -> None:
        """T: take the message off every screen at once."""
        if self.source.view().message:
            self._command(Message(""))

    def action_revoke_control(self) -> None:
        """R: a new control token, after asking: every control link and connection stops working at once."""
        server = self.server
        if server is None:
            self.notify("Not serving: there are no control links", timeout=3)
            return

        def answered(yes: bool | None) -> None:
            if not yes or self.server is None:
                return
            try:
                self.serving = self.server.revoke_control()
            except RunofshowError as error:  # the token file could not be replaced: say so, the show goes on
                self.notify(literal(str(error)), severity="error", timeout=8, markup=False)
                return
            self.notify("Every control link revoked; the new one is below", timeout=6)
            self.refresh_now()

        self.app.push_screen(
            ConfirmScreen(
                "Revoke every control link?",
                "Co-hosts' control pages, scripts and decks stop at once; send the new link to those who keep control.",
            ),
            answered,
        )

    def action_quit_session(self) -> None:
        """Quit; while the show runs, ask first. The session is not ended."""
        view = self.source.view()
        if not view.started or view.ended:
            self.app.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.exit()

        link = self.source.link()
        detail = (
            f"Records are NOT on disk ({link.problem}). Quitting saves them to a rescue file, named on exit."
            if not link.healthy
            else "The session keeps running in the journal; run the same command to resume it."
        )
        self.app.push_screen(ConfirmScreen("Quit runofshow?", detail), answered)
