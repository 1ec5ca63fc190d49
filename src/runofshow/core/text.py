"""Agenda text is data: make it safe to draw without letting it steer the terminal."""

from __future__ import annotations

import functools
import unicodedata

# Bidirectional embedding/override/isolate controls can reorder what a terminal
# draws around them ("Trojan Source"); plain RTL letters are left alone.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@functools.lru_cache(maxsize=4096)
def literal(text: str) -> str:
    """Return `text` with every control character made visible as an escape.

    Escape sequences, carriage returns, bells and bidi overrides in an agenda
    would otherwise move the cursor, recolour or reorder the screen. Newlines
    become a visible `⏎` so one field stays on one line.
    """
    out: list[str] = []
    for ch in text:
        if ch == "\n":
            out.append("⏎")
        elif ch == "\t":
            out.append(" ")
        elif ch in _BIDI_CONTROLS or unicodedata.category(ch) == "Cc":
            out.append(f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def shorten(text: str, width: int) -> str:
    """Cut `text` to at most `width` characters, marking the cut with an ellipsis."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"
