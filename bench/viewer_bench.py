"""The server in its own process, as `run --serve` starts it: what viewers cost, and whom.

    .venv/bin/python bench/viewer_bench.py [--only a,b,c,d] [--viewers 1000] [--big 5000] [--per-process 250]

This process is the moderator: a controller whose journal writer fsyncs each
record, and an asyncio loop that presses keys as the screen does. The server
is the real child `run --serve` starts (`sync.supervisor.ServerProcess`:
`runofshow serve` with the bound socket and a pipe of seqs). The clients are
other processes (multiprocessing, --per-process clients each), so every figure
is the server's, not the clients'. Each opens its connections from its own
loopback addresses (127.2.x.y), as a venue's devices would. Times are
CLOCK_MONOTONIC, which every process on the machine shares; CPU is each
process's time on a CPU (schedstat) over each run's window, given as cores
(1.0 = one core busy). The clients run at the server's priority (nice 10).

(a) fsync to receipt: --viewers stage pages (`/view`, the stage token, the
    server's Origin), then --big of them (the cap raised), the moderator
    pressing pause/resume every 150-250 ms. A page has a record once it has a
    snapshot of that seq or a later one. Goals: p99 <= 100 ms for 1,000,
    p99 <= 500 ms for 5,000. The server's RSS is printed.
(b) keypress to fsync with --followers terminal followers catching up from
    seq 0 on a 3,000- and a 200,000-record journal. Goal: max <= 50 ms.
(c) the moderator's CPU while counting: `run --serve` in a pty with --viewers
    idle stage pages, against `run` without --serve in another pty, over the
    same --seconds. Goal: ratio <= 1.1.
(d) the server's memory on a 30 MB journal with --viewers pages and 20
    followers that never read, keys pressed meanwhile.

Only loopback addresses are used; every wait is bounded. The machine is
shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing
import os
import random
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.kit.pty, for (c)

from runofshow.clock import SystemClock  # noqa: E402
from runofshow.domain.commands import CommandError  # noqa: E402
from runofshow.secrets import Token, token  # noqa: E402
from runofshow.session.bus import Delivery, DurableRecord  # noqa: E402
from runofshow.session.controller import Controller  # noqa: E402
from runofshow.sync.listen import bind, page_base  # noqa: E402
from runofshow.sync.service import CHILD_NICE  # noqa: E402
from runofshow.sync.supervisor import ServerProcess  # noqa: E402

CONNECT_TIMEOUT_S = 180.0
#: The server as `run --serve` starts it, with one hook: each stage snapshot's seq and the instants its
#: frame began and finished being written to every page, appended to the file named by argv[1].
TIMED_SERVER = """
import sys, time
from runofshow import cli
from runofshow.sync import web
log = open(sys.argv.pop(1), "a", buffering=1)
real = web._send_to_all
def timed(connections, text):
    began = time.monotonic()
    real(connections, text)
    if '"role": "stage"' in text:
        at = text.find('"seq": ') + 7
        log.write(f"{text[at:text.index(',', at)]} {began} {time.monotonic()} {len(connections)}\\n")
web._send_to_all = timed
sys.exit(cli.main(sys.argv[1:]))
"""
TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


def cpu_s(pid: int) -> float:
    """The time one process (all its threads, not its children) has run on a CPU, in seconds.

    From each thread's schedstat (nanoseconds), as utime + stime in clock
    ticks is too coarse for a screen that uses half a percent of a core.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(task.read_text().split()[0])
    if total:
        return total / 1e9
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    return 0.0


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of `pid`, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


def loopback(index: int) -> str:
    return f"127.2.{index // 250}.{index % 250 + 1}"


# -- the clients: other processes ------------------------------------------------------------------


def clients(conn: Connection, kind: str, url: str, origin: str, first: int, count: int) -> None:
    """In a process of its own: `count` pages or followers; report when connected, and what each got when told.

    At the server's own priority (`service.CHILD_NICE`): on the viewers' own devices they would not compete
    with it for a core at all; here they at least do not take it from a server that yields to its moderator.
    """
    os.nice(CHILD_NICE)
    asyncio.run(_clients(conn, kind, url, origin, first, count))


async def _clients(conn: Connection, kind: str, url: str, origin: str, first: int, count: int) -> None:
    from websockets.asyncio.client import connect

    receipts: list[list[tuple[int, float]]] = [[] for _ in range(count)]
    messages = [0] * count
    connected: set[int] = set()

    async def one(index: int) -> None:
        mine, seen = receipts[index], -1
        for _ in range(1000):  # a loaded machine may refuse or time out a handshake: again, later
            with contextlib.suppress(Exception):
                async with connect(
                    url if kind == "page" else f"{url}&since={max(0, seen)}",
                    origin=origin if kind == "page" else None,  # type: ignore[arg-type]
                    proxy=None,
                    compression=None,
                    max_size=2**24,
                    open_timeout=60,
                    local_addr=(loopback(first + index), 0),
                ) as ws:
                    connected.add(index)
                    async for message in ws:
                        at = time.monotonic()
                        messages[index] += 1
                        at_seq = message.find('"seq":')
                        if at_seq < 0:
                            continue
                        start = at_seq + 6 + (message[at_seq + 6] == " ")
                        end = start
                        while message[end].isdigit():
                            end += 1
                        seq = int(message[start:end] or -1)
                        if seq > seen:
                            seen = seq
                            mine.append((seq, at))
            await asyncio.sleep(random.uniform(0.2, 1.0))

    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while len(connected) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    conn.send(len(connected))
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    for task in tasks:
        task.cancel()
    conn.send((receipts, sum(messages)))


class Clients:
    """Pages or followers spread over processes of their own, `per` in each."""

    def __init__(self, kind: str, url: str, origin: str, total: int, per: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.ends: list[Connection] = []
        self.processes = []
        for first in range(0, total, per):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=clients, args=(theirs, kind, url, origin, first, min(per, total - first)), daemon=True
            )
            process.start()
            self.ends.append(mine)
            self.processes.append(process)

    def connected(self) -> int:
        return sum(end.recv() if end.poll(CONNECT_TIMEOUT_S + 30) else 0 for end in self.ends)

    def cpu_s(self) -> float:
        return sum(cpu_s(process.pid or 0) for process in self.processes)

    def stop(self) -> tuple[list[list[tuple[int, float]]], int]:
        streams: list[list[tuple[int, float]]] = []
        total = 0
        for end in self.ends:
            end.send("stop")
            got, count = end.recv() if end.poll(120) else ([], 0)
            streams += got
            total += count
        for process in self.processes:
            process.kill()
            process.join(10)
        return streams, total


# -- the moderator: this process ------------------------------------------------------------------


class Moderator:
    """A controller on `journal`, its server as `run --serve` starts it, and each record's fsync instant."""

    def __init__(self, journal: Path, max_connections: int | None = None) -> None:
        self.sent_log = journal.with_suffix(".sent")
        self.controller = Controller.open(journal, SystemClock(), wait=False)
        self.sock = bind("127.0.0.1", 0)
        self.port = int(self.sock.getsockname()[1])
        self.base = page_base(self.sock, False)
        self.cohost, self.stage = token(journal, Token.SESSION), token(journal, Token.STAGE)
        self.synced: dict[int, float] = {}
        self.controller.bus.records.subscribe(self._stamp, deliver=Delivery.WRITER_THREAD)
        self.server = ServerProcess(
            journal,
            self.sock,
            SystemClock(),
            max_connections=max_connections,
            durable=self.controller.engine.seq,
            command=[sys.executable, "-c", TIMED_SERVER, str(self.sent_log), "serve"],
        )
        self.controller.bus.records.subscribe(self.server.notify, deliver=Delivery.WRITER_THREAD)  # as run.py
        self.server.start()
        deadline = time.monotonic() + 60
        while self.server.health().state.value != "serving":
            if time.monotonic() > deadline:
                raise SystemExit(f"the server never started: {self.server.health()}")
            time.sleep(0.05)
        assert self.server.pid is not None
        self.pid = self.server.pid

    def sent(self) -> dict[int, tuple[float, float, int]]:
        """For each seq, when its stage snapshot's frame began and finished being written, and to how many pages."""
        found: dict[int, tuple[float, float, int]] = {}
        with contextlib.suppress(OSError):
            for line in self.sent_log.read_text().splitlines():
                seq, began, ended, pages = line.split()
                found.setdefault(int(seq), (float(began), float(ended), int(pages)))
        return found

    def _stamp(self, record: DurableRecord) -> None:
        self.synced[record.seq] = time.monotonic()

    def pages(self) -> str:
        return f"ws://127.0.0.1:{self.port}/view?token={self.stage}&page=stage"

    def followers(self) -> str:
        return f"ws://127.0.0.1:{self.port}/?token={self.cohost}"

    async def press(self, keys: int, low: float, high: float) -> list[tuple[int, float]]:
        """Press pause/resume `keys` times, `low`-`high` s apart, on this loop; each record's seq and due instant.

        `lags` keeps, for each, how late the loop ran it: the moderator's own share of the delay, the
        rest being the write and the fsync.
        """
        pressed = []
        self.lags: list[float] = []
        if not self.controller.engine.started:
            self.controller.command("start")
        for _ in range(keys):
            due = time.monotonic() + random.uniform(low, high)
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            self.lags.append((time.monotonic() - due) * 1000)
            try:
                ack = self.controller.command("pause")
            except CommandError:
                ack = self.controller.command("resume")
            pressed.append((ack.event.seq, due))
        await asyncio.sleep(1.0)
        return pressed

    def close(self) -> None:
        self.controller.close()
        self.server.close()
        self.sock.close()


@contextlib.contextmanager
def window(*pids: int) -> Iterator[dict[str, float]]:
    """CPU seconds of `pids` and of this process over the `with` block, and its wall time."""
    began, before = time.monotonic(), [cpu_s(pid) for pid in pids]
    own = cpu_s(os.getpid())
    out: dict[str, float] = {}
    yield out
    out["wall"] = time.monotonic() - began
    out["moderator"] = (cpu_s(os.getpid()) - own) / out["wall"]
    for pid, was in zip(pids, before):
        out[str(pid)] = (cpu_s(pid) - was) / out["wall"]


def fresh_journal(folder: Path, name: str, records: int = 0) -> Path:
    from server_bench import build_journal

    journal = folder / name
    if records:
        build_journal(journal, records)
    else:
        from runofshow.agenda_file import bundled_agenda, load_agenda

        Controller.open(journal, SystemClock(), agenda=load_agenda(bundled_agenda()), mode="rehearsal").close()
    return journal


async def fsync_to_receipt(folder: Path, viewers: int, per: int, keys: int) -> None:
    journal = fresh_journal(folder, f"pages-{viewers}.jsonl")
    moderator = Moderator(journal, max_connections=viewers + 100)
    try:
        pages = Clients("page", moderator.pages(), moderator.base, viewers, per)
        connected = pages.connected()
        idle_rss = memory_mb(moderator.pid)[0]
        with window(moderator.pid) as cores:
            cores["clients"] = pages.cpu_s()
            pressed = await moderator.press(keys, 0.15, 0.25)
            cores["clients"] = pages.cpu_s() - cores["clients"]
        rss, peak = memory_mb(moderator.pid)
        streams, _ = pages.stop()
    finally:
        moderator.close()
    delays = []
    for stream in streams:
        for seq, _ in pressed:
            at = next((at for got, at in stream if got >= seq), None)
            if at is not None and seq in moderator.synced:
                delays.append((at - moderator.synced[seq]) * 1000)
    sent = moderator.sent()
    written = [(sent[seq][1] - moderator.synced[seq]) * 1000 for seq, _ in pressed if seq in sent]
    framing = [(sent[seq][1] - sent[seq][0]) * 1000 for seq, _ in pressed if seq in sent]
    goal = 100.0 if viewers <= 1000 else 500.0
    p99 = percentile(delays, 99)
    print(
        f"  {viewers:,} stage pages ({connected:,} connected, {len(pages.processes)} client processes), "
        f"{len(pressed)} records: fsync->receipt p50 {percentile(delays, 50):.1f} ms  p99 {p99:.1f} ms  "
        f"max {max(delays, default=math.nan):.1f} ms over {len(delays):,} receipts "
        f"(of {connected * len(pressed):,}); goal p99 <= {goal:.0f} ms: {'met' if p99 <= goal else 'NOT met'}\n"
        f"      the server's part, fsync->written to every page: p50 {percentile(written, 50):.1f} ms  "
        f"p99 {percentile(written, 99):.1f} ms  max {max(written, default=math.nan):.1f} ms (the writes alone: "
        f"p50 {percentile(framing, 50):.1f} ms, max {max(framing, default=math.nan):.1f} ms); the rest is the "
        "clients' own processes, on the same cores\n"
        f"      server RSS {idle_rss:.0f} MB with the pages idle, {rss:.0f} MB after (peak {peak:.0f} MB); "
        f"cores: server {cores[str(moderator.pid)]:.2f}, clients {cores['clients'] / cores['wall']:.2f}, "
        f"moderator {cores['moderator']:.2f}",
        flush=True,
    )


async def keys_while_catching_up(folder: Path, records: int, followers: int, per: int, keys: int) -> None:
    journal = fresh_journal(folder, f"long-{records}-{followers}.jsonl", records)
    moderator = Moderator(journal, max_connections=followers + 100)
    connected = messages = 0
    try:
        with window(moderator.pid) as cores:
            if followers:
                crowd = Clients("follower", moderator.followers(), "", followers, per)
                connected = crowd.connected()
            pressed = await moderator.press(keys, 0.05, 0.1)
        if followers:
            _, messages = crowd.stop()
    finally:
        moderator.close()
    latencies = [(moderator.synced[seq] - due) * 1000 for seq, due in pressed if seq in moderator.synced]
    worst = max(latencies)
    print(
        f"  {records:,} records ({journal.stat().st_size / 2**20:.0f} MB), {connected:,} followers catching up "
        f"from seq 0 ({messages:,} messages received): keypress->fsync p50 {percentile(latencies, 50):.1f} ms  "
        f"p99 {percentile(latencies, 99):.1f} ms  max {worst:.1f} ms; goal max <= 50 ms: "
        f"{'met' if worst <= 50 else 'NOT met'} (of which the loop's lag: max {max(moderator.lags):.1f} ms, the rest "
        f"the write and fsync); cores: server {cores[str(moderator.pid)]:.2f}, "
        f"moderator {cores['moderator']:.2f}",
        flush=True,
    )


def moderator_cpu(folder: Path, viewers: int, per: int, seconds: float) -> None:
    from tests.kit.procs import one_child
    from tests.kit.pty import Pty

    port = free_port()
    env = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=str(folder), COLUMNS="100", LINES="30")
    run = [sys.executable, "-m", "runofshow", "run", "--rehearsal"]
    with (
        Pty([*run, "--log", str(folder / "s.jsonl"), "--serve", f"127.0.0.1:{port}"], env, (100, 30)) as served,
        Pty([*run, "--log", str(folder / "p.jsonl")], env, (100, 30)) as plain,
    ):
        served.read_until("Co-host link", 60)
        plain.read_until("REHEARSAL", 60)
        server = one_child(served.process.pid)
        for screen in (served, plain):
            screen.send(b" ")  # counting
        stop = threading.Event()

        def keep_reading() -> None:  # a program whose terminal is full would stop drawing, and counting
            while not stop.is_set():
                for screen in (served, plain):
                    screen._read(0.05)

        pump = threading.Thread(target=keep_reading, daemon=True)
        pump.start()
        try:
            stage = token(folder / "s.jsonl", Token.STAGE)
            pages = Clients(
                "page", f"ws://127.0.0.1:{port}/view?token={stage}&page=stage", f"http://127.0.0.1:{port}", viewers, per
            )
            connected = pages.connected()
            time.sleep(2.0)
            with window(served.process.pid, plain.process.pid, server) as cores:
                time.sleep(seconds)
            pages.stop()
        finally:
            stop.set()
            pump.join(10)
    with_serve, without = cores[str(served.process.pid)], cores[str(plain.process.pid)]
    ratio = with_serve / without if without else math.inf
    print(
        f"  over {cores['wall']:.0f} s, counting: the moderator with --serve and {connected:,} idle stage pages "
        "(of 1,000 slots by default, 50 are kept for co-hosts) "
        f"{with_serve * 100:.2f} % of a core, without --serve {without * 100:.2f} %: ratio {ratio:.2f} "
        f"(goal <= 1.1: {'met' if ratio <= 1.1 else 'NOT met'}); the server process {cores[str(server)]:.2f} cores",
        flush=True,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def silent_followers(port: int, cohost: str, count: int) -> list[socket.socket]:
    """Followers that finish the handshake and never read again."""
    socks = []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), source_address=(f"127.3.0.{index + 1}", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(
            f"GET /?token={cohost}&since=0 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 4096:
            head += sock.recv(1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise SystemExit(f"handshake refused: {head[:80]!r}")
        socks.append(sock)
    return socks


async def memory(folder: Path, viewers: int, per: int, keys: int) -> None:
    journal = fresh_journal(folder, "big.jsonl", 215_000)
    moderator = Moderator(journal, max_connections=viewers + 100)
    socks: list[socket.socket] = []
    try:
        before = memory_mb(moderator.pid)[0]
        pages = Clients("page", moderator.pages(), moderator.base, viewers, per)
        connected = pages.connected()
        socks = silent_followers(moderator.port, moderator.cohost, 20)
        with window(moderator.pid) as cores:
            await moderator.press(keys, 0.05, 0.1)
        rss, peak = memory_mb(moderator.pid)
        pages.stop()
    finally:
        for sock in socks:
            sock.close()
        moderator.close()
    print(
        f"  a {journal.stat().st_size / 2**20:.0f} MB journal, {connected:,} stage pages and 20 followers that never "
        f"read, {keys} keys: server RSS {before:.0f} MB before they came, {rss:.0f} MB after (peak {peak:.0f} MB); "
        f"cores: server {cores[str(moderator.pid)]:.2f}",
        flush=True,
    )


async def main_async(args: argparse.Namespace) -> None:
    only = set(args.only.split(","))
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f}; {os.cpu_count()} CPUs (server, clients and moderator share them)")
    with tempfile.TemporaryDirectory(prefix="viewer-bench-") as name:
        folder = Path(name)
        if "a" in only:
            print("(a) fsync to receipt, stage pages:", flush=True)
            for count in (args.viewers, args.big):
                if count:
                    await fsync_to_receipt(folder, count, args.per_process, args.keys)
        if "b" in only:
            print("(b) keypress to fsync while followers catch up:", flush=True)
            for records in args.records or [3_000, 200_000]:
                for followers in (0, args.followers):  # the disk's own figure first
                    await keys_while_catching_up(folder, records, followers, args.per_process, args.keys)
        if "c" in only:
            print("(c) the moderator's CPU while counting:", flush=True)
            moderator_cpu(folder, args.viewers, args.per_process, args.seconds)
        if "d" in only:
            print("(d) the server's memory:", flush=True)
            await memory(folder, args.viewers, args.per_process, args.keys)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", default="a,b,c,d", help="which runs, of a,b,c,d")
    parser.add_argument("--viewers", type=int, default=1000, help="stage pages in (a), (c) and (d)")
    parser.add_argument("--big", type=int, default=5000, help="stage pages in the second run of (a); 0 skips it")
    parser.add_argument("--followers", type=int, default=1000, help="followers catching up in (b)")
    parser.add_argument("--records", type=int, action="append", help="journal length(s) in (b)")
    parser.add_argument("--per-process", type=int, default=250, help="clients per client process")
    parser.add_argument("--keys", type=int, default=60, help="keys pressed per run")
    parser.add_argument("--seconds", type=float, default=30.0, help="the window of (c)")
    asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
