"""Write agenda values as TOML that `tomllib` reads back exactly, with comments for people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from runofshow.words.text import literal

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def string(text: str) -> str:
    """A TOML basic string; every control character escaped, everything else as written."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def value(item: object) -> str:
    """One TOML value: text, a boolean, a list of text, or a table of those."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, str):
        return string(item)
    if isinstance(item, dt.time):
        return string(clock_text(item))
    if isinstance(item, Sequence):
        return "[" + ", ".join(value(part) for part in item) + "]"
    if isinstance(item, Mapping):
        return "{ " + ", ".join(f"{key} = {value(part)}" for key, part in item.items()) + " }"
    raise TypeError(f"no TOML form for {type(item).__name__}")


def clock_text(moment: dt.time) -> str:
    """ "18:11", or "18:11:30" when there are seconds."""
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def comment(text: str) -> str:
    """A one-line TOML comment; a newline or escape in `text` cannot end it early."""
    return "# " + literal(text)


def table(name: str, fields: Mapping[str, object], *, array: bool = False, note: str | None = None) -> list[str]:
    """Lines of `[name]` (or `[[name]]`) with a comment line under the header."""
    lines = [f"[[{name}]]" if array else f"[{name}]"]
    if note:
        lines.append(comment(note))
    lines += [f"{key} = {value(item)}" for key, item in fields.items() if item is not None]
    return lines
