"""`venvbuild build`: every stage in one go, then publish to the store."""

import sys

from venvbuild._util.terminal import echo
from venvbuild.build import all_stages
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.cli.commands.stage_commands import add_build_inputs, add_fail_on_conflicts
from venvbuild.store.options import add_store_arguments, store_from_args


def add_arguments(parser):
    add_build_inputs(parser)
    add_fail_on_conflicts(parser)
    add_store_arguments(parser, required=False)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="return a published conflict-free build of the same build_key instead of building, "
        "when the requirements pin everything it installed",
    )
    parser.add_argument(
        "--work-dir", metavar="DIR", help="keep the work folder here (default: a temporary one, removed after success)"
    )
    add_json_option(parser, "print the build's metadata and whether it was reused as one JSON object")


def run(args) -> int:
    store = store_from_args(args)
    meta, reused = all_stages.build(
        args.requirements,
        args.env_name,
        args.python,
        store=store,
        fail_on_conflicts=args.fail_on_conflicts,
        installer_name=args.installer,
        compression=args.compression,
        allow_unpinned=args.allow_unpinned,
        work_dir=args.work_dir,
        reuse=args.reuse,
    )
    if args.json:
        print_json({"metadata": meta, "reused": reused})
        return 0
    state = "conflict-free" if meta["is_conflict_free"] else f"{len(meta['conflicts'])} conflict(s)"
    if reused:
        echo(f"reused {meta['venv_version']} (build_key {meta['build_key']}): nothing built or published")
    echo(
        f"{meta['venv_version']}  env {meta['env_name']}  python {meta['python_full_version']}  "
        f"{len(meta['installed_packages'])} packages  {state}"
    )
    echo(f"archive {meta['venv_archive']}  sha256 {meta['archive_sha256']}  {meta['archive_size']} bytes")
    for line in meta["conflicts"]:
        echo(f"conflict: {line}")
    sys.stdout.flush()
    return 0


COMMANDS = [
    Command(
        "build",
        "Build a venv from a requirements file, inspect, archive and describe it, then publish it to the store.",
        add_arguments,
        run,
    )
]
