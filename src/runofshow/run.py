"""`runofshow run`: open (or resume) a session's journal and put the live screen on it."""

from __future__ import annotations

import shlex
import sys
from functools import partial
from pathlib import Path

from runofshow.core.agenda import bundled_agenda, load_agenda
from runofshow.core.clock import SystemClock
from runofshow.core.paths import find_journal
from runofshow.core.session import Controller, choose_mode
from runofshow.core.text import literal
from runofshow.errors import UserError


def run_session(
    agenda_path: str | None,
    *,
    log: str | None,
    rehearsal: bool,
    new: bool,
    serve: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
) -> int:
    """Run the moderator's screen until the moderator quits; print where the journal is."""
    agenda = load_agenda(agenda_path or bundled_agenda())  # a bad agenda is the first thing to hear about
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("the live screen needs a terminal; for scripts use 'runofshow status JOURNAL --json'")
    clock = SystemClock()
    reading = clock.read()
    mode = choose_mode(agenda, reading, rehearsal)
    path, ended_before = (Path(log), None) if log else find_journal(agenda, mode, reading, new=new)
    server = None
    if serve is not None:
        from runofshow.sync.links import stage_token
        from runofshow.sync.server import JournalServer, bind, page_base, parse_listen, session_token, tls_context
        from runofshow.sync.web import WebViews

        context = tls_context(certfile, keyfile)
        sock = bind(*parse_listen(serve))
        token = session_token(path)
        base = page_base(sock, context is not None)
        web = WebViews(path, token, stage_token(path), clock, secure=context is not None, base=base)
        server = JournalServer(path, token, sock, clock, ssl_context=context, web=web)
    elif certfile or keyfile:
        raise UserError("--certfile and --keyfile go with --serve")
    controller = Controller.open(path, clock, agenda=agenda, mode=mode, wait=False, confirm=ask)
    if ended_before is not None:
        controller.notes.append(f"{ended_before.name} has ended, so this is a new session in {path.name}")

    from runofshow.tui.app import RunofshowApp, journal_label

    label = journal_label(path)
    try:
        if server is None:
            app = RunofshowApp(controller, controller, journal_label=label, notes=controller.notes)
        else:
            from runofshow.sync.server import close_served

            # Added outside any event loop, so the writer's thread hands each record to the server's
            # own thread at once, never by way of the screen's loop.
            controller.writer.listeners.append(server.publish)
            app = RunofshowApp(
                controller,
                controller,
                journal_label=label,
                notes=controller.notes,
                serving=web.serving_text(server.follow_command()),
                services=[server.start],
                shutdown=partial(close_served, controller, server),
            )
        app.run()
    finally:
        started, ended = controller.engine.started, controller.engine.ended
        controller.close()
    if controller.path != path:
        label = journal_label(controller.path)
    print(f"Journal: {label}")
    if server is not None:
        server.sock.close()
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
        print(f"The session has ended. Review it with: runofshow report {label}")
    else:
        again = resume_command(
            agenda_path, rehearsal=rehearsal, log=log, serve=serve, certfile=certfile, keyfile=keyfile
        )
        state = "has not started" if not started else "is not ended"
        print(f"The session {state}; come back to it with: {again}")
    return 1 if controller.rescue_problem is not None else 0


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
) -> str:
    """The command that comes back to the same journal, in the same mode, serving the same way."""
    words: list[str] = ["--rehearsal"] if rehearsal else []
    for flag, value in (("--log", log), ("--serve", serve), ("--certfile", certfile), ("--keyfile", keyfile)):
        if value:
            words += [flag, value]
    if agenda_path is None and not words:
        return "runofshow"
    return shlex.join(["runofshow", "run", *([agenda_path] if agenda_path else []), *words])
