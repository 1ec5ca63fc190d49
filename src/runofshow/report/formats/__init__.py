"""The report's output formats, one module each, and the registry the command line reads.

The registry is cheap to import: `cli` builds its `--format` choices from it
on every start, and a format's module (Rich, pendulum, the replay) is imported
only when that format renders.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from runofshow.report.compare import Compared
    from runofshow.report.words import Shown


class Renderer(Protocol):
    """One output format: the report of a session, or the comparison of several, as the text of a file."""

    def session(self, shown: Shown, width: int) -> str:
        """The report of one session; `width` is the page width in cells, for formats drawn as text."""
        ...

    def comparison(self, view: Compared, width: int) -> str:
        """The comparison of several sessions."""
        ...


class _Deferred:
    """A format whose module is imported the first time it renders (a plain class: `dataclasses` is slow to import)."""

    __slots__ = ("module",)

    def __init__(self, module: str) -> None:
        self.module = module

    def _renderer(self) -> Renderer:
        renderer: Renderer = importlib.import_module(self.module).RENDERER
        return renderer

    def session(self, shown: Shown, width: int) -> str:
        return self._renderer().session(shown, width)

    def comparison(self, view: Compared, width: int) -> str:
        return self._renderer().comparison(view, width)


FORMATS: dict[str, Renderer] = {
    name: _Deferred(f"{__name__}.{name}") for name in ("table", "markdown", "csv", "json", "html", "svg")
}
"""Every format by its `--format` name, in the order `--help` lists them."""
