"""`venvbuild publish BUILD_DIR --store ...`: publish a finished build folder."""

import json
from pathlib import Path

from venvbuild.build import publish
from venvbuild.errors import OK, UsageError
from venvbuild.record import metadata
from venvbuild.store.options import add_store_arguments, store_from_args

HELP = (
    "Publish a build folder's seven artifacts and its search record to a store, create-only: a published "
    "version is never overwritten, and re-running an interrupted publish finishes it. Prints the stored "
    "metadata as one JSON line."
)


def add_arguments(parser) -> None:
    parser.add_argument("build_dir", metavar="BUILD_DIR", type=Path, help="a build folder made by `venvbuild build`")
    add_store_arguments(parser)
    parser.add_argument("--next-free-version", action="store_true",
                        help="when another build took this version first (two builds started in the same second), "
                        "publish as the next free second instead of failing")
    parser.add_argument("--reuse", action="store_true",
                        help="when another build of the same build_key claimed its reuse pointer first, publish "
                        "nothing and print that build instead")
    parser.add_argument("--reused-to", metavar="FILE", type=Path,
                        help="with --reuse: when another build is returned, also write its metadata here")


def run(args) -> int:
    if args.reused_to and not args.reuse:
        raise UsageError("--reused-to needs --reuse")
    store = store_from_args(args)
    if args.reuse:
        stored, reused = publish.publish_or_reuse(args.build_dir, store, renumber=args.next_free_version)
        if reused and args.reused_to:
            args.reused_to.write_text(metadata.dumps(stored), encoding="utf-8")
    else:
        stored = publish.publish(args.build_dir, store, renumber=args.next_free_version)
    print(json.dumps(stored, separators=(",", ":")))  # ensure_ascii: nothing in it can drive a terminal
    return OK
