"""`venvbuild catalog --store ... --out DIR`: a static site to browse and search a store's builds."""

from pathlib import Path

from venvbuild.catalog.generate import generate
from venvbuild.catalog.s3_site import S3Site
from venvbuild.catalog.site import LocalSite
from venvbuild.cli.command import Command, add_json_option, print_json
from venvbuild.errors import UsageError
from venvbuild.store import default_store, open_store
from venvbuild.store.options import add_store_arguments, store_from_args
from venvbuild.store.s3 import S3Store


def add_arguments(parser) -> None:
    parser.add_argument(
        "--out",
        required=True,
        metavar="DIR|s3://BUCKET/PREFIX",
        help="the site's folder (created, or a catalog to update), or an S3 prefix (the S3 options "
        "below apply to both the store and this bucket)",
    )
    add_store_arguments(parser, required=False)
    add_json_option(parser, "print the site's location and how many builds and files it has as one JSON object")


def run(args) -> int:
    spec = args.store if args.store is not None else default_store()
    # The S3 options serve whichever side is in S3; with both in folders, store_from_args refuses them.
    store = open_store(spec) if args.out.startswith("s3://") and not spec.startswith("s3://") else store_from_args(args)
    target: S3Site | LocalSite
    if args.out.startswith("s3://"):
        bucket, _, prefix = args.out[len("s3://") :].partition("/")
        if not prefix.strip("/"):
            raise UsageError(f"--out {args.out}: give s3://BUCKET/PREFIX, the prefix the site goes under")
        target = S3Site(
            S3Store(
                bucket,
                prefix.rstrip("/"),
                region=args.region,
                endpoint_url=args.endpoint_url,
                sse=args.sse,
                kms_key_id=args.kms_key_id,
                checksum_when_required=args.checksum_when_required,
            )
        )
    else:
        target = LocalSite(Path(args.out))
    counts = generate(store, spec, target)
    if args.json:
        print_json({"out": args.out, **counts})
    return 0


COMMANDS = [
    Command(
        "catalog",
        "Write a static site of the store's builds: an index with search, a page per build and per package.",
        add_arguments,
        run,
        details="The site works from a folder (file://), any web server, an S3 static website or Jenkins' "
        "HTML publisher; nothing is fetched at view time.\nRegenerating rewrites only what changed; the new "
        "site is swapped in whole, so a failure leaves the old one as it was.\nA non-empty --out that the "
        "catalog did not write is refused (exit 2).\nA damaged record (or pipdeptree.json) is left out with one "
        "warning naming it, and the rest is built (exit 0); a store that cannot be read is exit 6.\nNothing a "
        "build stored is served as it is: the dependency graph is drawn from pipdeptree.json, and every page "
        "has a\nContent-Security-Policy; behind CloudFront, add it and X-Content-Type-Options: nosniff as "
        "response headers.",
    )
]
