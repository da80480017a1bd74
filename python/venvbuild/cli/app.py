"""The `venvbuild` command: one subcommand per job, each registered by a small module in venvbuild.cli.commands."""

import argparse
import importlib
import os
import sys
import time

from venvbuild import __version__
from venvbuild._util import console
from venvbuild._util.signals import Terminated, terminate_as_interrupt
from venvbuild._util.terminal import printable
from venvbuild.cli.command import Command
from venvbuild.consume import cache
from venvbuild.errors import EXIT_CODES, INTERNAL, INTERRUPTED, TERMINATED, USAGE, VenvbuildError

# The modules in venvbuild.cli.commands, each listing its subcommands in COMMANDS; `venvbuild --help` keeps this order.
COMMAND_MODULES = (
    "build",
    "check_pins",
    "stage_commands",
    "publish",
    "tag",
    "gc",
    "compact",
    "pull",
    "verify",
    "cache",
    "ddl",
    "search",
    "sql",
    "diff",
    "sbom",
    "vulndb",
    "audit",
    "catalog",
)


def commands() -> list[Command]:
    return [
        command for module in COMMAND_MODULES for command in importlib.import_module(f"venvbuild.cli.commands.{module}").COMMANDS
    ]


class _Parser(argparse.ArgumentParser):
    """argparse with our one-line errors and exit code for bad usage."""

    def error(self, message):
        self.exit(USAGE, f"venvbuild: error: {printable(message, lines=False)}\n")


def _exit_code_epilog() -> str:
    lines = ["exit codes:"] + [f"  {code:>2}  {meaning}" for code, meaning in EXIT_CODES]
    return "\n".join(lines)


def _add_verbosity(parser, default) -> None:
    """-q/-v, before the subcommand or after it (there the default is SUPPRESS, so it does not undo one before)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=console.QUIET,
        default=default,
        help="print only the result and errors: no progress, note or warning lines",
    )
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=console.VERBOSE,
        default=default,
        help="also print detail lines on stderr: the store, keys written, timings",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="venvbuild",
        description="Build, publish and search reproducible Python virtual environments.",
        epilog=_exit_code_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"venvbuild {__version__}")
    _add_verbosity(parser, console.NORMAL)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for command in commands():
        p = sub.add_parser(
            command.name,
            help=command.help,
            description=f"{command.help}\n\n{command.details}" if command.details else command.help,
            epilog=_exit_code_epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(p)
        _add_verbosity(p, argparse.SUPPRESS)
        p.set_defaults(_run=command.run)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console.set_verbosity(args.verbosity)
    # SIGTERM (a Jenkins abort) as an exception, so that clean-up runs; the helper's tool leased while it runs.
    with terminate_as_interrupt(), cache.helper_lease():
        return _run(args)


def _run(args) -> int:
    started = time.monotonic()
    try:
        code = args._run(args)
    except Terminated:
        print("venvbuild: error: terminated by SIGTERM; stopped and cleaned up", file=sys.stderr)
        return TERMINATED
    except VenvbuildError as exc:
        print(f"venvbuild: error: {printable(str(exc), lines=False)}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        # A file or folder the user named that cannot be read or written: one line, not a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"venvbuild: error: {printable(f'{where}{exc.strerror or exc}', lines=False)}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        print("venvbuild: error: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:
        if os.environ.get("VENVBUILD_DEBUG"):
            raise
        print(
            f"venvbuild: error: internal error: {type(exc).__name__}: {printable(' '.join(str(exc).split()))} "
            "(a bug; VENVBUILD_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return INTERNAL
    console.detail(f"{args.command}: exit {code} after {time.monotonic() - started:.2f} s")
    return code
