"""Held records are never lost on quit: a rescue file takes them, and the next open merges them.

The disk is real: a 64 KiB tmpfs filled to the last byte, and (where the
machine allows it) ext4 on a loop device whose device is made read-only.
Both need root; without it the tests say so and skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.agenda.model import Agenda
from runofshow.domain.events import REHEARSAL
from runofshow.journal.codec import encode
from runofshow.journal.rescue import find_rescues, save_rescue
from runofshow.session.controller import Controller
from runofshow.session.replay import replay
from tests.kit.show import assert_journal_matches


def _mount(args: list[str]) -> str | None:
    if os.geteuid() != 0:
        return "needs root to mount a file system"
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    return None if done.returncode == 0 else f"mount refused: {done.stderr.strip()}"


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, unmounted at the end."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    why = _mount(["-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)])
    if why:
        pytest.skip(why)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Fill the file system under `folder` to the last byte; return the filler file."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        for size in (4096, 512, 64, 1):
            try:
                while True:
                    out.write(b"x" * size)
            except OSError:
                pass
    return filler


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    return folder / "runofshow" / "rescue"


def test_a_full_disk_rescue_file_is_merged_on_resume(tiny: Path, state: Path, clock: FakeClock, agenda: Agenda) -> None:
    journal = tiny / "session.jsonl"
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    controller.command("start")
    filler = fill(tiny)
    for _ in range(100):  # the journal's last page still has room: fill it with real records
        on_disk = journal.read_bytes()
        ack = controller.command("pause" if controller.engine.paused_since is None else "resume")
        if not ack.durable:
            break
    held = [ack.event]
    for name in ("pause" if controller.engine.paused_since is None else "resume", "next"):
        clock.advance(20)
        ack = controller.command(name)
        assert not ack.durable
        held += [*ack.noticed, ack.event]
    assert "No space left on device" in (controller.journal_error or "")
    live = controller.view()
    controller.close()
    assert controller.rescue_problem is not None and "No space left" in controller.rescue_problem
    rescued = controller.rescued
    assert rescued is not None and rescued.parent == state
    assert os.stat(rescued).st_mode & 0o777 == 0o600
    lines = rescued.read_bytes().splitlines(keepends=True)
    assert lines[1:] == [encode(event.to_json()) for event in held] + [lines[-1]]  # then the detach
    assert journal.read_bytes() == on_disk  # nothing half-written left in the journal

    filler.unlink()  # the disk has room again
    clock.advance(5)
    resumed = Controller.open(journal, clock, agenda=agenda)
    try:
        assert any(note.startswith(f"Merged {len(held) + 1} record(s) from {rescued}") for note in resumed.notes)
        assert not rescued.exists()
        assert resumed.settle(10)
        events = replay(journal)
        assert events.torn is None
        assert resumed.engine.current == live.current and resumed.engine.seq == held[-1].seq + 2  # detach, reopen
        assert_journal_matches(resumed)
    finally:
        resumed.close()


def test_a_rescue_file_is_merged_once_with_no_seq_twice(
    tmp_path: Path, state: Path, clock: FakeClock, agenda: Agenda, journal: Path
) -> None:
    """Some held records did reach the journal after all (the disk came back as we quit): each seq once."""
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    controller.command("start")
    acks = [controller.command(name) for name in ("pause", "resume")]
    controller.close()
    header = controller.header
    lines = [encode(ack.event.to_json()) for ack in acks]
    # A rescue file that repeats record 2 and 3, which are on disk; and the detach is record 4 on disk too.
    saved, _ = save_rescue(header, journal, 1, lines)
    assert saved is not None and [r.path for r in find_rescues(header)] == [saved]
    resumed = Controller.open(journal, clock, agenda=agenda)
    try:
        seqs = [int(line.split(b'"seq":')[1].split(b",")[0]) for line in journal.read_bytes().splitlines()[1:]]
        assert seqs == sorted(set(seqs)) == list(range(1, resumed.engine.seq + 1))
        assert not saved.exists()
    finally:
        resumed.close()


def test_a_rescue_goes_to_the_temporary_folder_when_the_state_folder_is_full(
    tiny: Path, tmp_path: Path, clock: FakeClock, agenda: Agenda, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tiny / "state"))  # on the full disk too
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    journal = tiny / "session.jsonl"
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    controller.command("start")
    fill(tiny)
    while controller.command("pause" if controller.engine.paused_since is None else "resume").durable:
        pass  # the journal's last page still had room
    controller.close()
    assert controller.rescued is not None and controller.rescued.parent == temp
    assert len(controller.rescued.read_bytes().splitlines()) == 3  # its header, the pause, the detach


@pytest.fixture
def ext4(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """ext4 on a loop device that the kernel remounts read-only on its first error; yields the folder, the image."""
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("needs mkfs.ext4")
    image = tmp_path / "disk.img"
    with open(image, "wb") as out:
        out.truncate(8 << 20)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True, capture_output=True)
    folder = tmp_path / "ext4"
    folder.mkdir()
    why = _mount(["-o", "loop,errors=remount-ro", str(image), str(folder)])
    if why:
        pytest.skip(why)
    try:
        yield folder, image
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def remount_read_only(folder: Path) -> None:
    """What the kernel does to ext4 with errors=remount-ro when the disk fails: ask it to, with a test error.

    A plain `mount -o remount,ro` is refused while a file is open for writing;
    this is the remount a failing disk gets.
    """
    device = subprocess.run(["findmnt", "-n", "-o", "SOURCE", str(folder)], capture_output=True, text=True)
    knob = Path("/sys/fs/ext4") / Path(device.stdout.strip()).name / "trigger_fs_error"
    if not knob.exists():
        pytest.skip(f"this kernel has no {knob}")
    knob.write_text("runofshow test: remount read-only")


def test_a_read_only_remount_holds_records_and_quitting_rescues_them(
    ext4: tuple[Path, Path], state: Path, clock: FakeClock, agenda: Agenda
) -> None:
    folder, image = ext4
    journal = folder / "session.jsonl"
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    controller.command("start")
    remount_read_only(folder)
    ack = controller.command("pause")
    assert not ack.durable
    assert "Read-only file system" in (controller.journal_error or "")
    assert controller.view().paused
    controller.close()
    assert controller.rescued is not None and controller.rescued.parent == state
    assert encode(ack.event.to_json()) in controller.rescued.read_bytes()
    # The disk is seen to again: unmounted, and mounted afresh.
    subprocess.run(["umount", str(folder)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(folder)], check=True)
    resumed = Controller.open(journal, clock, agenda=agenda)
    try:
        assert resumed.engine.paused_since is not None and not controller.rescued.exists()
        assert resumed.settle(10)
        assert_journal_matches(resumed)
    finally:
        resumed.close()


def test_a_planted_rescue_file_is_not_merged(
    tmp_path: Path, clock: FakeClock, agenda: Agenda, journal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary folder is shared: a FIFO, a file others may write, or another user's, is left alone."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    controller = Controller.open(journal, clock, agenda=agenda, mode=REHEARSAL)
    controller.command("start")
    controller.close()
    header = controller.header
    forged = controller.engine.seq + 1
    line = encode({"seq": forged, "type": "pause", "wall": "2021-10-08T08:56:00.000000Z", "mono": 1060.0,
                   "boot": "boot-1", "data": {"segment": 1}})  # fmt: skip
    writable, _ = save_rescue(header, journal, forged - 1, [line])
    assert writable is not None
    os.chmod(writable, 0o666)  # anyone may have written it
    fifo = temp / f"session.{header.session_id}.rescue-9.jsonl"
    os.mkfifo(fifo)  # would hang a reader that opens it to read
    theirs = temp / f"session.{header.session_id}.rescue-8.jsonl"
    theirs.write_bytes(writable.read_bytes())
    os.chown(theirs, 12345, 12345)
    assert find_rescues(header) == []
    resumed = Controller.open(journal, clock, agenda=agenda)
    try:
        assert resumed.engine.paused_since is None  # nothing forged got in
        assert not any(note.startswith("Merged") for note in resumed.notes)
    finally:
        resumed.close()
