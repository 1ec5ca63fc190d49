"""`--format json`: every figure, with the journal's identity, for scripts (docs/report.md)."""

from __future__ import annotations

import json
import re
from typing import Any

from runofshow.report.compare import Compared
from runofshow.report.records import comparison_record, session_json
from runofshow.report.words import Shown

# `json` escapes C0 controls itself, but writes DEL and the C1 controls (U+0080-U+009F,
# which include the terminal's CSI) as they are. They can only occur inside strings.
_RAW = re.compile("[\x7f-\x9f]")


def dump(data: dict[str, Any]) -> str:
    """The JSON text of a report, indented for a reader, with every control character escaped as \\uXXXX."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", text) + "\n"


class JsonFormat:
    """One JSON object; the page width does not apply."""

    binary = False

    def session(self, shown: Shown, width: int) -> str:
        return dump(session_json(shown))

    def comparison(self, view: Compared, width: int) -> str:
        return dump(comparison_record(view))


RENDERER = JsonFormat()
