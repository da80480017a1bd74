"""`venvbuild publish BUILD_DIR --store ...`: publish a finished build folder."""

import json
from pathlib import Path

from venvbuild._util.terminal import echo
from venvbuild.build import publish
from venvbuild.cli.command import Command, add_json_option
from venvbuild.errors import OK, UsageError
from venvbuild.record import metadata
from venvbuild.store.options import add_store_arguments, store_from_args


def add_arguments(parser) -> None:
    parser.add_argument("build_dir", metavar="BUILD_DIR", type=Path, help="a build folder made by `venvbuild build`")
    add_store_arguments(parser)
    parser.add_argument(
        "--next-free-version",
        action="store_true",
        help="when another build took this version first (two builds started in the same second), "
        "publish as the next free second instead of failing",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="when another build of the same build_key claimed its reuse pointer first, publish "
        "nothing and print that build instead",
    )
    parser.add_argument(
        "--reused-to",
        metavar="FILE",
        type=Path,
        help="with --reuse: when another build is returned, also write its metadata here",
    )
    add_json_option(parser, "print the stored metadata.json as one JSON object")


def run(args) -> int:
    if args.reused_to and not args.reuse:
        raise UsageError("--reused-to needs --reuse")
    store = store_from_args(args)
    if args.reuse:
        stored, reused = publish.publish_or_reuse(args.build_dir, store, renumber=args.next_free_version)
        if reused and args.reused_to:
            args.reused_to.write_text(metadata.dumps(stored), encoding="utf-8")
    else:
        stored, reused = publish.publish(args.build_dir, store, renumber=args.next_free_version), False
    if args.json:
        print(json.dumps(stored, separators=(",", ":")))  # ASCII: nothing in it can drive a terminal
    else:
        how = "reused (nothing published)" if reused else "published"
        echo(
            f"{stored['venv_version']}  env {stored['env_name']}  {how}  archive {stored['venv_archive']}  "
            f"sha256 {stored['archive_sha256']}"
        )
    return OK


COMMANDS = [
    Command(
        "publish",
        "Publish a build folder's artifacts and its search record to a store, create-only.",
        add_arguments,
        run,
        details="A published version is never overwritten, and re-running an interrupted publish finishes it.",
    )
]
