"""Modal screens: confirm, go to a segment, a message to the speaker, and help."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from runofshow.domain.agenda.model import Agenda
from runofshow.words.text import literal
from runofshow.words.timefmt import format_duration


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; y or Enter confirms, n or Escape cancels."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self.question = question
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.question, style="bold"), id="dialog-question")
            if self.detail:
                yield Static(Text(self.detail), id="dialog-detail")
            yield Static(Text("y / Enter: yes    n / Esc: no", style="dim"))

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)


class GotoScreen(ModalScreen[int | None]):
    """Pick a segment to jump to: arrows and Enter, or its number."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, agenda: Agenda, current: int | None) -> None:
        super().__init__()
        self.agenda = agenda
        self.current = current
        self._typed = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Go to which segment? (↑↓ Enter, or type its number; Esc cancels)", style="bold"))
            options = []
            for segment in self.agenda.segments:
                label = Text(f"{segment.number:>2}  ")
                label.append(literal(segment.title))
                if segment.speaker:
                    label.append(f" — {literal(segment.speaker)}", style="dim")
                label.append(f"  {format_duration(segment.duration_s)}", style="dim")
                options.append(Option(label, id=str(segment.number)))
            yield OptionList(*options, id="goto-list")

    def on_mount(self) -> None:
        """Start the highlight on the segment after the current one."""
        option_list = self.query_one(OptionList)
        target = 0 if self.current is None else min(self.current + 1, len(self.agenda.segments) - 1)
        option_list.highlighted = target
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on an option picks it."""
        self.dismiss(int(event.option.id or 0))

    def on_key(self, event: events.Key) -> None:
        """Digits type a segment number; a second digit may follow within the same choice."""
        key = event.character
        if key is None or not key.isdigit():
            return
        self._typed = (self._typed + key)[-2:]
        number = int(self._typed)
        if not 1 <= number <= len(self.agenda.segments):
            self._typed = key
            number = int(key)
        if 1 <= number <= len(self.agenda.segments):
            self.query_one(OptionList).highlighted = number - 1
        event.stop()

    def action_cancel(self) -> None:
        """Leave without jumping."""
        self.dismiss(None)


class MessageScreen(ModalScreen[tuple[str, bool] | None]):
    """A one-line prompt for a message to the speaker: type one, or take a preset with ↑↓.

    Enter sends what the line holds, with whether it is pinned (ctrl+t turns
    pinning on and off: a pinned message stays when the segment changes);
    an empty line clears the message on every screen; Esc sends nothing.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("up", "preset(-1)", "Previous preset", show=False),
        Binding("down", "preset(1)", "Next preset", show=False),
        Binding("ctrl+t", "pin", "Pin or unpin", show=False, priority=True),
    ]

    #: Whether the message will stay when the segment changes.
    pinned: reactive[bool] = reactive(False)

    def __init__(self, presets: tuple[str, ...], shown: str | None, max_length: int) -> None:
        super().__init__()
        self.presets = presets
        #: The message on the screens now, if any.
        self.shown = shown
        self.max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(id="message-prompt"):
            now = Text("Message to the speaker", style="bold")
            if self.shown:
                now.append("  (now: ", style="dim")
                now.append(literal(self.shown), style="dim")
                now.append(")", style="dim")
            yield Static(now)
            if self.presets:
                options = [Option(Text(literal(preset)), id=str(index)) for index, preset in enumerate(self.presets)]
                yield OptionList(*options, id="message-presets")
            yield Input(placeholder="type a message, or ↑↓ for a preset", max_length=self.max_length, id="message-line")
            yield Static(Text(pin_words(False)), id="message-pin")
            yield Static(Text("Enter sends · ctrl+t pins · an empty line clears it · Esc cancels", style="dim"))

    def on_mount(self) -> None:
        """The line takes the keys; no preset is picked until ↑ or ↓."""
        if self.presets:
            self.query_one(OptionList).highlighted = None
        self.query_one(Input).focus()

    def watch_pinned(self, pinned: bool) -> None:
        """Say which kind of message Enter will send."""
        if self.is_mounted:
            self.query_one("#message-pin", Static).update(Text(pin_words(pinned), style="bold" if pinned else ""))

    def action_pin(self) -> None:
        """ctrl+t: pin the message (it stays when the segment changes), or unpin it."""
        self.pinned = not self.pinned

    def action_preset(self, step: int) -> None:
        """Put the previous or next preset on the line, ready to edit or send."""
        if not self.presets:
            return
        presets = self.query_one(OptionList)
        current = presets.highlighted
        index = (0 if step > 0 else len(self.presets) - 1) if current is None else (current + step) % len(self.presets)
        presets.highlighted = index
        line = self.query_one(Input)
        line.value = self.presets[index]
        line.cursor_position = len(line.value)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A click (or Enter in the list) sends that preset."""
        self.dismiss((self.presets[int(event.option.id or 0)], self.pinned))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Send the line; an empty one clears the message."""
        self.dismiss((event.value.strip(), self.pinned))

    def action_cancel(self) -> None:
        """Leave without sending."""
        self.dismiss(None)


def pin_words(pinned: bool) -> str:
    """What the prompt says the message will do: follow the segment, or stay."""
    if pinned:
        return "[x] Pinned: it stays on every screen until you clear it or the session ends"
    return "[ ] For this segment: it goes when the segment changes (ctrl+t pins it)"


HELP = """\
space   start the session / pause / resume
n  →    next segment
p  ←    previous segment; if you came here with n, it undoes
        that n: the earlier segment goes on with its time intact
+  −    give the current segment 1 minute more / less
s       cut: skip this segment, it will not run (asks first)
l       later: run this segment after the next one, with the time
        it has left, and start the next (p undoes it)
a       adopt the advice: this flexible segment gets the length the
        status line advises, and its cues follow it
g       go to any segment (each keeps the time it has run)
e       end the session (asks first)
m       mute / unmute the bell
c       copy the cue for the speaker (also shown on screen)
t       a message to the speaker, on every screen (presets with ↑↓);
        it goes when the segment changes, unless pinned (ctrl+t);
        an empty line clears it;  T  clears it at once; "✓ seen"
        beside it: the speaker pressed "got it"
q       quit; the session goes on and the same command resumes it
?       this help;  ctrl+p  every command, searchable

The countdown turns yellow at wrap-up, orange in the final minute,
red at zero, and blinks in overtime. Each warning rings the bell
once and shows a toast with a cue to paste into the meeting chat.
"""


FOLLOW_HELP = """\
You are following a session that someone else runs: this screen
has no control keys, and nothing you do here changes the session.

m       mute / unmute the bell
q       quit (the session goes on)
?       this help;  ctrl+p  every command, searchable

The countdown turns yellow at wrap-up, orange in the final minute,
red at zero, and blinks in overtime, as on the moderator's screen.
"""


class HelpScreen(ModalScreen[None]):
    """Every key, what the colours mean, and where the journal is."""

    BINDINGS = [Binding("escape,q,question_mark,enter", "close", "Close")]

    def __init__(self, journal: str, *, read_only: bool = False) -> None:
        super().__init__()
        self.journal = journal
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        # Scrolls (↑↓) when the terminal is too short for it, as at 80×24.
        with VerticalScroll(id="dialog"):
            yield Static(Text("runofshow: keys   (Esc or ? closes this help)", style="bold"))
            yield Static(Text(FOLLOW_HELP if self.read_only else HELP))
            yield Static(Text(f"Journal: {self.journal}", style="dim", overflow="fold"))

    def on_mount(self) -> None:
        """Arrow keys scroll the help."""
        self.query_one("#dialog").focus()

    def action_close(self) -> None:
        """Back to the show."""
        self.dismiss(None)
