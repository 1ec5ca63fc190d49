"""Command line: argument parsing only. Heavy modules are imported by the command that needs them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from runofshow import __version__
from runofshow.errors import RunofshowError, UserError
from runofshow.report import FORMATS
from runofshow.sync.embed import embed_origins
from runofshow.words.text import literal

#: The report's format registry; importing it loads no renderer, so parsing stays fast.
REPORT_FORMATS = FORMATS
#: `runofshow.export.FORMATS`, repeated so that parsing the command line imports no exporter.
EXPORT_FORMATS = ("csv", "xlsx", "ics", "md", "ontime")
EMBED_HELP = "let this site show the pages in a frame (an overlay, a dashboard): scheme://host[:port]; repeatable"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, not a usage dump, for a bad command line."""
        self.exit(2, f"{self.prog}: {literal(message)} (see {self.prog} --help)\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="runofshow",
        description="A run-of-show timer for live sessions, in the terminal.",
        epilog="With no command, runs a rehearsal of the bundled seed agenda.",
    )
    parser.add_argument("--version", action="version", version=f"runofshow {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser("check", help="validate an agenda and print its schedule")
    check.add_argument("agenda", help="agenda file (TOML)")
    check.add_argument(
        "--fix-ids",
        action="store_true",
        help="give every segment without an id one, in the file itself (comments and layout kept)",
    )

    run = commands.add_parser("run", help="run a session on the live screen (resumes it if it is under way)")
    run.add_argument("agenda", nargs="?", help="agenda file (TOML); default: the bundled seed agenda")
    run.add_argument("--log", metavar="FILE", help="journal file to write or resume (default: one per agenda and day)")
    run.add_argument(
        "--rehearsal", action="store_true", help="plan from the moment you start, not the agenda's clock times"
    )
    run.add_argument("--new", action="store_true", help="start a fresh journal even if today's session is not ended")
    run.add_argument(
        "--serve",
        metavar="[HOST:]PORT",
        help="also serve the journal to co-hosts over a WebSocket (host default 127.0.0.1)",
    )
    run.add_argument("--certfile", metavar="FILE", help="TLS certificate for --serve (wss://)")
    run.add_argument("--keyfile", metavar="FILE", help="TLS private key for --serve")
    run.add_argument("--allow-embed", metavar="ORIGIN", action="append", help=EMBED_HELP)
    run.add_argument(
        "--osc",
        metavar="[HOST:]PORT",
        help="with --serve, also take commands as OSC messages (/runofshow/next, /runofshow/extend 60, ...) on "
        "this UDP port. OSC has NO authentication: anyone who can reach the port can run the show, so it "
        "listens on 127.0.0.1 unless you give an address. Off by default",
    )
    run.add_argument(
        "--hub",
        metavar="URL",
        help="also mirror the journal into a NATS JetStream hub (nats://HOST:4222, or several, comma-separated)",
    )
    run.add_argument("--room", metavar="NAME", help="the room's name on the hub (letters, digits, - and _)")
    run.add_argument(
        "--hub-creds",
        metavar="FILE",
        help="the hub's credentials: a NATS .creds file, or user/password/nkey/cert/key/ca in TOML "
        "(or RUNOFSHOW_HUB_* in the environment)",
    )

    serve = commands.add_parser(
        "serve", help="serve a journal to co-hosts and browser pages, for a session another process runs"
    )
    serve.add_argument("journal", nargs="?", help="journal file (.jsonl); none with --hub")
    serve.add_argument("--hub", metavar="URL", help="serve every room on this hub instead (nats://HOST:4222[,…])")
    serve.add_argument(
        "--hub-creds", metavar="FILE", help="the hub's credentials (else from RUNOFSHOW_HUB_* in the environment)"
    )
    serve.add_argument("--listen", metavar="[HOST:]PORT", help="the address to serve on (host default 127.0.0.1)")
    serve.add_argument("--certfile", metavar="FILE", help="TLS certificate (wss:// and https://)")
    serve.add_argument("--keyfile", metavar="FILE", help="TLS private key")
    serve.add_argument("--allow-embed", metavar="ORIGIN", action="append", help=EMBED_HELP)
    serve.add_argument(
        "--max-connections",
        type=int,
        metavar="N",
        help="followers and pages at once (default 1000; 50 of them kept for co-hosts)",
    )
    # How `run --serve` hands its child the socket it bound and the pipe that says which records are on disk.
    serve.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--control-fd", type=int, help=argparse.SUPPRESS)
    # And the socket its commands go over to the controller, and the OSC socket it bound.
    serve.add_argument("--command-fd", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--osc-fd", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--parent", type=int, help=argparse.SUPPRESS)

    follow = commands.add_parser("follow", help="watch a session someone else runs, read-only")
    follow.add_argument(
        "target",
        metavar="JOURNAL|URL",
        help="a journal file on this machine, ws://HOST:PORT from 'run --serve', or nats://HOST:4222/ROOM from a hub",
    )
    follow.add_argument("--hub-creds", metavar="FILE", help="the hub's credentials, for nats:// (as for run)")
    follow.add_argument(
        "--token", help="the session's token, shown on the moderator's screen (or put ?token= in the URL)"
    )
    views = follow.add_mutually_exclusive_group()
    views.add_argument(
        "--stage", action="store_true", help="a full-screen countdown for speakers, to share in the meeting"
    )
    views.add_argument(
        "--json", action="store_true", help="no screen: one JSON state line per change, for scripts and overlays"
    )
    follow.add_argument(
        "--control",
        metavar="TOKEN",
        help="the control link's token: get the moderator's keys (quit is yours; end asks), sent to the moderator",
    )
    follow.add_argument(
        "--as",
        dest="name",
        metavar="NAME",
        help="with --control: the name the moderator's screen and the journal give your commands",
    )
    follow.add_argument(
        "--cafile", metavar="FILE", help="trust this CA certificate for wss:// (e.g. a self-signed one)"
    )

    board = commands.add_parser("board", help="every room on one screen: from a hub, or from several follow links")
    board.add_argument(
        "links",
        nargs="*",
        metavar="LINK",
        help="follow links, as 'follow' takes them (ws://HOST:PORT/#KEY), each named NAME=LINK if you like",
    )
    board.add_argument("--hub", metavar="URL", help="every room on this hub (nats://HOST:4222[,nats://…])")
    board.add_argument(
        "--hub-creds", metavar="FILE", help="the hub's credentials (else from RUNOFSHOW_HUB_* in the environment)"
    )
    board.add_argument(
        "--silent-after",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="flag a room whose controller sent no record or heartbeat for this long (default 10)",
    )
    board.add_argument("--cafile", metavar="FILE", help="trust this CA certificate for wss:// links")
    board.add_argument(
        "--listen", metavar="[HOST:]PORT", help="also serve the board as a page, at http://HOST:PORT/board#KEY"
    )

    status = commands.add_parser("status", help="show a session's state now, from its journal")
    status.add_argument("journal", help="journal file (.jsonl)")
    status.add_argument("--json", action="store_true", help="one JSON object, for scripts")

    importer = commands.add_parser("import", help="make an agenda from a programme sheet (csv or xlsx)")
    importer.add_argument("sheet_file", metavar="FILE", help="the programme: .csv or .xlsx")
    importer.add_argument("-o", "--output", metavar="AGENDA", help="agenda file to write (default: FILE with .toml)")
    importer.add_argument("--sheet", metavar="NAME", help="the xlsx sheet that holds the programme")
    importer.add_argument("--title", help="the session's title, if the sheet does not give it")
    importer.add_argument("--date", metavar="YYYY-MM-DD", help="the session's day, if the sheet does not give it")
    importer.add_argument(
        "--timezone", metavar="ZONE", help="the zone the sheet's times are in (IANA, e.g. Asia/Seoul)"
    )
    importer.add_argument("--host", metavar="NAME", help="the moderator's name")
    importer.add_argument("--force", action="store_true", help="replace the agenda file if it exists")

    export = commands.add_parser(
        "export", help="write an agenda as a sheet, calendar invitations, a speaker briefing or an Ontime rundown"
    )
    export.add_argument("agenda", help="agenda file (TOML)")
    export.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        required=True,
        help="csv, xlsx, ics, md (briefing) or ontime (Ontime's rundown sheet: csv, or xlsx with -o FILE.xlsx)",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.add_argument("--speaker", metavar="NAME", help="ics and md: only this speaker's segments")
    export.add_argument(
        "--link",
        metavar="URL",
        help="md and ics: the link speakers open on the day (default: the stage link, while run --serve serves it)",
    )
    export.add_argument(
        "--previous",
        metavar="FILE.ics",
        help="ics: the calendar sent last; events it has that the agenda lost are cancelled, and numbering goes on from it",
    )

    report = commands.add_parser(
        "report", help="how long each segment took against the plan; several journals: compare them"
    )
    report.add_argument("journals", nargs="+", metavar="JOURNAL", help="journal file(s) (.jsonl)")
    report.add_argument("--format", choices=REPORT_FORMATS, default="table", help="output format (default: table)")
    report.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    report.add_argument("--tz", metavar="ZONE", help="show times in this IANA zone (default: the session's)")
    return parser


def _check(args: argparse.Namespace) -> int:
    from runofshow.commands.check import run_check

    return run_check(args.agenda, fix_ids=args.fix_ids)


def _status(args: argparse.Namespace) -> int:
    from runofshow.commands.status import run_status

    return run_status(args.journal, args.json)


def _report(args: argparse.Namespace) -> int:
    from runofshow.commands.report import run_report

    return run_report(args.journals, args.format, args.output, args.tz)


def _import(args: argparse.Namespace) -> int:
    from runofshow.commands.importer import run_import
    from runofshow.interop.to_agenda import Options

    options = Options(title=args.title, date=args.date, timezone=args.timezone, host=args.host)
    return run_import(args.sheet_file, args.output, sheet=args.sheet, options=options, force=args.force)


def _export(args: argparse.Namespace) -> int:
    from runofshow.commands.export import run_export

    return run_export(
        args.agenda, args.format, args.output, speaker=args.speaker, link=args.link, previous=args.previous
    )


def _run(args: argparse.Namespace) -> int:
    if args.keyfile and not args.certfile:
        raise UserError("--keyfile needs --certfile too")
    if bool(args.hub) != bool(args.room):
        raise UserError("--hub and --room go together: the hub's address and the room's name on it")
    if args.hub_creds and not args.hub:
        raise UserError("--hub-creds goes with --hub")
    from runofshow.commands.run import run_session

    return run_session(
        args.agenda,
        log=args.log,
        rehearsal=args.rehearsal,
        new=args.new,
        serve=args.serve,
        certfile=args.certfile,
        keyfile=args.keyfile,
        allow_embed=embed_origins(args.allow_embed),
        osc=args.osc,
        hub=args.hub,
        room=args.room,
        hub_creds=args.hub_creds,
    )


def _serve(args: argparse.Namespace) -> int:
    if args.keyfile and not args.certfile:
        raise UserError("--keyfile needs --certfile too")
    if args.hub is not None:
        if args.journal is not None or args.listen_fd is not None or args.max_connections is not None:
            raise UserError("serve --hub serves every room of the hub: give no journal (nor --max-connections)")
        from runofshow.commands.serve import run_serve_hub

        return run_serve_hub(
            args.hub, args.listen, hub_creds=args.hub_creds, certfile=args.certfile, keyfile=args.keyfile
        )
    if args.journal is None:
        raise UserError("serve needs a journal, or --hub URL to serve every room of a hub")
    if args.hub_creds:
        raise UserError("--hub-creds goes with --hub")
    from runofshow.commands.serve import run_serve

    return run_serve(
        args.journal,
        args.listen,
        certfile=args.certfile,
        keyfile=args.keyfile,
        max_connections=args.max_connections,
        allow_embed=embed_origins(args.allow_embed),
        listen_fd=args.listen_fd,
        control_fd=args.control_fd,
        command_fd=args.command_fd,
        osc_fd=args.osc_fd,
        parent=args.parent,
    )


def _board(args: argparse.Namespace) -> int:
    from runofshow.commands.board import run_board

    return run_board(
        args.links,
        hub=args.hub,
        hub_creds=args.hub_creds,
        silent_after=args.silent_after,
        cafile=args.cafile,
        listen=args.listen,
    )


def _follow(args: argparse.Namespace) -> int:
    from runofshow.commands.follow import run_follow

    if args.hub_creds and not args.target.startswith(("nats://", "tls://")):
        raise UserError("--hub-creds is for following a room on a hub (nats://HOST:4222/ROOM)")
    return run_follow(
        args.target,
        token=args.token,
        stage=args.stage,
        as_json=args.json,
        cafile=args.cafile,
        hub_creds=args.hub_creds,
        control=args.control,
        name=args.name,
    )


def _default(args: argparse.Namespace) -> int:
    from runofshow.commands.run import run_session

    return run_session(None, log=None, rehearsal=False, new=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `runofshow` script; returns the exit status."""
    args = _build_parser().parse_args(argv)
    handlers = {
        "check": _check,
        "run": _run,
        "follow": _follow,
        "board": _board,
        "serve": _serve,
        "status": _status,
        "report": _report,
        "import": _import,
        "export": _export,
        None: _default,
    }
    try:
        return handlers[args.command](args)
    except RunofshowError as error:
        # A file name may hold a newline or an escape sequence: keep the one line literal.
        print(f"runofshow: {literal(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
