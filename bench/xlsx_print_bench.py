"""How the agenda and report spreadsheets print: pages and orientation, as LibreOffice lays them out.

Writes the seed agenda's xlsx (`runofshow export`) and the xlsx report of a
short rehearsal of it (`runofshow report`), converts each to PDF with
LibreOffice (`soffice --headless --convert-to pdf`) and prints how many pages
each has and whether they are portrait or landscape (from `pdfinfo`).

Without LibreOffice it says so, and how to install it, and exits 0.

    .venv/bin/python bench/xlsx_print_bench.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import FakeClock
from runofshow.domain.events import REHEARSAL
from runofshow.session.controller import Controller

INSTALL = "apt-get install -y libreoffice-calc"


def office() -> str | None:
    """The LibreOffice command on PATH, if there is one."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def rehearse(path: Path) -> Path:
    """A short rehearsal of the seed: three segments run, one paused, then ended."""
    clock = FakeClock("2021-10-07T05:00:00Z")
    controller = Controller.open(path, clock, agenda=load_agenda(bundled_agenda()), mode=REHEARSAL)
    controller.command("start")
    for seconds in (60.25, 300.5, 240.75):
        clock.advance(seconds / 2)
        controller.poll()
        controller.command("pause")
        clock.advance(15)
        controller.command("resume")
        clock.advance(seconds / 2)
        controller.command("next")
    clock.advance(30)
    controller.command("end")
    controller.close()
    return path


def runofshow(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "runofshow", *args], check=True)


def to_pdf(soffice: str, xlsx: Path, out: Path) -> Path:
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(xlsx)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out / (xlsx.stem + ".pdf")


def layout(pdf: Path) -> str:
    """Pages and orientation of `pdf`, by pdfinfo (every page's size, so a mixed document shows)."""
    if shutil.which("pdfinfo") is None:
        return f"{pdf.name}: written, but pdfinfo is not installed (apt-get install -y poppler-utils)"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    sizes = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(pages), str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    kinds = set()
    for width, height in re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts", sizes):
        kinds.add("landscape" if float(width) > float(height) else "portrait")
    return f"{pdf.name}: {pages} page{'s' if pages != 1 else ''}, {' and '.join(sorted(kinds)) or 'unknown'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    soffice = office()
    if soffice is None:
        print(f"LibreOffice is not installed (no soffice or libreoffice on PATH); install it with: {INSTALL}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        agenda_xlsx = work / "agenda.xlsx"
        report_xlsx = work / "report.xlsx"
        runofshow("export", str(bundled_agenda()), "--format", "xlsx", "-o", str(agenda_xlsx))
        journal = rehearse(work / "rehearsal.jsonl")
        runofshow("report", str(journal), "--format", "xlsx", "-o", str(report_xlsx))
        for xlsx in (agenda_xlsx, report_xlsx):
            print(layout(to_pdf(soffice, xlsx, work)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
