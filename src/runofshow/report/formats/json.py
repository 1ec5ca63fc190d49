"""`--format json`: every figure, with the journal's identity, for scripts (docs/report.md)."""

from __future__ import annotations

import json
from typing import Any

from runofshow.report.compare import Compared
from runofshow.report.records import comparison_record, session_json
from runofshow.report.words import Shown


def dump(data: dict[str, Any]) -> str:
    """The JSON text of a report, indented for a reader."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


class JsonFormat:
    """One JSON object; the page width does not apply."""

    def session(self, shown: Shown, width: int) -> str:
        return dump(session_json(shown))

    def comparison(self, view: Compared, width: int) -> str:
        return dump(comparison_record(view))


RENDERER = JsonFormat()
