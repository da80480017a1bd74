"""`venvbuild ddl --bucket B`: print the Athena CREATE TABLE over the published search records, and its view."""

from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.errors import OK, UsageError
from venvbuild.query import ddl
from venvbuild.store.local import DEFAULT_PREFIX


def add_arguments(parser) -> None:
    parser.add_argument("--bucket", required=True, help="the bucket builds are published to")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help=f"the builds' prefix (default: {DEFAULT_PREFIX})")
    parser.add_argument("--database", help="the Athena database (default: the query's current database)")
    parser.add_argument("--table", help=f"the table (default: {ddl.DEFAULT_TABLE}, {ddl.DEFAULT_TAGS_TABLE} with --tags)")
    parser.add_argument(
        "--tags", action="store_true", help="print the tag events' table instead (over PREFIX-tags/, one row per `venvbuild tag`)"
    )
    parser.add_argument(
        "--findings",
        action="store_true",
        help="print the audit findings' table instead (over PREFIX-findings/, `venvbuild audit --all --publish`)",
    )
    parser.add_argument("--view", help=f"the packages view (default: {ddl.DEFAULT_VIEW}; not with --tags)")
    parser.add_argument(
        "--engine",
        default="athena",
        choices=ddl.ENGINES,
        help="athena, or trino: the same table for Trino's Hive connector (default: athena)",
    )
    parser.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        help=f"first date of the partition projection's range, up to NOW (default: {ddl.DEFAULT_SINCE}; not with --tags)",
    )
    add_json_option(parser, "print the engine and the statements, each without its ';', as one JSON object")


def run(args) -> int:
    if args.tags and args.findings:
        raise UsageError("--tags and --findings are two tables: print one at a time")
    if args.findings:
        if args.view is not None:
            raise UsageError("--view does not apply to --findings")
        statements = ddl.store_findings_statements(
            args.bucket,
            args.prefix,
            args.database,
            args.table or ddl.DEFAULT_FINDINGS_TABLE,
            args.since or ddl.DEFAULT_SINCE,
            args.engine,
        )
    elif args.tags:
        for option in ("since", "view"):
            if getattr(args, option) is not None:  # the tag events' table has no partitions and no view
                raise UsageError(f"--{option} does not apply to --tags")
        statements = ddl.store_tags_statements(
            args.bucket, args.prefix, args.database, args.table or ddl.DEFAULT_TAGS_TABLE, args.engine
        )
    else:
        statements = ddl.store_statements(
            args.bucket,
            args.prefix,
            args.database,
            args.table or ddl.DEFAULT_TABLE,
            args.since or ddl.DEFAULT_SINCE,
            args.engine,
            args.view or ddl.DEFAULT_VIEW,
        )
    if args.json:
        print_json({"engine": args.engine, "statements": statements})
    else:
        echo(ddl.joined(statements), lines=True, end="")
    return OK


COMMANDS = [
    Command(
        "ddl",
        "Print the Athena CREATE EXTERNAL TABLE over a bucket's search records, then its packages view.",
        add_arguments,
        run,
        details="The table reads s3://BUCKET/PREFIX-metadata/, partitioned by date with partition projection (no "
        f"crawler, no MSCK REPAIR TABLE); the {ddl.DEFAULT_VIEW} view has one row per build and package. "
        "Run each statement on its own.",
    )
]
