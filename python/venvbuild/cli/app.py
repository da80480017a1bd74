"""The `venvbuild` command: one subcommand per job, each a small module in venvbuild.cli.commands."""

import argparse
import importlib
import os
import sys

from venvbuild import __version__
from venvbuild._util.signals import Terminated, terminate_as_interrupt
from venvbuild._util.terminal import printable
from venvbuild.errors import EXIT_CODES, INTERNAL, INTERRUPTED, TERMINATED, USAGE, VenvbuildError

# Subcommand name -> module in venvbuild.cli.commands exposing HELP, add_arguments(parser), run(args) -> int.
COMMANDS = {
    "build": "build",
    "check-pins": "check_pins",
    "validate": "stage_commands",
    "install": "stage_commands",
    "inspect": "stage_commands",
    "package": "stage_commands",
    "metadata": "stage_commands",
    "publish": "publish",
    "tag": "tag",
    "gc": "gc",
    "compact": "compact",
    "pull": "pull",
    "verify": "verify",
    "ddl": "ddl",
    "search": "search",
    "sql": "sql",
    "diff": "diff",
    "catalog": "catalog",
}


class _Parser(argparse.ArgumentParser):
    """argparse with our one-line errors and exit code for bad usage."""

    def error(self, message):
        self.exit(USAGE, f"venvbuild: error: {printable(message, lines=False)}\n")


def _exit_code_epilog() -> str:
    lines = ["exit codes:"] + [f"  {code:>2}  {meaning}" for code, meaning in EXIT_CODES]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="venvbuild",
        description="Build, publish and search reproducible Python virtual environments.",
        epilog=_exit_code_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"venvbuild {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"venvbuild.cli.commands.{module_name}")
        help_text = module.help_for(name) if hasattr(module, "help_for") else module.HELP
        p = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=_exit_code_epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if hasattr(module, "add_arguments_for"):
            module.add_arguments_for(name, p)
        else:
            module.add_arguments(p)
        p.set_defaults(_run=module.run_for(name) if hasattr(module, "run_for") else module.run)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    with terminate_as_interrupt():  # SIGTERM (a Jenkins abort) as an exception, so that clean-up runs
        return _run(args)


def _run(args) -> int:
    try:
        return args._run(args)
    except Terminated:
        print("venvbuild: error: terminated by SIGTERM; stopped and cleaned up",
              file=sys.stderr)
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
        print(f"venvbuild: error: internal error: {type(exc).__name__}: {printable(' '.join(str(exc).split()))} "
              "(a bug; VENVBUILD_DEBUG=1 shows the traceback)", file=sys.stderr)
        return INTERNAL
