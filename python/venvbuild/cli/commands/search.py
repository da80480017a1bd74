"""`venvbuild search SPEC [SPEC...]`: which published builds contain these packages (and versions)?"""

import argparse
import dataclasses
import sys

from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option
from venvbuild.errors import UsageError
from venvbuild.query import athena, athena_tagged, criteria, local_search, matching, output
from venvbuild.query.ddl import DEFAULT_TAGS_TABLE

_ATHENA_ONLY = (
    "database",
    "workgroup",
    "output",
    "table",
    "tags_table",
    "region",
    "athena_endpoint_url",
    "endpoint_url",
    "timeout",
)
_LOCAL_ONLY = ("store", "reindex")


def add_arguments(parser):
    parser.add_argument(
        "specs", nargs="*", metavar="SPEC", help="package name with an optional version specifier (optional with --tag)"
    )
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--count", action="store_true", help="print only the number of matching builds")
    add_json_option(shape, "print one JSON object per build (JSON lines)")
    shape.add_argument("--csv", action="store_true", help=output.CSV_HELP)
    parser.add_argument("--conflict-free", action="store_true", help="only builds without dependency conflicts")
    parser.add_argument("--python", metavar="3.X", help="only builds for this Python version")
    parser.add_argument("--env-name", metavar="NAME", help="only builds of this environment name")
    parser.add_argument("--since", metavar="DATE", help="only builds created on or after this day (YYYY-MM-DD, UTC)")
    parser.add_argument("--limit", metavar="N", type=_positive_int("--limit"), help="at most N builds, newest first")
    parser.add_argument(
        "--tag",
        metavar="TAG",
        action="append",
        help="only the builds a current tag points at (repeatable; with --athena, from the tag events' table)",
    )
    parser.add_argument("--pre", action="store_true", help="let version specifiers match pre-releases too")
    parser.add_argument(
        "--vuln",
        metavar="ID",
        help="the builds a vulnerability affects: an advisory id or any alias (GHSA-..., PYSEC-..., "
        "CVE-...), from the vulnerability database of --store (`venvbuild vulndb`); with --athena too",
    )

    where = parser.add_argument_group("local store (the default)")
    where.add_argument("--store", metavar="DIR", help=local_search.STORE_HELP)
    where.add_argument("--reindex", action="store_true", help="rebuild the store's search index from scratch")

    aws = parser.add_argument_group("Athena")
    aws.add_argument("--athena", action="store_true", help="search the Athena table instead of a local store")
    aws.add_argument("--database", metavar="D", help="the Glue database holding the table (required with --athena)")
    aws.add_argument("--table", metavar="T", help=f"the table (default: {athena.DEFAULT_TABLE})")
    aws.add_argument(
        "--tags-table",
        metavar="T",
        help=f"the tag events' table, for --tag (default: {DEFAULT_TAGS_TABLE}; `venvbuild ddl --tags`)",
    )
    aws.add_argument("--workgroup", metavar="W", help="the Athena workgroup (default: the account's)")
    aws.add_argument("--output", metavar="S3_URL", help="s3:// location for query results (default: the workgroup's)")
    aws.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    aws.add_argument("--athena-endpoint-url", metavar="URL", help="an Athena-compatible server (default: AWS's)")
    aws.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the S3 server Athena's result files are read from (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS)",
    )
    aws.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_positive_float("--timeout"),
        help=f"stop the query after this long (default: {athena.DEFAULT_TIMEOUT_S:g})",
    )


def run(args) -> int:
    _check_backend_options(args)
    if args.vuln is not None:
        return _show(args, _vuln_matches(args), [f"--vuln {args.vuln}"])
    # A SPEC is optional only with --tag (parse_all refuses none); the filters are checked the same way.
    wanted = criteria.build(
        args.specs or ([] if not args.tag else ["placeholder"]),
        args.conflict_free,
        args.python,
        args.env_name,
        args.since,
        args.pre,
    )
    if not args.specs:
        wanted = dataclasses.replace(wanted, specs=())
    if args.athena:
        where = athena.target(
            args.database,
            args.table or athena.DEFAULT_TABLE,
            args.workgroup,
            args.output,
            args.region,
            args.athena_endpoint_url,
            args.timeout or athena.DEFAULT_TIMEOUT_S,
            args.endpoint_url,
        )
        if args.count and not args.tag and len(wanted.specs) == 1:  # a row per version, not per build
            count = matching.count(athena.counted(where, wanted), wanted.specs)
            count = min(count, args.limit) if args.limit else count
            echo(count)
            return 0 if count else 1
        if args.tag:
            found = athena_tagged.candidates(where, wanted, args.tag, args.tags_table or DEFAULT_TAGS_TABLE)
        else:
            found = athena.candidates(where, wanted)
    else:
        if args.tag:
            builds = local_search.tagged_builds(args.store, args.tag, args.env_name)
            found = local_search.query(args.store, args.reindex, lambda con: local_search.tagged(con, wanted, builds))
        else:
            found = local_search.query(args.store, args.reindex, lambda con: local_search.candidates(con, wanted))
    matches = matching.select(found, wanted.specs, args.limit)
    return _show(args, matches, [s.text for s in wanted.specs] + [f"--tag {t}" for t in args.tag or ()])


def _show(args, matches, asked) -> int:
    if args.count:
        count = sum(1 for _ in matches)
        echo(count)
        return 0 if count else 1
    if args.json:
        count = 0
        for match in matches:
            print(output.match_json(match))
            count += 1
        return 0 if count else 1
    if args.csv:
        writer = output.csv_writer()
        writer.writerow(output.MATCH_CSV_HEADERS)
        count = 0
        for match in matches:
            writer.writerow(output.match_csv_row(match))
            count += 1
        return 0 if count else 1
    rows = [output.match_cells(m) for m in matches]
    if not rows:
        echo("venvbuild: no build matches " + " ".join(asked), file=sys.stderr)
        return 1
    echo(output.table(output.MATCH_HEADERS, rows), lines=True)
    return 0


def _vuln_matches(args) -> list:
    """The builds installing a version the vulnerability args.vuln names affects, newest first, in search's shapes."""
    from packaging.utils import canonicalize_name

    from venvbuild.store import default_store, open_store
    from venvbuild.vuln import audit, vulndb

    if args.specs or args.tag:
        raise UsageError("--vuln takes no SPEC and no --tag")
    if not args.athena:
        local_search.metadata_root(args.store)  # the store folder exists
    current, advisories = vulndb.load_current(open_store(args.store or default_store()))
    named = audit.Database(advisories, current["snapshot"]).advisories_named(args.vuln)
    if not named:
        raise UsageError(
            f"--vuln {args.vuln}: no advisory has that id or alias in snapshot {current['snapshot'][:16]} "
            "(withdrawn ones match nothing)"
        )
    entries: dict = {}
    for advisory in named:
        for entry in advisory.affected:
            entries.setdefault(entry.package, []).append(entry)
    rows: dict = {}
    where = (
        athena.target(
            args.database,
            args.table or athena.DEFAULT_TABLE,
            args.workgroup,
            args.output,
            args.region,
            args.athena_endpoint_url,
            args.timeout or athena.DEFAULT_TIMEOUT_S,
            args.endpoint_url,
        )
        if args.athena
        else None
    )
    for name in sorted(entries):
        wanted = criteria.build([name], args.conflict_free, args.python, args.env_name, args.since, args.pre)
        if where is not None:
            found = athena.candidates(where, wanted)
        else:
            found = local_search.query(args.store, args.reindex, lambda con, w=wanted: local_search.candidates(con, w))
        for row in found:
            rows.setdefault(row[0], row)

    def hit(pin: str) -> bool:
        name, _, version = pin.partition("==")
        return any(e.affects(version.lstrip("=")) for e in entries.get(canonicalize_name(name), ()))

    found = []
    for row in sorted(rows.values(), key=lambda r: (str(r[2]), r[0]), reverse=True):
        packages = tuple(p for p in (row[6] or "").split() if hit(p))
        if packages:
            found.append(matching.Match(row, packages))
    return found[: args.limit] if args.limit else found


def _check_backend_options(args) -> None:
    if args.athena:
        if not args.database:
            raise UsageError("--database is required with --athena")
        # With --vuln, --store names where the vulnerability database is (an s3:// store too).
        given = [name for name in _LOCAL_ONLY if getattr(args, name) and not (name == "store" and args.vuln is not None)]
        if args.tags_table and not args.tag:
            raise UsageError("--tags-table needs --tag")
    else:
        given = [name for name in _ATHENA_ONLY if getattr(args, name)]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise UsageError(f"{option} {'does not apply to' if args.athena else 'needs'} --athena")


def _positive(convert, option, what):
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = 0
        if not value > 0:  # also refuses nan
            raise argparse.ArgumentTypeError(f"{option} {text!r} is not {what}")
        return value

    parse.__name__ = option
    return parse


def _positive_int(option):
    return _positive(int, option, "a positive whole number")


def _positive_float(option):
    return _positive(float, option, "a positive number of seconds")


COMMANDS = [
    Command(
        "search",
        "Find the builds that contain packages, e.g. `kedro` or 'pandas>=1.5,<2' (local store or Athena).",
        add_arguments,
        run,
        details="SPEC is a package name with an optional PEP 440 specifier: kedro, 'pandas>=1.5,<2', "
        "numpy==1.24.4.\nNames match exactly after PEP 503 normalisation (scikit_learn is scikit-learn; "
        "kedro is not kedro-viz);\nseveral SPECs must all match. With a specifier, pre-releases match only "
        "when it names one, or with --pre.\nExit 0 with results, 1 with none, 2 on bad input.",
    )
]
