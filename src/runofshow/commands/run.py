"""`runofshow run`: open (or resume) a session's journal and put the live screen on it."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from runofshow.agenda_file import bundled_agenda, load_agenda
from runofshow.clock import SystemClock
from runofshow.domain.events import REHEARSAL
from runofshow.errors import UserError
from runofshow.session.choice import Choice, choose_journal, choose_mode
from runofshow.session.controller import Controller
from runofshow.words.text import literal

if TYPE_CHECKING:
    from runofshow.sync.hub.connect import HubCredentials
    from runofshow.sync.hub.mirror import HubMirror
    from runofshow.sync.hub.takeover import Fenced
    from runofshow.sync.supervisor import ServerProcess
    from runofshow.tui.app import RunofshowApp


def run_session(
    agenda_path: str | None,
    *,
    log: str | None,
    rehearsal: bool,
    new: bool,
    serve: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    allow_embed: tuple[str, ...] = (),
    osc: str | None = None,
    hub: str | None = None,
    room: str | None = None,
    hub_creds: str | None = None,
) -> int:
    """Run the moderator's screen until the moderator quits; print where the journal is."""
    agenda = load_agenda(agenda_path or bundled_agenda())  # a bad agenda is the first thing to hear about
    creds = None
    if hub is not None:
        # Checked before anything is opened: a bad address, room or credentials file is one line.
        from runofshow.sync.hub.connect import HubCredentials, hub_servers
        from runofshow.sync.hub.names import RoomNameError, check_room

        hub_servers(hub)
        try:
            check_room(room or "")
        except RoomNameError as error:
            raise UserError(str(error)) from None
        creds = HubCredentials.find(hub_creds)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("the live screen needs a terminal; for scripts use 'runofshow status JOURNAL --json'")
    clock = SystemClock()
    reading = clock.read()
    if log:
        choice = Choice(Path(log), choose_mode(agenda, reading, rehearsal))
    else:
        choice = choose_journal(agenda, reading, rehearsal=rehearsal, new=new, room=room if hub else None)
        if choice.question is not None and not ask(choice.question):
            assert choice.fresh is not None
            choice = Choice(choice.fresh, REHEARSAL)
    path, mode = choice.path, choice.mode
    sock = osc_sock = None
    if serve is not None:
        from runofshow.secrets import Token, token
        from runofshow.sync.links import page_links, serving_text
        from runofshow.sync.listen import bind, bind_udp, follow_command, page_base, parse_listen, tls_context

        # Each checked here, so that a bad certificate, a busy port or an unsafe token file is one line
        # before the screen opens; the server process loads the same ones again.
        secure = tls_context(certfile, keyfile) is not None
        sock = bind(*parse_listen(serve))
        osc_sock = bind_udp(*parse_listen(osc)) if osc is not None else None
        cohost_token, stage_token = token(path, Token.SESSION), token(path, Token.STAGE)
        base = page_base(sock, secure)
        follow = follow_command(sock.getsockname(), secure, cohost_token)

        def described(control_token: str) -> str:
            return serving_text(follow, page_links(base, cohost_token, stage_token, control_token))

        shown = described(token(path, Token.CONTROL))
    elif certfile or keyfile:
        raise UserError("--certfile and --keyfile go with --serve")
    elif osc is not None:
        raise UserError("--osc goes with --serve: OSC commands reach the session through its server")
    elif allow_embed:
        raise UserError("--allow-embed goes with --serve")
    hub_tokens = None
    if hub is not None:
        from runofshow.sync.hub.mirror import room_token_hashes

        hub_tokens = room_token_hashes(path)  # an unsafe token file is one line, before the journal is opened
    controller = Controller.open(path, clock, agenda=agenda, mode=mode, wait=False, confirm=ask)
    if choice.note is not None:
        controller.notes.append(choice.note)
    mirror = None
    if hub is not None and room is not None:
        from runofshow.sync.hub.mirror import mirror_controller

        # Records: the writer's thread hands each durable one to the mirror (HubMirror.notify,
        # Delivery.WRITER_THREAD), which only queues it; the mirror's own thread and loop publish it.
        # Its health reaches the screen by HubMirror.watch, in RunofshowApp.on_mount.
        mirror = mirror_controller(controller, hub, room, creds, token_hashes=hub_tokens)
    server = None
    if sock is not None:
        from runofshow.sync.supervisor import ServerProcess

        server = ServerProcess(
            path,
            sock,
            clock,
            base=base,
            certfile=certfile,
            keyfile=keyfile,
            embed=allow_embed,
            durable=controller.engine.seq,
            bus=controller.bus,
            osc=osc_sock,
            describe=described,
        )

    from runofshow.tui.app import RunofshowApp, journal_label

    label = journal_label(path)
    # The handoffs of this process, each stated where it is made, none guessed from whatever runs:
    # - commands: the screen's loop decides and applies each one (controller.command), and hands its
    #   record to the journal writer's thread; it never waits for the disk.
    # - health: the writer's threads publish it on controller.bus.health; the screen subscribes in
    #   RunofshowApp.on_mount (Controller.watch, Delivery.WRITER_THREAD) and only posts a redraw to its loop.
    # - records, when serving: below.
    try:
        if server is None:
            app = RunofshowApp(controller, controller, journal_label=label, notes=controller.notes, hub=mirror)
        else:
            from runofshow.session.bus import Delivery
            from runofshow.session.inbound import Answers

            # Records: the writer's thread publishes each one once it is on disk; the server process is told
            # its seq over a pipe (one short write, never blocking) and reads the record from the file
            # itself, in a process of its own. Subscribed before the server starts, which reads the
            # journal whole as it starts; a seq told twice is harmless. The server's watch thread says
            # when it dies or comes back (ServerProcess.watch, in RunofshowApp.on_mount).
            controller.bus.records.subscribe(server.notify, deliver=Delivery.WRITER_THREAD)
            # Commands from outside: the server's channel publishes each on controller.bus.commands (its
            # watch thread); the screen carries it out in its own loop (RunofshowApp.on_mount), and
            # `answers` (subscribed to the records, on the writer's thread) answers it once it is on disk.
            answers = Answers(controller.bus, controller.durable_seq, lambda: controller.engine.seq)
            server.start()
            app = RunofshowApp(
                controller,
                controller,
                journal_label=label,
                notes=controller.notes,
                serving=shown,
                server=server,
                hub=mirror,
                shutdown=partial(close_served, controller, server),
                remote=answers,
            )
        fenced: list[Fenced] = []
        if mirror is not None and room is not None and hub is not None:
            _when_taken_over(app, mirror, controller, server, hub, room, creds, clock, fenced)
        app.run()
    finally:
        started, ended = controller.engine.started, controller.engine.ended
        controller.close()
        if server is not None:
            server.close()  # closed by the screen as it quits; here if the screen never got that far
        if mirror is not None:
            mirror.close()  # the detach record, and whatever the hub has not taken, for up to 2 s
    if controller.path != path:
        label = journal_label(controller.path)
    print(f"Journal: {label}")
    if fenced:  # another controller took the room over: what the hub did not take is in the fenced file
        from runofshow.words.takeover import fenced_exit_line

        print(f"runofshow: {fenced_exit_line(fenced[0], room or '')}", file=sys.stderr)
        return 1
    if mirror is not None and mirror.health().behind:
        behind = mirror.health().behind
        print(f"Hub: {behind} record{'s' if behind != 1 else ''} not on the hub yet; the next run sends them")
    if sock is not None:
        sock.close()
    if osc_sock is not None:
        osc_sock.close()
    program = invoked_as()
    if controller.saved_copy is not None:
        again = shlex.join([*program, "run", "--log", str(controller.saved_copy)])
        print(
            f"runofshow: {controller.rescue_problem}; the whole session is saved in {controller.saved_copy}; "
            f"come back to it with: {again}",
            file=sys.stderr,
        )
        return 1
    if controller.rescue_problem is not None:
        where = (
            f"they are saved in {controller.rescued}, and running the same command again puts them back"
            if controller.rescued is not None
            else "they are lost"
        )
        print(
            f"runofshow: the journal could not take the last records ({controller.rescue_problem}); {where}",
            file=sys.stderr,
        )
        if controller.rescued is None:
            return 1
    if ended:
        print(f"The session has ended. Review it with: {shlex.join([*program, 'report'])} {label}")
    else:
        again = resume_command(
            agenda_path,
            rehearsal=rehearsal,
            log=log,
            serve=serve,
            certfile=certfile,
            keyfile=keyfile,
            allow_embed=allow_embed,
            hub=hub,
            room=room,
            hub_creds=hub_creds,
            program=program,
            osc=osc,
        )
        state = "has not started" if not started else "is not ended"
        print(f"The session {state}; come back to it with: {again}")
    return 1 if controller.rescue_problem is not None else 0


def _when_taken_over(
    app: RunofshowApp,
    mirror: HubMirror,
    controller: Controller,
    server: ServerProcess | None,
    hub: str,
    room: str,
    creds: HubCredentials | None,
    clock: SystemClock,
    fenced: list[Fenced],
) -> None:
    """When the hub says another controller writes the room: keep what the hub refused, and only follow from then on.

    Handoffs: the mirror's thread sees FENCED and starts the fencing thread
    (`when_fenced`), which stops the mirror, closes the controller and saves
    the records the room does not have, then hands the result to the screen's
    loop (`call_from_thread`), where the screen becomes a follower of the room.
    """
    from runofshow.sync.hub.follower import HubFollower
    from runofshow.sync.hub.takeover import when_fenced
    from runofshow.words.takeover import fenced_rescue_line, taken_over_line

    async def follow(result: Fenced) -> None:
        fenced.append(result)
        if server is not None:  # it serves this journal, which is not the room's any more
            await asyncio.to_thread(server.close)
        follower = HubFollower(f"{hub}/{room}", clock, creds=creds)
        previous = app.shutdown

        async def shutdown() -> None:
            await follower.close()
            if previous is not None:
                await previous()

        app.shutdown = shutdown
        zone = controller.agenda.session.timezone
        why = taken_over_line(result.by or "another controller", result.at_us, result.epoch, zone)
        why += " · " + fenced_rescue_line(
            result.count, None if result.path is None else str(result.path), result.problem
        )
        try:
            await follower.first_contact()
        except UserError as error:
            app.notify(str(error), severity="error", markup=False)
        app.become_follower(follower, follower.changes, why)

    def then(result: Fenced) -> None:
        try:
            app.call_from_thread(app.run_worker, follow(result), exit_on_error=False)
        except RuntimeError:  # the screen is gone already: the exit message says it
            fenced.append(result)

    changed = when_fenced(mirror, controller, hub, room, then, creds=creds)
    mirror.watch(changed)
    changed()  # fenced before the watch was set (the room moved on while this controller was away)


async def close_served(controller: Controller, server: ServerProcess) -> None:
    """Leave a served session: record the detach (the server is told it), then stop the server once it sent it."""
    controller.close()
    await asyncio.to_thread(server.close)


def ask(question: str) -> bool:
    """Ask the moderator on the terminal, before the screen starts; anything but yes is no."""
    try:
        answer = input(f"{literal(question)} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def resume_command(
    agenda_path: str | None,
    *,
    rehearsal: bool,
    log: str | None,
    serve: str | None,
    certfile: str | None,
    keyfile: str | None,
    allow_embed: Sequence[str] = (),
    hub: str | None = None,
    room: str | None = None,
    hub_creds: str | None = None,
    program: Sequence[str] = ("runofshow",),
    osc: str | None = None,
) -> str:
    """The command that comes back to the same journal, in the same mode, serving the same way.

    `program` is how this program was started (see `invoked_as`), so that the
    command works as typed even when `runofshow` is not on the PATH.
    """
    words: list[str] = ["--rehearsal"] if rehearsal else []
    options = (
        ("--log", log),
        ("--serve", serve),
        ("--certfile", certfile),
        ("--keyfile", keyfile),
        ("--osc", osc),
        ("--hub", hub),
        ("--room", room),
        ("--hub-creds", hub_creds),
    )
    for flag, value in options:
        if value:
            words += [flag, value]
    for origin in allow_embed:
        words += ["--allow-embed", origin]
    if agenda_path is None and not words:
        return shlex.join(program)
    return shlex.join([*program, "run", *([agenda_path] if agenda_path else []), *words])


def invoked_as(
    argv0: str | None = None,
    *,
    executable: str | None = None,
    cwd: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    """How to start this program again from here: `runofshow` if that name finds it, else its path.

    A script started by its path (`.venv/bin/runofshow`) is given by that
    path, relative to the current folder when it is below it; `python -m
    runofshow` is given as the interpreter it ran on.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    cwd = os.getcwd() if cwd is None else cwd
    if Path(argv0).name in ("__main__.py", "-m", "-c", "") or argv0.endswith("runofshow/cli.py"):
        for name in ("python3", "python"):
            if _same_file(which(name), executable):
                return [name, "-m", "runofshow"]
        return [_from_here(executable, cwd), "-m", "runofshow"]
    name = Path(argv0).name
    if "/" not in argv0 or _same_file(which(name), argv0 if os.path.isabs(argv0) else os.path.join(cwd, argv0)):
        return [name]
    return [argv0 if not os.path.isabs(argv0) else _from_here(argv0, cwd)]


def _same_file(found: str | None, path: str) -> bool:
    try:
        return found is not None and os.path.samefile(found, path)
    except OSError:
        return False


def _from_here(path: str, cwd: str) -> str:
    """`path` as typed from `cwd`: relative when it is below it (with a ./ where the shell needs one)."""
    relative = os.path.relpath(path, cwd)
    if relative.startswith(".."):
        return path
    return relative if "/" in relative else f"./{relative}"
