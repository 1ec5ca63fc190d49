"""Agenda text is data: make it safe to draw without letting it steer the terminal."""

from __future__ import annotations

import functools
import re
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


# OWASP's CSV-injection rule: a cell that starts with one of these is read as a formula
# (or, for tab and CR, can hide one behind the first character) by Excel, LibreOffice and Sheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Return `text` as a spreadsheet text cell: no control character, and never read as a formula.

    Control characters are made visible as by `literal`. A cell that starts with
    `= + - @`, tab or CR, even after leading spaces, gets a `'` in front, which
    spreadsheets take as "this is text". Numbers are not text: write them as numbers.
    """
    shown = literal(text)
    if text.startswith(_FORMULA_STARTS) or shown.lstrip(" ").startswith(_FORMULA_STARTS):
        return "'" + shown
    return shown


_JSON_UNSAFE = re.compile("[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_safe(dumped: str) -> str:
    """JSON from `json.dumps(..., ensure_ascii=False)` with DEL, C1 and bidi controls escaped as `\\uXXXX`.

    json.dumps escapes only C0 controls; a C1 control (U+009B is CSI) printed
    raw still drives the terminal a script's output lands on. Outside strings
    JSON is ASCII, so every match is inside one and the escape keeps its value.
    """
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", dumped)
