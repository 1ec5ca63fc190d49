"""Load and validate an agenda file into frozen dataclasses.

Everything a user can get wrong in an agenda ends in one `AgendaError` whose
text is a single line naming the file, the line, the segment and the field.
"""

from __future__ import annotations

import re

_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]\s*(#.*)?$")
from runofshow.domain.agenda.model import MAX_NESTING


class KeyLines:
    """Find the line of a key by scanning the source; tomllib keeps no positions."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        self.blocks: dict[str, int] = {}
        self.segment_blocks: list[int] = []
        for index, line in enumerate(self.lines):
            if match := _ARRAY_TABLE.match(line):
                if match.group(1) == "segments":
                    self.segment_blocks.append(index)
            elif match := _TABLE.match(line):
                self.blocks.setdefault(match.group(1), index)

    def _key_in_block(self, start: int | None, key: str) -> int | None:
        if start is None:
            return None
        # "warnings.wrap_up" may be written as `warnings = { wrap_up = ... }`.
        for name in dict.fromkeys((key, key.split(".")[0])):
            pattern = re.compile(rf"^\s*\"?{re.escape(name)}\"?\s*=")
            for index in range(start + 1, len(self.lines)):
                line = self.lines[index]
                if _TABLE.match(line) or _ARRAY_TABLE.match(line):
                    break
                if pattern.match(line):
                    return index + 1
        return start + 1

    def table(self, name: str, key: str | None = None) -> int | None:
        """Line of `key` in `[name]`, or of the header when no key is given."""
        start = self.blocks.get(name)
        if key is None:
            return None if start is None else start + 1
        return self._key_in_block(start, key)

    def segment(self, index: int, key: str | None = None) -> int | None:
        """Line of `key` in the `index`-th `[[segments]]` block (0-based)."""
        if index >= len(self.segment_blocks):
            return None
        start = self.segment_blocks[index]
        return start + 1 if key is None else self._key_in_block(start, key)


def too_deep(source: str) -> int | None:
    """The line where arrays, inline tables or dotted keys nest deeper than MAX_NESTING, or None.

    tomllib recurses on nesting (a thousand `[` exhaust the stack) and takes
    quadratic time on long dotted keys, so both are bounded before it runs.
    A small scanner: strings and comments are skipped, brackets counted, and
    dots counted while a key is being read.
    """
    depth = 0
    dots = 0
    in_key = True  # at the start of a line (outside any array), or after `{` or `,` in an inline table
    stack: list[str] = []
    line = 1
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch in "\"'":
            quote = source[i : i + 3] if source.startswith(ch * 3, i) else ch
            i += len(quote)
            while i < n and not source.startswith(quote, i):
                if source[i] == "\\" and quote[0] == '"':
                    i += 1
                elif source[i] == "\n":
                    if len(quote) == 1:
                        break  # an unterminated string: tomllib reports it
                    line += 1
                i += 1
            i += len(quote)
            continue
        if ch == "#":
            while i < n and source[i] != "\n":
                i += 1
            continue
        if ch == "\n":
            line += 1
            if not stack:
                in_key, dots = True, 0
        elif ch in "[{":
            header = ch == "[" and not stack and in_key
            if not header:
                stack.append(ch)
                depth = len(stack)
                in_key = ch == "{"
                dots = 0
        elif ch in "]}":
            if stack:
                stack.pop()
        elif ch == "," and stack and stack[-1] == "{":
            in_key, dots = True, 0
        elif ch == "=":
            in_key = False
        elif ch == "." and in_key:
            dots += 1
        if depth > MAX_NESTING or dots > MAX_NESTING:
            return line
        depth = len(stack)
        i += 1
    return None
