"""`runofshow import`: a programme sheet (csv or xlsx) becomes an agenda file that `check` and `run` accept."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from runofshow.errors import UserError
from runofshow.interop.sheet import read_sheet
from runofshow.interop.to_agenda import Options, import_sheet
from runofshow.words.text import literal


def default_output(source: str | Path) -> Path:
    """programme.xlsx -> programme.toml, beside it."""
    return Path(source).with_suffix(".toml")


def run_import(
    source: str,
    output: str | None = None,
    *,
    sheet: str | None = None,
    options: Options | None = None,
    force: bool = False,
) -> int:
    """Write the agenda made from `source` and print its schedule as `check` does."""
    target = Path(output) if output else default_output(source)
    if os.path.realpath(target) == os.path.realpath(source):  # Path.resolve raises on a symlink loop
        raise UserError(f"{literal(str(target))}: is the sheet being imported; give another file with -o")
    if target.exists() and not force:
        raise UserError(f"{literal(str(target))}: already exists; add --force to replace it")
    imported = import_sheet(read_sheet(source, sheet), options or Options(), target)
    _write(target, imported.toml, force)
    from runofshow.agenda_file import load_agenda
    from runofshow.schedule import print_check

    print_check(load_agenda(target))
    if imported.ignored:
        print(f"Columns not read: {', '.join(imported.ignored)}", file=sys.stderr)
    print(f"\nWrote {literal(str(target))}. Run it with: runofshow run {literal(str(target))}")
    return 0


def _write(target: Path, text: str, force: bool) -> None:
    """Write `text`; without `force`, never over a file, even one that appeared since the check."""
    try:
        if force:
            partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            try:
                partial.write_text(text, encoding="utf-8")
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
        else:
            with open(target, "x", encoding="utf-8") as file:
                file.write(text)
    except FileExistsError:
        raise UserError(f"{literal(str(target))}: already exists; add --force to replace it") from None
    except OSError as error:
        raise UserError(f"{literal(str(target))}: cannot write: {error.strerror or error}") from None
