"""`runofshow report`: how long each segment really took, against the plan.

The figures come from `model` (the journal replayed by the session's fold); the rest
of the package only lays them out, as a terminal table with a timeline
chart, or as Markdown, CSV, JSON, HTML or SVG for the minutes. Text from an agenda or a journal is always
passed through `literal` and then escaped for the format, never used as
markup.

    model     the journal replayed: planned-vs-actual rows, plain Python
    words     every cell and sentence, as plain literal text
    chart     one chart model, drawn in the terminal and as SVG
    compare   several sessions side by side
    records   the figures as data (json, csv)
    formats/  one module per format, and the FORMATS registry
    rendering `render` and `render_file`: the report in any format (the command is commands/report.py)

Importing the package is cheap (the command line reads `FORMATS` on every
start); the rest loads on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from runofshow.report.formats import FORMATS, TEXT_FORMATS, Renderer

if TYPE_CHECKING:
    from runofshow.report.formats.csv import CSV_FIELDS
    from runofshow.report.records import SEGMENT_FIELDS
    from runofshow.report.rendering import FILE_WIDTH, render, render_file

_LAZY = {
    "render": "runofshow.report.rendering",
    "render_file": "runofshow.report.rendering",
    "FILE_WIDTH": "runofshow.report.rendering",
    "CSV_FIELDS": "runofshow.report.formats.csv",
    "SEGMENT_FIELDS": "runofshow.report.records",
}

__all__ = [
    "CSV_FIELDS",
    "FILE_WIDTH",
    "FORMATS",
    "SEGMENT_FIELDS",
    "TEXT_FORMATS",
    "Renderer",
    "render",
    "render_file",
]


def __getattr__(name: str) -> Any:
    """The entry points, imported when first asked for, so that `import runofshow.report` stays light."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
