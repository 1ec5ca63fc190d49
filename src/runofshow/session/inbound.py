"""Commands from outside the moderator's keyboard: carried out by the one controller, answered once on disk.

A co-host, a Stream Deck or a script sends a command to the server process;
the server hands it to the moderator's process (see `sync.supervisor`), which
publishes it on the session's bus (`Bus.commands`) as an `Inbound`. The
moderator's screen subscribes in its own loop (`Delivery.loop`) and carries
it out exactly as a key: the same `Controller.command`, the same decision
and journal write. `Answers` then answers it *after its record is fsynced*:
it learns that from the bus's records channel, on the journal writer's
thread, and only hands the answer on (the server's channel sends it from a
thread of its own), so neither the screen nor the writer ever waits on the network.

A command refused (it makes no sense now, or was sent on a stale picture) is
answered at once, from the screen's loop, with 409 and the reason.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping

from runofshow.domain.commands import Ack, Command, CommandError, StaleCommand, from_name
from runofshow.domain.events import MAX_ACTOR
from runofshow.session.bus import Answer, Bus, Delivery, DurableRecord, Inbound

__all__ = ["Answer", "Answers", "Inbound", "command_of", "reply_of"]


def command_of(message: Mapping[str, object]) -> Command | None:
    """The command a channel message carries (`{"command", "args", "actor", "if_seq"}`, as the server's
    command channel and the hub's control subject send it); None if it is not one; CommandError, in
    words for a person, for arguments that make no command."""
    name, args = message.get("command"), message.get("args")
    actor, if_seq = message.get("actor"), message.get("if_seq")
    if type(name) is not str or not isinstance(args, dict):
        return None
    if type(actor) is not str or not 0 < len(actor) <= MAX_ACTOR:
        actor = "api:?"
    given = {key: value for key, value in args.items() if isinstance(key, str) and key not in ("actor", "if_seq")}
    return from_name(name, actor=actor, if_seq=if_seq if type(if_seq) is int else None, **given)


def reply_of(answer: Answer) -> dict[str, object]:
    """An answer as the channel carries it back: `{"ok", "seq", "code", "error"}`."""
    return {"ok": answer.ok, "seq": answer.seq, "code": answer.code, "error": answer.error}


class Answers:
    """Carries out inbound commands on the controller and answers each once its record is on disk."""

    def __init__(self, bus: Bus, durable_seq: int, last_seq: Callable[[], int] = lambda: 0) -> None:
        self.bus = bus
        #: The last record now (in the controller's loop): a refusal says it, so the reply's status shows it.
        self._last_seq = last_seq
        self._lock = threading.Lock()
        self._durable = durable_seq
        #: Answers waiting for their record, by seq.
        self._waiting: dict[int, list[Callable[[Answer], None]]] = {}
        bus.records.subscribe(self._on_disk, deliver=Delivery.WRITER_THREAD)

    def listen(self, carry_out: Callable[[Inbound], None], loop: asyncio.AbstractEventLoop, /) -> None:
        """Call `carry_out` in `loop` (the screen's, which owns the controller) with each inbound command."""
        self.bus.commands.subscribe(carry_out, deliver=Delivery.loop(loop))

    def carry_out(self, run: Callable[[Command], Ack], inbound: Inbound) -> Ack | None:
        """On the loop that owns the controller: run the command as a key would; answer at once if refused."""
        try:
            ack = run(inbound.command)
        except StaleCommand as error:
            inbound.answer(Answer(False, self._last_seq(), code=409, error=str(error), stale=True))
            return None
        except CommandError as error:
            inbound.answer(Answer(False, self._last_seq(), code=409, error=str(error)))
            return None
        self.when_on_disk(ack.seq, inbound.answer)
        return ack

    def when_on_disk(self, seq: int, answer: Callable[[Answer], None]) -> None:
        """Answer once record `seq` is on disk (at once if it is already)."""
        with self._lock:
            if seq > self._durable:
                self._waiting.setdefault(seq, []).append(answer)
                return
        answer(Answer(True, seq))

    def _on_disk(self, record: DurableRecord) -> None:
        """On the writer's thread: answer every command whose record is now on disk. Never blocks."""
        with self._lock:
            self._durable = max(self._durable, record.seq)
            due = [seq for seq in self._waiting if seq <= record.seq]
            answers = [(seq, answer) for seq in due for answer in self._waiting.pop(seq)]
        for seq, answer in answers:
            answer(Answer(True, seq))
