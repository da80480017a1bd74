"""`venvbuild pull`: a published build onto this machine, at any folder."""

from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.consume import pull
from venvbuild.errors import OK, UsageError
from venvbuild.lifecycle import tags
from venvbuild.store.options import add_store_arguments, store_from_args


def add_arguments(parser) -> None:
    parser.add_argument("version", nargs="?", metavar="VERSION", help="the build, venv_YYYYMMDD_HHMMSS")
    parser.add_argument("--env-name", metavar="NAME", help="with --latest: the env whose newest build to pull")
    parser.add_argument("--latest", action="store_true", help="pull the newest build of --env-name")
    parser.add_argument("--tag", metavar="TAG", help="pull the build TAG points at (venvbuild tag), of --env-name if given")
    parser.add_argument(
        "--python",
        metavar="X.Y",
        help="the build's Python version: with --latest, the newest build for it (needed when the "
        "env has builds for several); otherwise the build must be for it",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--dest", metavar="DIR", help="where the venv goes (absent or empty, or --force)")
    where.add_argument(
        "--cache-dir", metavar="DIR", help="pull into DIR/<archive sha256>, reusing an earlier pull of the same archive"
    )
    parser.add_argument("--force", action="store_true", help="replace a non-empty --dest")
    parser.add_argument(
        "--hold-while",
        metavar="FILE",
        help="with --cache-dir: write FILE and keep the entry leased (never pruned) until FILE is "
        "removed, by a background process",
    )
    add_json_option(parser, "print the pull receipt as one JSON object")
    add_store_arguments(parser, required=False)


def run(args) -> int:
    chosen = [given for given in (args.version is not None, args.latest, args.tag is not None) if given]
    if len(chosen) > 1:
        raise UsageError("give one of VERSION, --latest and --tag")
    if not chosen:
        raise UsageError("give a VERSION, --env-name NAME --latest, or --tag TAG")
    if args.latest and not args.env_name:
        raise UsageError("--latest needs --env-name NAME")
    if args.force and args.cache_dir:
        raise UsageError("--force goes with --dest, not --cache-dir")
    if args.hold_while is not None and args.cache_dir is None:
        raise UsageError("--hold-while goes with --cache-dir: a --dest folder is not shared")
    store = store_from_args(args)
    version = tags.resolve(store, args.tag, args.env_name) if args.tag is not None else args.version
    meta = pull.find_build(store, version, args.env_name, args.python)
    if args.cache_dir is not None:
        receipt, reused = pull.pull_cached(store, meta, args.cache_dir, hold_while=args.hold_while)
    else:
        receipt, reused = pull.pull(store, meta, args.dest, force=args.force), False
    if args.json:
        print_json({**receipt, "reused": reused})
    else:
        how = "already there" if reused else "pulled"
        echo(f"{meta['venv_version']}  env {meta['env_name']}  {how} at {receipt['dest']}  sha256 {meta['archive_sha256']}")
    return OK


COMMANDS = [
    Command(
        "pull",
        "Download a build, check it against its metadata.json, extract it safely and relocate it to --dest.",
        add_arguments,
        run,
        details="At --dest (or in --cache-dir), the venv's python and console scripts run without activation.\n\n"
        "A --cache-dir entry is read-only and checked before every use (its files' stat against the seal its "
        "pull wrote); a changed one is pulled again. A venv a job may change goes to its own --dest.",
    )
]
