"""How agenda text sits in a spreadsheet cell without being obeyed or lost.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula
(OWASP's "CSV injection"), a terminal obeys the escape sequences in a csv file
shown with `cat`, and an xlsx file cannot hold most control characters at all.
All are written in a form that reads back literally.
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


# Characters that steer a terminal the file is shown on (`cat agenda.csv`): C0 controls but the
# newline and tab a cell may hold, DEL, C1 controls (U+009B is CSI), and the bidi overrides and
# isolates that reorder what is drawn. OSC 0 retitles the window, OSC 52 writes the clipboard.
_STEERING = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_STEERING_CHAR = re.compile(f"[{_STEERING}]")
# What `csv_unescape` turns back into a character: the forms `literal` shows, lower-case hex,
# for exactly the characters above, and `\x5c` for a backslash that would otherwise start one.
_CSV_ESCAPE = re.compile(r"\\(?:x(0[0-8b-f]|1[0-9a-f]|7f|[89][0-9a-f]|5c)|u(202[a-e]|206[6-9]))")


def csv_escape(text: str) -> str:
    """`\\x1b]0;t\\x07` for ESC ] 0 ; t BEL: a csv file shown in a terminal cannot steer it.

    The form is the one `literal` (and `report --format csv`) shows. A backslash
    that already starts such a form is written `\\x5c`, so `csv_unescape` gives
    back exactly the text, whatever it held.
    """
    if "\\" not in text and not _STEERING_CHAR.search(text):
        return text
    out: list[str] = []
    for index, ch in enumerate(text):
        if _STEERING_CHAR.match(ch):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}")
        elif ch == "\\" and _CSV_ESCAPE.match(text, index):
            out.append("\\x5c")
        else:
            out.append(ch)
    return "".join(out)


def csv_unescape(text: str) -> str:
    """Undo `csv_escape` in text read from a csv cell."""
    if "\\" not in text:
        return text
    return _CSV_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


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
