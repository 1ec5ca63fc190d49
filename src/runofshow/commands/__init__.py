"""The composition roots, one per command: check, run, follow, status, report, import, export."""
