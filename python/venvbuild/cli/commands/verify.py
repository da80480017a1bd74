"""`venvbuild verify DIR`: compare a pulled venv with what was pulled."""

from pathlib import Path

from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.consume import verify
from venvbuild.errors import OK

DIFFERENT = 1


def add_arguments(parser) -> None:
    parser.add_argument("root", metavar="DIR", type=Path, help="a folder that `venvbuild pull` wrote")
    add_json_option(parser, "print whether DIR is unchanged and each difference as one JSON object")


def run(args) -> int:
    lines = verify.differences(args.root)
    if args.json:
        print_json(
            {
                "root": str(args.root),
                "unchanged": not lines,
                "differences": [dict(zip(("kind", "detail"), line.split(": ", 1))) for line in lines],
            }
        )
        return DIFFERENT if lines else OK
    for line in lines:
        echo(line)
    if not lines:
        echo(f"{args.root}: unchanged since it was pulled")
    return DIFFERENT if lines else OK


COMMANDS = [
    Command(
        "verify",
        "Compare a pulled venv with its build's file list and its pull receipt.",
        add_arguments,
        run,
        details="Exit 0 when nothing changed, 1 with each changed, added and missing file listed.",
    )
]
