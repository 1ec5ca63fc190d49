"""Command line: argument parsing only. Heavy modules are imported by the command that needs them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from runofshow import __version__


class UserError(Exception):
    """A mistake the user can fix; shown as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, not a usage dump, for a bad command line."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
    return parser


def _check(args: argparse.Namespace) -> int:
    from runofshow.check import print_check
    from runofshow.core.agenda import load_agenda

    print_check(load_agenda(args.agenda))
    return 0


def _default(args: argparse.Namespace) -> int:
    from runofshow.check import print_check
    from runofshow.core.agenda import bundled_agenda, load_agenda

    print_check(load_agenda(bundled_agenda()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `runofshow` script; returns the exit status."""
    from runofshow.core.agenda import AgendaError

    args = _build_parser().parse_args(argv)
    handlers = {"check": _check, None: _default}
    try:
        return handlers[args.command](args)
    except (AgendaError, UserError) as error:
        print(f"runofshow: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
