"""`runofshow run` in a real pseudo-terminal when the journal's disk misbehaves, or the journal is not this agenda's.

The disks are real where the machine allows it (root): ext4 on a loop device
frozen with fsfreeze, and a 64 KiB tmpfs filled to the last byte. Without
root or those tools, the tests say why and skip.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import FakeClock, SystemClock
from runofshow.domain.events import REHEARSAL
from runofshow.session.choice import choose_journal
from runofshow.session.controller import Controller
from runofshow.session.replay import replay
from tests.journal.test_journal_rescue import fill
from tests.kit.pty import ANSI
from tests.kit.pty import Pty as Terminal

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="pty, mounts and fsfreeze are Linux's")

COMMAND = [sys.executable, "-m", "runofshow", "run"]


def env_for(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(tmp_path / "state"), COLUMNS="100", LINES="30")


def mount(args: list[str]) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a file system")
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount refused: {done.stderr.strip()}")


@pytest.fixture
def frozen_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on ext4 on a loop device, never left frozen or mounted."""
    if shutil.which("fsfreeze") is None or shutil.which("mkfs.ext4") is None:
        pytest.skip("needs fsfreeze and mkfs.ext4")
    image = tmp_path / "disk.img"
    with open(image, "wb") as out:
        out.truncate(16 << 20)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True, capture_output=True)
    folder = tmp_path / "ext4"
    folder.mkdir()
    mount(["-o", "loop", str(image), str(folder)])
    try:
        yield folder
    finally:
        subprocess.run(["fsfreeze", "-u", str(folder)], capture_output=True)
        subprocess.run(["umount", "-l", str(folder)], check=False)


def text_since(screen: Terminal, mark: int) -> str:
    """What the program drew after byte `mark` of its output, escape sequences removed."""
    return ANSI.sub(b"", screen.raw[mark:]).decode(errors="replace")


def wait_for(screen: Terminal, mark: int, done: Callable[[str], bool], what: str, timeout: float = 15.0) -> None:
    """Read until `done(text drawn since mark)`, or fail saying `what` was not seen."""
    deadline = time.monotonic() + timeout
    while not done(text_since(screen, mark)):
        if time.monotonic() > deadline or not screen._read(0.05):
            raise AssertionError(f"{what} not seen; screen text:\n{text_since(screen, mark)[-2000:]}")


def stall_seconds(text: str) -> set[str]:
    """The banner's "has not returned for N s", each N drawn: the screen's clock-driven tick going on."""
    return set(re.findall(r"not returned for (\d+) s", text))


def events_in(journal: Path) -> list[str]:
    return [json.loads(line)["type"] for line in journal.read_bytes().splitlines()[1:]]


@pytest.mark.pty
def test_a_frozen_disk_shows_journal_not_answering_within_two_seconds_and_timing_goes_on(
    frozen_disk: Path, tmp_path: Path
) -> None:
    journal = frozen_disk / "show.jsonl"
    with Terminal([*COMMAND, "--rehearsal", "--log", str(journal)], env_for(tmp_path)) as screen:
        screen.read_until("REHEARSAL")
        screen.send(b" ")
        screen.read_until("left")
        screen.read_until("journal ✓")
        subprocess.run(["fsfreeze", "-f", str(frozen_disk)], check=True)
        try:
            mark = len(screen.raw)
            began = time.monotonic()
            screen.send(b"+")  # one minute more: taken at once, but its record cannot reach the disk
            wait_for(screen, mark, lambda text: "not answering" in text, "journal not answering")
            noticed = time.monotonic() - began
            assert noticed < 2.5, f"noticed after {noticed:.1f} s"  # 2 s, and half a second for a loaded machine
            mark = len(screen.raw)
            wait_for(screen, mark, lambda text: len(stall_seconds(text)) >= 3, "the screen ticking on", timeout=6)
        finally:
            subprocess.run(["fsfreeze", "-u", str(frozen_disk)], check=True)
        mark = len(screen.raw)
        wait_for(screen, mark, lambda text: "journal ✓" in text, "the journal answering again")
        screen.send(b"q")
        screen.read_until("Quit runofshow?")
        screen.send(b"y")
        status, output = screen.finish()
    assert status == 0, output[-2000:]
    assert events_in(journal)[-3:] == ["start", "extend", "detach"]
    assert replay(journal).torn is None


OTHER = (
    '[session]\ntitle = "Another show"\ndate = "2021-11-01"\ntimezone = "UTC"\n'
    '[[segments]]\nstart = "10:00"\nduration = "5m"\ntitle = "Hello"\n'
)


@pytest.fixture
def seed_journal(tmp_path: Path) -> Path:
    """A rehearsal of the seed agenda, started and left."""
    journal = tmp_path / "A.jsonl"
    controller = Controller.open(journal, SystemClock(), agenda=load_agenda(bundled_agenda()), mode=REHEARSAL)
    controller.command("start")
    controller.close()
    return journal


@pytest.mark.pty
def test_another_agendas_journal_asks_before_resuming(seed_journal: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(OTHER)
    before = seed_journal.read_bytes()
    command = [*COMMAND, str(other), "--log", str(seed_journal)]
    with Terminal(command, env_for(tmp_path)) as screen:
        screen.read_until("resume that session? [y/N]")
        screen.send(b"\r")  # the default is no
        status, output = screen.finish()
    assert status == 2 and "not resumed; nothing was changed" in output
    assert seed_journal.read_bytes() == before
    with Terminal(command, env_for(tmp_path)) as screen:
        text = screen.read_until("resume that session? [y/N]")
        assert "'Another show'" in text and "Initiatives and alliances" in text
        screen.send(b"y\r")
        screen.read_until("Resumed A.jsonl")  # the journal's own session, on its own agenda
        screen.send(b"q")
        screen.read_until("Quit runofshow?")
        screen.send(b"y")
        status, output = screen.finish()
    assert status == 0, output[-2000:]
    assert events_in(seed_journal) == ["start", "detach", "reopen", "detach"]


def test_another_agendas_journal_with_no_terminal_is_refused_in_one_line(seed_journal: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(OTHER)
    before = seed_journal.read_bytes()
    done = subprocess.run(
        [*COMMAND, str(other), "--log", str(seed_journal)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env_for(tmp_path),
        timeout=60,
    )
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert seed_journal.read_bytes() == before


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "tiny"
    folder.mkdir()
    mount(["-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)])
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.pty
def test_quitting_with_records_held_saves_them_and_run_merges_them(tiny: Path, tmp_path: Path) -> None:
    journal = tiny / "show.jsonl"
    command = [*COMMAND, "--rehearsal", "--log", str(journal)]
    with Terminal(command, env_for(tmp_path)) as screen:
        screen.read_until("REHEARSAL")
        screen.send(b" ")
        screen.read_until("journal ✓")
        filler = fill(tiny)
        mark = len(screen.raw)
        while "JOURNAL WRITE FAILING" not in text_since(screen, mark):
            screen.send(b"+")  # the journal's last page still has room for a few records
            wait_for(screen, mark, lambda text: "1 pending" not in text, "a settled journal", timeout=5)
            screen._read(0.3)
        screen.send(b"q")
        screen.read_until("Quit runofshow?")
        screen.read_until("NOT on disk")
        screen.send(b"y")
        status, output = screen.finish()
    assert status == 1, output[-2000:]
    flat = output.replace("\r\n", "").replace("\n", "")
    rescue_dir = tmp_path / "state" / "runofshow" / "rescue"
    (rescue,) = rescue_dir.glob("show.*.rescue.jsonl")
    assert "the journal could not take the last records (No space left on device" in flat, flat[-1500:]
    assert f"they are saved in {rescue}" in flat
    assert "come back to it with" in flat
    held = len(rescue.read_bytes().splitlines()) - 1
    filler.unlink()
    with Terminal(command, env_for(tmp_path)) as screen:
        screen.read_until(f"Merged {held} record(s)")
        screen.send(b"q")
        screen.read_until("Quit runofshow?")
        screen.send(b"y")
        status, output = screen.finish()
    assert status == 0, output[-2000:]
    assert not rescue.exists()
    replayed = replay(journal)
    assert replayed.torn is None
    assert events_in(journal)[-held - 2 :][-2:] == ["reopen", "detach"]


# -- the way back, and a rehearsal left for hours --------------------------------------------


@pytest.mark.pty
def test_the_exit_message_gives_the_program_as_it_was_started(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "runofshow"
    if not script.exists():
        pytest.skip("runofshow is not installed as a script beside this Python")
    with Terminal([str(script), "run", "--rehearsal"], env_for(tmp_path)) as screen:
        screen.read_until("REHEARSAL")
        screen.send(b" ")
        screen.read_until("journal ✓")
        screen.send(b"q")
        screen.read_until("Quit runofshow?")
        screen.send(b"y")
        status, output = screen.finish()
    assert status == 0
    again = output.replace("\r\n", "\n").split("come back to it with: ")[1].split("\n")[0]
    found = shutil.which("runofshow")
    if found is None or not os.path.samefile(found, script):
        assert not again.startswith("runofshow "), again  # not on the PATH: a bare name would not work
    assert again.endswith(" run --rehearsal")
    with Terminal(shlex.split(again), env_for(tmp_path)) as screen:  # typed as printed
        screen.read_until("Resumed")
        screen.send(b"q")
        screen.read_until("Quit runofshow?")
        screen.send(b"y")
        assert screen.finish()[0] == 0


@pytest.mark.pty
@pytest.mark.parametrize("answer", [b"\r", b"y\r"])
def test_a_rehearsal_left_for_hours_asks_before_coming_back_in_overtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: bytes
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    seed = load_agenda(bundled_agenda())
    three_hours_ago = SystemClock().read().wall.subtract(hours=3).in_tz("UTC").isoformat().replace("+00:00", "Z")
    clock = FakeClock(three_hours_ago)
    old = choose_journal(seed, clock.read(), rehearsal=True).path
    controller = Controller.open(old, clock, agenda=seed, mode=REHEARSAL)
    controller.command("start")  # a 90-minute rehearsal, three hours ago: 1 h 30 over now
    controller.close()
    before = old.read_bytes()
    with Terminal([*COMMAND, "--rehearsal"], env_for(tmp_path)) as screen:
        screen.read_until("resume it? (no starts a fresh one")
        screen.send(answer)
        if answer == b"\r":  # no, the default: a fresh one
            screen.read_until("space starts")
            screen.send(b"q")
        else:
            screen.read_until("Resumed")
            screen.send(b"q")
            screen.read_until("Quit runofshow?")
            screen.send(b"y")
        status, output = screen.finish()
    assert status == 0, output[-2000:]
    journals = list(old.parent.glob("*_rehearsal*.jsonl"))
    if answer == b"\r":
        assert old.read_bytes() == before and len(journals) == 2
    else:
        assert "reopen" in events_in(old) and events_in(old)[-1] == "detach" and journals == [old]


def test_one_agenda_in_two_rooms_gets_a_journal_for_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    seed = load_agenda(bundled_agenda())
    clock = FakeClock("2026-12-10T09:00:00Z")
    plain = choose_journal(seed, clock.read(), rehearsal=True).path
    hall_a = choose_journal(seed, clock.read(), rehearsal=True, room="hall-a").path
    hall_b = choose_journal(seed, clock.read(), rehearsal=True, room="hall-b").path
    assert len({plain, hall_a, hall_b}) == 3
    assert hall_a.name.startswith(plain.name.partition("_")[0] + ".hall-a_")
    controller = Controller.open(hall_a, clock, agenda=seed, mode=REHEARSAL)
    controller.close()
    # Each room resumes its own session, and the room-less one is not taken for either.
    assert choose_journal(seed, clock.read(), rehearsal=True, room="hall-a").path == hall_a
    assert choose_journal(seed, clock.read(), rehearsal=True).path == plain
    assert choose_journal(seed, clock.read(), rehearsal=True, room="hall-b").path == hall_b
