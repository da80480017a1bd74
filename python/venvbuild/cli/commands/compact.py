"""`venvbuild compact --store ... [--before YYYY-MM-DD]`: fold each past day's search records into one object."""

from datetime import date, datetime, timedelta, timezone

from venvbuild import naming
from venvbuild._util.console import say
from venvbuild._util.terminal import echo
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.errors import OK, StoreError
from venvbuild.lifecycle import compaction, maintenance_lease, retention
from venvbuild.store.options import add_store_arguments, store_from_args

SETTLE_DAYS = 2  # a build started before midnight publishes after it: leave the last two days alone


def add_arguments(parser) -> None:
    add_store_arguments(parser, required=False)
    parser.add_argument(
        "--before", metavar="YYYY-MM-DD", help=f"compact the days before this one (default: {SETTLE_DAYS} days before today, UTC)"
    )
    add_json_option(parser, "print each day's outcome and the totals as one JSON object (the day lines go to stderr)")


def default_before(today=None) -> date:
    return (today or datetime.now(timezone.utc).date()) - timedelta(days=SETTLE_DAYS)


def run(args) -> int:
    before = date.fromisoformat(naming.day(args.before, "--before")) if args.before else default_before()
    store = store_from_args(args)
    with maintenance_lease.held(store, "compact"):
        results = compaction.compact(
            store, before, say if args.json else echo, lambda: frozenset(b.venv_version for b in retention.tombstones(store))
        )
    done = [r for r in results if not r.left and r.skipped is None]
    folded = sum(len(r.read) for r in done)
    records = sum(r.records for r in done)
    if args.json:
        print_json(
            {
                "before": before.isoformat(),
                "store": store.describe(),
                "days": [
                    {
                        "day": r.day,
                        "records": r.records,
                        "objects": len(r.read),
                        "written": r.written,
                        "left": r.left,
                        "skipped": r.skipped,
                    }
                    for r in results
                ],
                "compacted": len(done),
                "records": records,
                "objects": folded,
            }
        )
    else:
        echo(
            f"{len(done)} day(s) before {before.isoformat()} compacted in {store.describe()}: "
            f"{records} record(s), {folded} object(s) folded"
        )
    skipped = [r.day for r in results if r.skipped is not None]
    if skipped:
        raise StoreError(
            f"{len(skipped)} day(s) not compacted (said above why, each left as it is): "
            + ", ".join(f"dt={day}" for day in skipped)
        )
    return OK


COMMANDS = [
    Command(
        "compact",
        "Fold each past day's search records into one JSON-lines object, so Athena reads one object a day.",
        add_arguments,
        run,
        details="Publish writes one object per build; days before --before only. The new object is stored and "
        "checked before the records it holds are deleted, so an interrupted run loses nothing and the next "
        "one finishes it. Deletes: it needs the collector's rights.",
    )
]
