"""How a time zone is named to a reader: shared by `check` and `report`, so they never disagree."""

from __future__ import annotations

import pendulum


def zone_label(moment: pendulum.DateTime, tz: str) -> str:
    """The short name people use for `tz` at `moment`, e.g. KST, UTC, -03."""
    return moment.in_tz(tz).format("zz") or tz
