"""`venvbuild tag VERSION TAG --store ...`: point a tag at a published build, or take it away (--remove)."""

import dataclasses

from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.errors import OK
from venvbuild.lifecycle import tags
from venvbuild.store.options import add_store_arguments, store_from_args


def add_arguments(parser) -> None:
    parser.add_argument("version", metavar="VERSION", help="a published build, venv_YYYYMMDD_HHMMSS")
    parser.add_argument("tag", metavar="TAG", help="the tag: letters, digits, '-', '_', '.'; starts with a letter")
    parser.add_argument("--remove", action="store_true", help="take TAG away from VERSION (an event too)")
    add_store_arguments(parser, required=False)
    add_json_option(parser, "print the tag event as one JSON object")


def run(args) -> int:
    tags.check_tag(args.tag)
    event = tags.tag(store_from_args(args), args.version, args.tag, remove=args.remove)
    if args.json:
        print_json(dataclasses.asdict(event))
        return OK
    verb = "removed from" if event.action == tags.REMOVE else "->"
    echo(f"{event.env_name} {event.tag} {verb} {event.venv_version}  (event {event.sequence})")
    return OK


COMMANDS = [
    Command(
        "tag",
        "Point TAG (e.g. stable) at the published build VERSION, for that build's env name.",
        add_arguments,
        run,
        details="Each change is an append-only, create-only event; the newest event for a tag wins. "
        "--remove takes the tag away from VERSION.",
    )
]
