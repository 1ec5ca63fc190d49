"""`python -m runofshow` runs the same command line as the `runofshow` script."""

from __future__ import annotations

from runofshow.cli import main

raise SystemExit(main())
