"""`venvbuild diff A B`: what changed between two published builds."""

import json

from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option
from venvbuild.query import build_diff
from venvbuild.store import stored_builds
from venvbuild.store.options import add_store_arguments, store_from_args


def add_arguments(parser) -> None:
    parser.add_argument("old", metavar="A", help="the earlier build, venv_YYYYMMDD_HHMMSS")
    parser.add_argument("new", metavar="B", help="the later build, venv_YYYYMMDD_HHMMSS")
    shape = parser.add_mutually_exclusive_group()
    add_json_option(shape, "print the differences as one JSON object")
    shape.add_argument("--markdown", action="store_true", help="print the differences as Markdown tables")
    add_store_arguments(parser, required=False)


def run(args) -> int:
    store = store_from_args(args)
    old = stored_builds.read_build(store, args.old, "A")
    new = stored_builds.read_build(store, args.new, "B")
    diff = build_diff.compare(old, new)
    vulns = _vulnerabilities(store, old, new)
    if args.json:
        document = diff.as_dict()
        if vulns is not None:
            document["vulnerabilities"] = vulns
        print(json.dumps(document))
    elif args.markdown:
        echo(build_diff.as_markdown(diff), lines=True, end="")
        if vulns is not None and (vulns["fixed"] or vulns["introduced"]):
            rows = [("fixed", f) for f in vulns["fixed"]] + [("introduced", f) for f in vulns["introduced"]]
            table = ["| vulnerability | id | package | version |", "| --- | --- | --- | --- |"]
            table += [f"| {kind} | {_md(f['id'])} | {_md(f['package'])} | {_md(f['installed_version'])} |" for kind, f in rows]
            echo("\n".join(table) + "\n", lines=True, end="")
    else:
        echo(build_diff.as_text(diff), lines=True)
        if vulns is not None:
            lines = [f"vulnerability fixed: {f['id']} {f['package']} {f['installed_version']}" for f in vulns["fixed"]]
            lines += [f"vulnerability introduced: {f['id']} {f['package']} {f['installed_version']}" for f in vulns["introduced"]]
            if lines:
                echo("\n".join(lines), lines=True)
    return 0 if diff.same_packages else 1


def _md(text: str) -> str:
    return build_diff._md(text)


def _vulnerabilities(store, old: dict, new: dict) -> dict | None:
    """The vulnerabilities fixed and introduced from old to new, against the store's current snapshot; None without one."""
    from venvbuild.vuln import audit, vulndb

    current = vulndb.current(store)
    if current is None:
        return None
    database = audit.Database(vulndb.load(store, current["snapshot"]), current["snapshot"])
    fixed, introduced = audit.compare(database.audit(old), database.audit(new))
    keep = ("id", "aliases", "package", "installed_version", "fixed_versions", "severity", "summary")
    return {
        "snapshot": current["snapshot"],
        "fixed": [{k: f.as_json()[k] for k in keep} for f in fixed],
        "introduced": [{k: f.as_json()[k] for k in keep} for f in introduced],
    }


COMMANDS = [
    Command(
        "diff",
        "Show what changed between two published builds: packages, Python, platform, installer, conflicts.",
        add_arguments,
        run,
        details="Packages are matched by PEP 503 name; upgraded and downgraded follow PEP 440 order.\n"
        "A package a record lists more than once (six==1.16.0 and Six==1.17.0) is reported as a duplicate, "
        "its first pin compared.\n"
        "Exit 0 when both builds have the same installed packages, 1 when they differ (as diff does) or a "
        "package is listed twice, 2 for an unknown version, 6 when the store fails or holds a damaged record.",
    )
]
