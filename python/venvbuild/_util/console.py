"""Progress and notes for the person at the console: stderr, so stdout stays the command's result."""

import sys


def say(message: str) -> None:
    print(f"venvbuild: {message}", file=sys.stderr, flush=True)
