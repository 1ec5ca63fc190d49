"""`--format svg`: the terminal table as a picture, with no font fetched from the network."""

from __future__ import annotations

import io
import re

from rich.console import Console, RenderableType

from runofshow.report.compare import Compared
from runofshow.report.formats.table import compare_table, session_table
from runofshow.report.words import Shown
from runofshow.words.text import literal, shorten


def picture(renderable: RenderableType, title: str, width: int) -> str:
    """A terminal picture of `renderable`, `width` cells wide."""
    console = Console(
        record=True,
        file=io.StringIO(),
        width=width,
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
    )
    console.print(renderable)
    svg = console.export_svg(title=title)
    return re.sub(r"@font-face \{.*?\}\s*", "", svg, flags=re.S)


class SvgFormat:
    """The table, in colour, as one SVG file."""

    binary = False

    def session(self, shown: Shown, width: int) -> str:
        title = f"runofshow report: {shorten(literal(shown.session.title), 80)}"
        return picture(session_table(shown, footer=True), title, width)

    def comparison(self, view: Compared, width: int) -> str:
        return picture(compare_table(view), view.heading(), width)


RENDERER = SvgFormat()
