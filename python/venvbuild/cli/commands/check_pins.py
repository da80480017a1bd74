"""`venvbuild check-pins FILE`: is every requirement pinned to one version?"""

import sys

from venvbuild._util.terminal import echo
from venvbuild.build.requirements_gate import pin_gate
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.errors import OK, UNPINNED


def add_arguments(parser):
    parser.add_argument("file", metavar="FILE", help="the requirements file")
    add_json_option(parser, "print the file, its number of requirements and the unpinned ones as one JSON object")


def run(args) -> int:
    checked = pin_gate(args.file)
    if args.json:
        print_json({"file": args.file, "requirements": checked.requirements, "unpinned": checked.report})
    if checked.report:
        for line in checked.report:
            echo(line, file=sys.stderr)
        echo(
            f"venvbuild: error: {args.file}: {len(checked.report)} requirement(s) not pinned to one version with '=='",
            file=sys.stderr,
        )
        return UNPINNED
    if not args.json:
        echo(f"{args.file}: all {checked.requirements} requirement(s) pinned")
    return OK


COMMANDS = [
    Command(
        "check-pins",
        "Check that every requirement in FILE (and the files it includes) is pinned with ==.",
        add_arguments,
        run,
    )
]
