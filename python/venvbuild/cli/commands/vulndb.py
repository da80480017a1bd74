"""`venvbuild vulndb import|status`: the offline vulnerability database in the store."""

from pathlib import Path

from venvbuild._util.console import say
from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.store.options import add_store_arguments, store_from_args
from venvbuild.vuln import vulndb


def add_arguments(parser) -> None:
    import argparse

    from venvbuild.cli.app import _add_verbosity  # -q/-v after the action too, as after any command

    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    imp = sub.add_parser("import", help="import OSV records: JSON files, folders of them, or OSV's PyPI all.zip")
    imp.add_argument("paths", nargs="+", metavar="PATH", type=Path, help="an OSV JSON file, a folder, or a zip")
    add_json_option(imp, "print the import as one JSON object")
    add_store_arguments(imp, required=False)
    _add_verbosity(imp, argparse.SUPPRESS)
    status = sub.add_parser("status", help="show the current snapshot: its id, when it was imported, how many advisories")
    add_json_option(status, "print the status as one JSON object")
    add_store_arguments(status, required=False)
    _add_verbosity(status, argparse.SUPPRESS)


def run(args) -> int:
    store = store_from_args(args)
    if args.action == "import":
        done = vulndb.import_paths(store, args.paths)
        if args.json:
            print_json(done.as_json())
        else:
            say(f"vulndb: {'stored' if done.created else 'already held'} snapshot {done.snapshot}")
            echo(
                f"imported {done.advisories} PyPI advisories ({done.withdrawn} withdrawn, {done.skipped} skipped) "
                f"as snapshot {done.snapshot[:16]}"
            )
        return 0
    record = vulndb.current(store)
    if args.json:
        print_json(
            {
                "snapshot": record and record["snapshot"],
                "imported_at": record and record.get("imported_at"),
                "advisories": record and record.get("advisories"),
                "withdrawn": record and record.get("withdrawn"),
                "imports": len(vulndb.imports(store)),
            }
        )
        return 0 if record else 1
    if record is None:
        echo("no vulnerability database in this store; import one with `venvbuild vulndb import`")
        return 1
    echo(
        f"snapshot {record['snapshot']}\nimported_at {record.get('imported_at')}\n"
        f"advisories {record.get('advisories')} ({record.get('withdrawn')} withdrawn)",
        lines=True,
    )
    return 0


COMMANDS = [
    Command(
        "vulndb",
        "Import OSV advisories into the store's offline vulnerability database, or show its status.",
        add_arguments,
        run,
        details="`vulndb import PATH...` keeps the records of PyPI packages, skips malformed ones with one warning "
        "each, and stores them as a snapshot named by its content (create-only); the newest import is the "
        "current snapshot. No network: fetch https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip "
        "yourself.\n"
        "Exit 0 when done, 1 for `status` of a store without a database, 2 for a bad PATH, 6 when the store fails.",
    )
]
