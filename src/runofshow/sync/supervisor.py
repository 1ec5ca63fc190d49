"""The moderator's side of `run --serve`: the server runs as a child process, started again if it dies.

The moderator's process binds the listening socket (so a busy port is one
clear line before the screen opens, and the port stays the same across
restarts: connections wait in its backlog while the server starts again) and
hands it to `runofshow serve` as a child, with the read end of a pipe. Its
only work for the server after that is one short write to that pipe per
record made durable (`notify`, on the journal writer's thread): the seq. It
does nothing per follower or per page; the child reads the journal itself,
at a lower scheduling priority (nice 10), so that on a busy machine a
keypress is never queued behind serving.

A thread of its own watches the child. If the child dies, `health()` says so
(the moderator's status line shows it), and the child is started again, at
once the first time and with growing pauses if it keeps dying; followers and
pages reconnect and catch up from their seq. Closing (the moderator quits)
closes the pipe: the child sends what is left and exits. A child also exits
when the moderator's process dies, by the pipe's end and by
PR_SET_PDEATHSIG, so a server never outlives its controller; it never takes
the journal's lock.

Commands from outside (a co-host, the HTTP API, OSC) come the other way, on
a socket pair made for each child (`--command-fd`): one JSON line per
command from the child, one JSON line per answer back. The watching thread
reads them and publishes each command on the session's bus (`Bus.commands`),
where the moderator's screen carries it out as a key, in its own loop; the
answer, made once the record is on disk, is written back by a sender thread
of its own, so neither the screen nor the journal writer waits on the child.
The child also says how many control connections it holds (`{"held": n}`);
the moderator's process sends it a renewed control token (`{"control_token": …}`).

This module imports no network code: the moderator's process loads none.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from runofshow.clock import Clock
from runofshow.domain.commands import CommandError
from runofshow.domain.link import ServerHealth, ServerState
from runofshow.secrets import Token, renew
from runofshow.session.bus import Answer, Bus, DurableRecord, Inbound
from runofshow.session.inbound import command_of, reply_of
from runofshow.sync.links import forget_served, note_served

#: Pauses before starting the server again after it died, in seconds; the last one repeats.
RESTART_S = (0.0, 0.5, 1.0, 2.0, 5.0)
#: A server that ran this long before dying is started again at once, as after its first death.
STEADY_S = 30.0
#: How long closing waits for the child to send what is left and exit, before it is killed.
CLOSE_WAIT_S = 5.0
#: How much of what the child last wrote on stderr is kept, to say why it died.
STDERR_KEEP = 2000
#: How often the watch looks again for a seq the pipe had no room for; it sleeps otherwise.
RETRY_S = 0.5
#: How long the watch sleeps when there is nothing to retry (it wakes at once for the child's output or exit).
IDLE_S = 5.0
#: What the child prints once it serves (`service.READY`, not imported: no network code here).
READY = b"ready"
#: The longest line the child may send on the command channel (a message is at most a few hundred bytes).
MAX_COMMAND_LINE = 1 << 16


def _command() -> list[str]:
    return [sys.executable, "-m", "runofshow", "serve"]


class ServerProcess:
    """`runofshow serve` as a child of the controller: started, fed seqs, watched, started again, stopped."""

    def __init__(
        self,
        path: Path,
        sock: socket.socket,
        clock: Clock,
        *,
        base: str | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        max_connections: int | None = None,
        embed: tuple[str, ...] = (),
        durable: int = 0,
        command: Sequence[str] | None = None,
        bus: Bus | None = None,
        osc: socket.socket | None = None,
        describe: Callable[[str], str] | None = None,
    ) -> None:
        self.path = path
        self.sock = sock
        self.clock = clock
        #: http(s)://HOST:PORT, noted beside the journal while serving so `status` can print the links.
        self.base = base
        self.certfile = certfile
        self.keyfile = keyfile
        self.max_connections = max_connections
        #: The sites that may show the pages in a frame (`--allow-embed`), passed on to every child.
        self.embed = embed
        self.command = list(command) if command is not None else _command()
        self._lock = threading.Lock()
        #: The last seq the controller made durable, and whether the child still has to be told it.
        self._durable = durable
        self._owed = False
        self._pipe: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._health = ServerHealth(ServerState.STARTING)
        self._watchers: list[Callable[[], None]] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        #: Where inbound commands are published; None answers them 503 (nothing carries them out).
        self.bus = bus
        #: The OSC socket (UDP) handed to the child, bound by this process; None when OSC is off.
        self.osc = osc
        #: How many control connections the child holds now (it says so over the channel).
        self.control_held = 0
        #: This end of the current child's command channel, and the lines waiting to be sent on it.
        self._channel: socket.socket | None = None
        self._outbox: queue.SimpleQueue[tuple[socket.socket, bytes] | None] = queue.SimpleQueue()
        self._sender: threading.Thread | None = None
        #: The serving text (follow command and links) for a control token.
        self._describe = describe or (lambda _token: "")

    # -- any thread ----------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The child's process id now (None between a death and the next start)."""
        process = self._process
        return None if process is None or process.returncode is not None else process.pid

    def health(self) -> ServerHealth:
        """Where the server stands now."""
        return self._health

    def watch(self, changed: Callable[[], None]) -> None:
        """Call `changed` (from the watching thread: quick, thread-safe) whenever `health()` changes."""
        self._watchers.append(changed)

    def notify(self, record: DurableRecord) -> None:
        """A record is on disk: tell the child its seq. For `Delivery.WRITER_THREAD`: one write, never blocking."""
        with self._lock:
            self._durable = max(self._durable, record.seq)
            self._tell()

    def revoke_control(self) -> str:
        """A new control token: every control link stops working, the child closes their connections; the new text."""
        new_token = renew(self.path, Token.CONTROL)
        self.renew_control(new_token)
        return self._describe(new_token)

    def renew_control(self, new_token: str) -> None:
        """The control token was renewed: the child stops admitting the old one and closes its control connections."""
        self._send({"control_token": new_token})

    def _send(self, message: dict[str, object]) -> None:
        """Queue one line for the current child; any thread, never blocks (the sender thread writes it)."""
        channel = self._channel
        if channel is not None:
            self._outbox.put((channel, json.dumps(message).encode() + b"\n"))

    def _answer(self, ident: object, answer: Answer) -> None:
        """An inbound command's answer, for the child to pass on; any thread, never blocks."""
        self._send({"id": ident, **reply_of(answer)})

    def _send_all(self) -> None:
        """The sender thread: write each queued line to its channel (a gone child's lines are dropped)."""
        while (item := self._outbox.get()) is not None:
            channel, line = item
            with contextlib.suppress(OSError):
                channel.sendall(line)

    def start(self) -> None:
        """Start the child, and the thread that watches it and starts it again if it dies."""
        if self._thread is not None:
            return
        if self.base is not None:
            note_served(self.path, self.base)
        self._sender = threading.Thread(target=self._send_all, name="runofshow-server-answers", daemon=True)
        self._sender.start()
        self._thread = threading.Thread(target=self._run, name="runofshow-server-watch", daemon=True)
        self._thread.start()

    def close(self, timeout: float = CLOSE_WAIT_S) -> None:
        """Stop serving: close the pipe (the child sends what is left and exits), kill it if it does not."""
        self._stopping.set()
        with self._lock:
            pipe, self._pipe = self._pipe, None
        if pipe is not None:
            os.close(pipe)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            process = self._process
            if thread.is_alive() and process is not None:
                with contextlib.suppress(OSError):
                    process.kill()
                thread.join(timeout)
        if self.base is not None:
            forget_served(self.path)

    # -- the watching thread --------------------------------------------------------

    def _tell(self) -> None:
        """With the lock held: write the last durable seq to the child (once the pipe has room)."""
        if self._pipe is None:
            return
        try:
            os.write(self._pipe, b"%d\n" % self._durable)
            self._owed = False
        except BlockingIOError:
            self._owed = True  # the child is busy: told again when the watch next looks
        except OSError:
            self._owed = False  # the child has gone: the next one reads the file anew

    def _run(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            began = time.monotonic()
            why = self._serve_once()
            if self._stopping.is_set():
                break
            if time.monotonic() - began > STEADY_S:
                attempt = 0
            health = self._health
            self._set(ServerHealth(ServerState.DOWN, health.restarts, why, self.clock.read().wall_us))
            self._stopping.wait(RESTART_S[min(attempt, len(RESTART_S) - 1)])
            attempt += 1

    def _serve_once(self) -> str:
        """Start the child and watch it until it exits; why it did."""
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)
        ours, theirs = socket.socketpair()
        args = [
            *self.command,
            str(self.path),
            "--listen-fd",
            str(self.sock.fileno()),
            "--control-fd",
            str(read_end),
            "--command-fd",
            str(theirs.fileno()),
            "--parent",
            str(os.getpid()),
        ]
        passed = [self.sock.fileno(), read_end, theirs.fileno()]
        if self.osc is not None:
            args += ["--osc-fd", str(self.osc.fileno())]
            passed.append(self.osc.fileno())
        for flag, value in (("--certfile", self.certfile), ("--keyfile", self.keyfile)):
            if value:
                args += [flag, value]
        if self.max_connections is not None:
            args += ["--max-connections", str(self.max_connections)]
        for origin in self.embed:
            args += ["--allow-embed", origin]
        try:
            process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=passed,
                start_new_session=True,  # the terminal's signals are the moderator's, not the server's
            )
        except OSError as error:
            os.close(write_end)
            ours.close()
            return f"cannot start it: {error.strerror or error}"
        finally:
            os.close(read_end)
            theirs.close()
        self._process = process
        self._channel = ours
        with self._lock:
            if self._stopping.is_set():
                os.close(write_end)
            else:
                self._pipe = write_end
                self._tell()
        return self._watch(process)

    def _watch(self, process: subprocess.Popen[bytes]) -> str:
        """Read what the child says until it exits: `ready` marks it serving; stderr's tail says why it died.

        Its commands come on the channel, one JSON line each: they are published on the bus.
        """
        assert process.stdout is not None and process.stderr is not None
        said = b""
        channel = self._channel
        partial = b""
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            selector.register(process.stderr, selectors.EVENT_READ)
            if channel is not None:
                selector.register(channel, selectors.EVENT_READ)
            while any(key.fileobj is not channel for key in selector.get_map().values()):
                for key, _ in selector.select(timeout=RETRY_S if self._owed else IDLE_S):
                    if key.fileobj is channel:
                        try:
                            data = channel.recv(65536)
                        except OSError:
                            data = b""
                        if not data:
                            selector.unregister(channel)
                            continue
                        *lines, partial = (partial + data).split(b"\n")
                        if len(partial) > MAX_COMMAND_LINE:
                            partial = b""
                        for line in lines:
                            self._from_child(line)
                        continue
                    data = os.read(key.fd, 65536)
                    if not data:
                        selector.unregister(key.fileobj)
                    elif key.fileobj is process.stderr:
                        said = (said + data)[-STDERR_KEEP:]
                    elif READY in data and self._health.state is not ServerState.SERVING:
                        health = self._health
                        restarts = health.restarts + (health.state is ServerState.DOWN)
                        self._set(ServerHealth(ServerState.SERVING, restarts, health.problem, health.stopped_us))
                with self._lock:
                    if self._owed:
                        self._tell()
        process.stdout.close()
        process.stderr.close()
        code = process.wait()
        self._channel = None
        if channel is not None:
            channel.close()
        if self.control_held:
            self.control_held = 0
            self._set(self._health)
        with self._lock:
            pipe, self._pipe = self._pipe, None
        if pipe is not None:
            os.close(pipe)
        return _why(code, said)

    def _from_child(self, line: bytes) -> None:
        """On the watching thread: one line from the child, a command (published on the bus) or a count."""
        try:
            message = json.loads(line)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        held = message.get("held")
        if type(held) is int:
            self.control_held = max(0, held)
            self._set(self._health)
            return
        ident = message.get("id")
        if self.bus is None:
            self._answer(ident, Answer(False, code=503, error="no controller carries out commands here"))
            return
        try:
            command = command_of(message)
        except CommandError as error:
            self._answer(ident, Answer(False, code=400, error=str(error)))
            return
        if command is None:
            return
        self.bus.commands.publish(Inbound(command, lambda answer: self._answer(ident, answer)))

    def _set(self, health: ServerHealth) -> None:
        self._health = health
        for changed in list(self._watchers):
            with contextlib.suppress(Exception):  # a screen that has gone must not stop the watch
                changed()


def _why(code: int, said: bytes) -> str:
    """Why a child exited, in a few words: the signal that killed it, or its status and last line on stderr."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    lines = [line.strip() for line in said.decode(errors="replace").splitlines() if line.strip()]
    last = f": {lines[-1]}" if lines else ""
    return f"exited with status {code}{last}"
