"""`venvbuild catalog --store ... --out DIR`: a static site to browse and search a store's builds."""

from pathlib import Path

from venvbuild.catalog.generate import generate
from venvbuild.errors import UsageError
from venvbuild.store import default_store
from venvbuild.store.options import add_store_arguments, store_from_args

HELP = "write a static site of the store's builds: an index with search, a page per build and per package"


def add_arguments(parser) -> None:
    parser.description = (
        f"{HELP}.\n\nThe site works from a folder (file://), any web server, an S3 static website or Jenkins' "
        "HTML publisher; nothing is fetched at view time.\nRegenerating rewrites only what changed; the new "
        "site is swapped in whole, so a failure leaves the old one as it was.\nA non-empty --out that the "
        "catalog did not write is refused (exit 2); a damaged record in the store is exit 6."
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="the site's folder (created, or a catalog to update)")
    add_store_arguments(parser, required=False)


def run(args) -> int:
    if args.out.startswith("s3://"):
        raise UsageError(f"--out {args.out}: write the catalog to a folder, then copy it to the bucket "
                         "(aws s3 sync DIR s3://BUCKET/PREFIX --delete)")
    generate(store_from_args(args), args.store if args.store is not None else default_store(), Path(args.out))
    return 0
