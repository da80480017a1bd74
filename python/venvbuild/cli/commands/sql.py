"""`venvbuild sql "QUERY"`: run SQL (DuckDB) against a local store's `venv_builds_metadata` view."""

from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option
from venvbuild.query import local_search, output


def add_arguments(parser):
    parser.add_argument("query", metavar="QUERY", help='the SQL, for example "SELECT count(*) FROM venv_builds_metadata"')
    shape = parser.add_mutually_exclusive_group()
    add_json_option(shape, "print one JSON object per row (JSON lines)")
    shape.add_argument("--csv", action="store_true", help=output.CSV_HELP)
    parser.add_argument("--store", metavar="DIR", help=local_search.STORE_HELP)
    parser.add_argument("--reindex", action="store_true", help="rebuild the store's search index from scratch")


def run(args) -> int:
    columns, rows = local_search.query(args.store, args.reindex, lambda con: local_search.run_sql(con, args.query))
    if args.json:
        for row in rows:
            print(output.row_json(columns, row))
    elif args.csv:
        if columns:
            writer = output.csv_writer()
            writer.writerow(columns)
            writer.writerows([output.csv_cell(v) for v in row] for row in rows)
    elif columns:
        echo(output.table(columns, [tuple(output.cell(v) for v in row) for row in rows]), lines=True)
    return 0


COMMANDS = [
    Command(
        "sql",
        "Run a read-only SQL query against a local store's venv_builds_metadata view (DuckDB).",
        add_arguments,
        run,
        details="The view has the design's Athena columns (created_at TIMESTAMP, conflicts and "
        "installed_packages VARCHAR[]),\nthen the other metadata fields and the partition column dt, "
        "so the design's example queries run as written.\nThe query sees only the store's index: no "
        "files, no settings, no writes. Exit 0 on success, 2 for a bad query.",
    )
]
