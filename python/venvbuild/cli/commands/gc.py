"""`venvbuild gc --store ... --keep-last N --keep-days D [--apply]`: delete old builds, never one in use."""

import argparse

from venvbuild._util.console import say
from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.errors import OK
from venvbuild.lifecycle import maintenance_lease, retention
from venvbuild.store.options import add_store_arguments, store_from_args

# Why a build is to be deleted: (the JSON "reason", the text after its version), in the order they are deleted.
_INTERRUPTED = ("interrupted", "an interrupted collection started it")
_INCOMPLETE = ("incomplete", "never published completely, unchanged for over a day")


def _count(option):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise argparse.ArgumentTypeError(f"{option} {text!r} is not a whole number from 0 up")
        return value

    return parse


def add_arguments(parser) -> None:
    add_store_arguments(parser, required=False)
    parser.add_argument("--env-name", metavar="NAME", help="only builds of this env name")
    parser.add_argument("--keep-last", metavar="N", type=_count("--keep-last"), help="keep the newest N builds per env name")
    parser.add_argument(
        "--keep-days",
        metavar="D",
        type=_count("--keep-days"),
        help="keep builds created, or returned by a reuse, within the last D days",
    )
    parser.add_argument("--apply", action="store_true", help="delete; without it, only print what would be deleted")
    add_json_option(parser, "print the plan (and with --apply, how many builds were deleted) as one JSON object")


def run(args) -> int:
    retention.check_rules(args.keep_last, args.keep_days)
    store = store_from_args(args)
    if not args.apply:
        return _plan_and_apply(store, args)
    with maintenance_lease.held(store, "gc --apply"):  # never beside a compact (or another gc --apply)
        return _plan_and_apply(store, args)


def _plan_and_apply(store, args) -> int:
    result = retention.plan(store, args.keep_last, args.keep_days, args.env_name)
    doomed = (
        [(build, _INTERRUPTED) for build in result.resume]
        + [(build, ("retention", f"env {build.env_name}")) for build in result.delete]
        + [(build, _INCOMPLETE) for build in result.incomplete]
    )
    if not args.json:
        for version, why in sorted(result.keep.items()):
            echo(f"keep    {version}  ({why})")
        verb = "delete" if args.apply else "would delete"
        for build, (_, why) in doomed:
            echo(f"{verb} {build.venv_version}  ({why})")
        for key in result.stale_pointers:
            echo(f"{verb} {key}  (a reuse pointer naming no published build)")
    deleted = retention.apply(store, result, say) if args.apply else None
    if args.json:
        print_json(
            {
                "applied": args.apply,
                "keep": [{"venv_version": version, "reason": why} for version, why in sorted(result.keep.items())],
                "delete": [
                    {"venv_version": build.venv_version, "env_name": build.env_name, "reason": reason}
                    for build, (reason, _) in doomed
                ],
                "stale_pointers": list(result.stale_pointers),
                "deleted": deleted,
            }
        )
    elif deleted is None:
        echo(f"{len(doomed)} build(s) would be deleted, {len(result.keep)} kept; run again with --apply to delete")
    else:
        echo(f"{deleted} build(s) deleted, {len(result.keep)} kept")
    return OK


COMMANDS = [
    Command(
        "gc",
        "Delete old builds, never one a current tag points at or a reuse returned recently.",
        add_arguments,
        run,
        details="Per env name, keep the newest --keep-last N and those created within --keep-days D, and never a "
        "build a current tag points at or a reuse returned within D days. Prints the plan; deletes only "
        "with --apply (search record first, artifacts after; an interrupted run is finished by the next).",
    )
]
