"""`venvbuild audit`: which published builds install a package version an advisory of the store's offline
vulnerability database affects."""

import sys
from datetime import datetime, timezone

from venvbuild._util.console import say
from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.errors import StoreError, UsageError
from venvbuild.query import output
from venvbuild.store import stored_builds
from venvbuild.store.options import add_store_arguments, store_from_args
from venvbuild.vuln import audit, findings, vulndb

HEADERS = ("VERSION", "ENV", "PACKAGE", "INSTALLED", "ID", "FIXED", "SEVERITY", "SUMMARY")


def add_arguments(parser) -> None:
    parser.add_argument("versions", nargs="*", metavar="VERSION", help="builds to audit, venv_YYYYMMDD_HHMMSS")
    parser.add_argument("--env-name", metavar="NAME", help="audit the builds of this environment name")
    parser.add_argument("--latest", action="store_true", help="with --env-name: only its newest build")
    parser.add_argument("--all", action="store_true", help="audit every published build")
    parser.add_argument("--ignore-file", metavar="FILE", help='ignores: JSON {"ignore": [{id, reason, package?, expires?}]}')
    parser.add_argument(
        "--new-since", metavar="SNAPSHOT", help="only findings the current snapshot has and SNAPSHOT (an earlier one) had not"
    )
    parser.add_argument(
        "--publish", action="store_true", help="with --all: store one findings record per build for the current snapshot"
    )
    add_json_option(parser, "print the audit as one JSON object")
    add_store_arguments(parser, required=False)


def _selected(store, args) -> list:
    chosen = [bool(args.versions), args.env_name is not None, args.all]
    if sum(chosen) != 1:
        raise UsageError("name the builds to audit: VERSION..., --env-name NAME or --all (one of them)")
    if args.latest and args.env_name is None:
        raise UsageError("--latest needs --env-name")
    if args.publish and not args.all:
        raise UsageError("--publish needs --all")
    if args.versions:
        return [stored_builds.read_build(store, v) for v in dict.fromkeys(args.versions)]

    def damaged(exc: StoreError) -> None:
        say(f"warning: skipped a damaged record: {exc}")

    records = [meta for meta, _ in stored_builds.records_with_digests(store, damaged=damaged)]
    if args.env_name is not None:
        records = [r for r in records if r.get("env_name") == args.env_name]
        if not records:
            raise UsageError(f"--env-name {args.env_name}: no published build of that name")
        if args.latest:
            records = records[-1:]
    return records


def run(args) -> int:
    store = store_from_args(args)
    ignores = audit.read_ignores(args.ignore_file) if args.ignore_file else []
    today = datetime.now(timezone.utc).date().isoformat()
    for ignore in audit.expired(ignores, today):
        say(
            f"warning: --ignore-file {args.ignore_file}: the ignore of {ignore.id} expired on {ignore.expires}; "
            "its findings count again"
        )
    records = _selected(store, args)
    current, advisories = vulndb.load_current(store)
    database = audit.Database(advisories, current["snapshot"])
    found = [f for record in records for f in database.audit(record)]
    since = None
    if args.new_since:
        since = vulndb.resolve(store, args.new_since, "--new-since")
        older = audit.Database(vulndb.load(store, since), since)
        found = audit.new_since([f for record in records for f in older.audit(record)], found)
    if args.publish:
        written = findings.publish(store, database, records)
        say(f"audit: {written} findings record(s) stored for snapshot {database.snapshot[:16]}")
    found = audit.apply_ignores(found, ignores, today)
    counted = [f for f in found if f.ignored is None]
    if args.json:
        print_json(
            {
                "snapshot": current["snapshot"],
                "new_since": since,
                "builds_audited": len(records),
                "affected_builds": len({f.venv_version for f in counted}),
                "findings": [f.as_json() for f in found],
            }
        )
    elif found:
        rows = [
            (
                f.venv_version,
                f.env_name,
                f.package,
                f.installed_version,
                f.id + (" (ignored)" if f.ignored else ""),
                ",".join(f.fixed_versions) or "-",
                ",".join(f.severity) or "-",
                f.summary,
            )
            for f in found
        ]
        echo(output.table(HEADERS, rows), lines=True)
    else:
        echo(f"venvbuild: no finding in {len(records)} build(s) against snapshot {current['snapshot'][:16]}", file=sys.stderr)
    return 1 if counted else 0


COMMANDS = [
    Command(
        "audit",
        "Report which published builds install package versions that known vulnerabilities affect.",
        add_arguments,
        run,
        details="Against the store's current vulnerability database (`venvbuild vulndb import`), offline. One finding "
        "per build, package and vulnerability: the records of one vulnerability (GHSA, PYSEC, CVE ids naming each "
        "other) merged. Ignored findings are printed marked ignored and do not count.\n"
        "Exit 0 when nothing is found, 1 when something is, 2 for bad usage, an unknown version or a store without "
        "a database, 6 when the store fails or holds a damaged snapshot.",
    )
]
