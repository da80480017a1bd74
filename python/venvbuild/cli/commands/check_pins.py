import sys

from venvbuild._util.terminal import echo
from venvbuild.build.requirements_gate import check_pins
from venvbuild.errors import UnpinnedError

HELP = "Check that every requirement in FILE (and the files it includes) is pinned with ==."


def add_arguments(parser):
    parser.add_argument("file", metavar="FILE", help="the requirements file")


def run(args) -> int:
    try:
        checked = check_pins(args.file)
    except UnpinnedError as exc:
        for line in exc.lines:
            echo(line, file=sys.stderr)
        echo(f"venvbuild: error: {args.file}: {len(exc.lines)} requirement(s) not pinned to one version with '=='",
              file=sys.stderr)
        return exc.exit_code
    echo(f"{args.file}: all {checked.requirements} requirement(s) pinned")
    return 0
