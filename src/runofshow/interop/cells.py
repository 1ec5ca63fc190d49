"""How agenda text sits in a spreadsheet cell without being obeyed or lost.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula
(OWASP's "CSV injection"), and an xlsx file cannot hold most control
characters at all. Both are written in a form that reads back literally.
"""

from __future__ import annotations

import re

#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_GUARDED = re.compile(r"'*[=+\-@\t\r]")


def csv_guard(text: str) -> str:
    """`'=SUM(A1)` for `=SUM(A1)`: the OWASP apostrophe, made reversible.

    Text that already starts with apostrophes before a trigger gets one more,
    so `csv_unguard` can take exactly one off and `'=x` survives a round trip.
    Reports use `words.text.spreadsheet_safe`, which also makes control
    characters visible; an exported agenda must import back as written.
    """
    return "'" + text if _GUARDED.match(text) else text


def csv_unguard(text: str) -> str:
    """Undo `csv_guard`: drop the one apostrophe that protects a formula-looking cell."""
    return text[1:] if text.startswith("'") and _GUARDED.match(text, 1) else text


def formula_like(text: str) -> bool:
    """Would a spreadsheet take this text for a formula?"""
    return text.startswith(FORMULA_TRIGGERS)


# OOXML writes characters XML cannot carry as _xHHHH_ (ECMA-376 ST_Xstring); carriage
# returns too, because XML parsers turn a raw CR into a newline.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def xlsx_escape(text: str) -> str:
    """Text an xlsx cell can hold, which Excel, LibreOffice and `xlsx_unescape` show as written."""
    text = _ESCAPE_LIKE.sub(r"_x005F_\1", text)
    return _UNWRITABLE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def xlsx_unescape(text: str) -> str:
    """Undo `xlsx_escape` (and Excel's own escapes) in text read from an xlsx cell."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
