"""`venvbuild verify DIR`: compare a pulled venv with what was pulled."""

from pathlib import Path

from venvbuild._util.terminal import echo
from venvbuild.consume import verify
from venvbuild.errors import OK

HELP = ("Compare a pulled venv with its build's file list and its pull receipt: exit 0 when nothing changed, "
        "1 with each changed, added and missing file listed.")
DIFFERENT = 1


def add_arguments(parser) -> None:
    parser.add_argument("root", metavar="DIR", type=Path, help="a folder that `venvbuild pull` wrote")


def run(args) -> int:
    lines = verify.differences(args.root)
    for line in lines:
        echo(line)
    if not lines:
        echo(f"{args.root}: unchanged since it was pulled")
    return DIFFERENT if lines else OK
