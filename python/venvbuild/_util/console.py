"""Progress and notes for the person at the console: stderr, so stdout stays the command's result.

Each message is one line, made printable: a value in it (a record's field, a path) cannot drive the
terminal nor start a line of its own."""

import sys

from venvbuild._util.terminal import printable


def say(message: str) -> None:
    print(f"venvbuild: {printable(message, lines=False)}", file=sys.stderr, flush=True)
