"""`venvbuild cache prune`: keep an agent's pull cache (and helper tools) in bounds; `cache hold`: a lease."""

from pathlib import Path

from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.consume import cache
from venvbuild.errors import OK, UsageError


def _non_negative(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise UsageError(f"{text!r} is not a number") from None
        if value < 0:
            raise UsageError(f"{text} is negative")
        return value

    return parse


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="cache_command", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    prune = sub.add_parser("prune", help="evict pulled envs, stray pull folders and old helper tools; never one in use")
    prune.add_argument("--cache-dir", metavar="DIR", required=True, help="the pull cache (pull --cache-dir)")
    prune.add_argument(
        "--max-bytes",
        metavar="N",
        type=_non_negative(int),
        help="then evict the least recently used envs until the rest take at most N bytes",
    )
    prune.add_argument(
        "--keep-days",
        metavar="D",
        type=_non_negative(float),
        help="evict envs (and with --helpers-dir, helper tools) not used for D days",
    )
    prune.add_argument(
        "--helpers-dir",
        metavar="DIR",
        help="the helper tool folder (withVenv's helperToolRoot, default ~/.cache/venvbuild/helpers)",
    )
    add_json_option(prune, "print what was removed and what was in use as one JSON object")
    hold = sub.add_parser("hold", help="(internal: started by pull --hold-while) keep a lease while a file exists")
    hold.add_argument("--fd", type=int, required=True)
    hold.add_argument("--while-exists", type=Path, required=True)
    hold.add_argument("--max-hours", type=float, default=48.0)


def run(args) -> int:
    if args.cache_command == "hold":
        cache.wait_while_exists(args.fd, args.while_exists, args.max_hours)
        return OK
    if args.max_bytes is None and args.keep_days is None:
        raise UsageError("give --max-bytes N, --keep-days D or both: what to keep")
    if args.helpers_dir is not None and args.keep_days is None:
        raise UsageError("--helpers-dir needs --keep-days: helper tools are evicted by age only")
    result = cache.prune(
        Path(args.cache_dir), args.max_bytes, args.keep_days, Path(args.helpers_dir) if args.helpers_dir else None
    )
    if args.json:
        print_json(result)
        return OK
    if result["skipped"]:
        echo(f"{result['cache_dir']}: not pruned: {result['skipped']}")
        return OK
    for item in result["removed"]:
        echo(f"removed {item['kind']} {item['path']} ({item['bytes']} bytes): {item['reason']}")
    for path in result["in_use"]:
        echo(f"in use, kept: {path}")
    echo(f"{result['cache_dir']}: freed {result['freed_bytes']} bytes, {result['kept_bytes']} bytes of envs kept")
    return OK


COMMANDS = [
    Command(
        "cache",
        "Prune an agent's pull cache: evict old or excess pulled envs, stray pull folders and old helper tools.",
        add_arguments,
        run,
        details="Nothing in use is removed: a pull, and a withVenv body (pull --hold-while), hold a lease on its entry; "
        "a helper holds one on its tool while it runs. One prune of a cache at a time.",
    )
]
