"""Progress and notes for the person at the console: stderr, so stdout stays the command's result.

How much is said is one setting for the whole process, set once from `venvbuild -q` or `-v`: quiet says
nothing (errors are printed by venvbuild.cli.app, not here), verbose adds the detail lines. Each message is
one line, made printable: a value in it (a record's field, a path) cannot drive the terminal nor start a
line of its own.
"""

import sys

from venvbuild._util.terminal import printable

QUIET, NORMAL, VERBOSE = -1, 0, 1

_verbosity = NORMAL


def set_verbosity(level: int) -> None:
    global _verbosity
    _verbosity = level


def say(message: str) -> None:
    """A progress, note or warning line: printed unless quiet."""
    if _verbosity >= NORMAL:
        _line(message)


def detail(message: str) -> None:
    """A line only -v asks for: store keys, timings."""
    if _verbosity >= VERBOSE:
        _line(message)


def _line(message: str) -> None:
    print(f"venvbuild: {printable(message, lines=False)}", file=sys.stderr, flush=True)
