"""The progress line of the live screen: the current segment's bar, in its warning colour, and what comes next."""

from __future__ import annotations

from rich.progress_bar import ProgressBar as RichBar
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal
from textual.reactive import reactive, var
from textual.widget import Widget
from textual.widgets import Static

from runofshow.domain.derive import Urgency
from runofshow.tui.models import BarModel, NextModel
from runofshow.words.text import literal
from runofshow.words.timefmt import format_duration

__all__ = ["BAR_COLOURS", "ProgressLine", "SegmentBar"]

#: The warning colours, as the README promises them: yellow, orange, red.
BAR_COLOURS = {
    Urgency.WRAP_UP: "#ffd700",
    Urgency.FINAL: "#ff8700",
    Urgency.OVERTIME: "#ff2d2d",
    Urgency.DONE: "#808080",
}


class SegmentBar(Widget):
    """The segment's progress bar, redrawn only when it visibly grows (by half a cell).

    Drawn from Rich's renderable rather than Textual's ProgressBar, whose own
    once-a-second timer (for an ETA we do not show) doubled the wake-ups.
    """

    #: The time the segment has and how much of it is used.
    model: var[BarModel | None] = var(None, init=False)
    #: What is drawn: (half cells, of them lit, colour). Equal faces skip the repaint.
    face: reactive[tuple[int, int, str]] = reactive((2, 0, "#5f87d7"), layout=False)

    #: Half cells across, as of the last resize (reading the size asks the compositor where the bar is).
    _steps = 2

    def watch_model(self, model: BarModel | None) -> None:
        """Work out the face for the new figures."""
        self._set_face()

    def on_resize(self) -> None:
        """More or fewer cells: a new face."""
        self._steps = 2 * max(1, self.size.width)
        self._set_face()

    def _set_face(self) -> None:
        model = self.model
        if model is None:
            return
        steps = self._steps
        # Full is not "finished, well done" (Rich's green): it is time's up.
        face = (steps, int(steps * model.done_s / model.total_s), BAR_COLOURS.get(model.alert, "#5f87d7"))
        if face != self.face:  # the same but every few seconds; Textual's own check costs more than this one
            self.face = face

    def render(self) -> RenderResult:
        """The bar at its face."""
        steps, lit, colour = self.face
        return RichBar(total=steps, completed=lit, complete_style=colour, finished_style=colour)


class ProgressLine(Horizontal):
    """The segment's progress bar and what comes next."""

    #: (the bar's figures, what comes next).
    model: var[tuple[BarModel, NextModel] | None] = var(None, init=False)

    def compose(self) -> ComposeResult:
        self._bar = SegmentBar(id="segment-progress")
        self._next = Static("", id="next-up")
        yield self._bar
        yield self._next

    def watch_model(self, old: tuple[BarModel, NextModel] | None, new: tuple[BarModel, NextModel] | None) -> None:
        """Pass the bar on; redraw what comes next if it changed."""
        if new is None:
            return
        bar, upcoming = new
        self._bar.model = bar
        if old is not None and old[1] == upcoming:
            return
        if upcoming.segment is None:
            text = Text("Next: end of the session" if not upcoming.ended else "")
        else:
            text = Text("Next: ", style="dim")
            text.append(literal(upcoming.segment.title))
            if upcoming.segment.speaker:
                text.append(f" — {literal(upcoming.segment.speaker)}")
            text.append(f" ({format_duration(upcoming.allotted_s)})", style="dim")
        self._next.update(text, layout=False)
