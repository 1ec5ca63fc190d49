"""Where runofshow keeps its own files: journals by default, and rescue files."""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """`$XDG_STATE_HOME/runofshow`, or `~/.local/state/runofshow`."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "runofshow"
