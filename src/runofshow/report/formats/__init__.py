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
    """One output format: the report of a session, or the comparison of several, as the content of a file.

    A text format returns `str`; a binary one (xlsx) says so with `binary` and returns `bytes`.
    """

    binary: bool

    def session(self, shown: Shown, width: int) -> str | bytes:
        """The report of one session; `width` is the page width in cells, for formats drawn as text."""
        ...

    def comparison(self, view: Compared, width: int) -> str | bytes:
        """The comparison of several sessions."""
        ...


class _Deferred:
    """A format whose module is imported the first time it renders (a plain class: `dataclasses` is slow to import)."""

    __slots__ = ("module", "binary")

    def __init__(self, module: str, *, binary: bool = False) -> None:
        self.module = module
        self.binary = binary

    def _renderer(self) -> Renderer:
        renderer: Renderer = importlib.import_module(self.module).RENDERER
        return renderer

    def session(self, shown: Shown, width: int) -> str | bytes:
        return self._renderer().session(shown, width)

    def comparison(self, view: Compared, width: int) -> str | bytes:
        return self._renderer().comparison(view, width)


FORMATS: dict[str, Renderer] = {
    **{name: _Deferred(f"{__name__}.{name}") for name in ("table", "markdown", "csv", "json", "html", "svg")},
    "xlsx": _Deferred(f"{__name__}.xlsx", binary=True),
}
"""Every format by its `--format` name, in the order `--help` lists them."""

TEXT_FORMATS = tuple(name for name, renderer in FORMATS.items() if not renderer.binary)
"""The formats whose report is text (every one but xlsx)."""
