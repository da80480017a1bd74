"""The Athena table over the search records, from the template resources/venvbuild/athena_ddl.sql.

The table's LOCATION is the store's metadata prefix only (`<prefix>-metadata/`), never the builds'
prefix: Athena reads every object under LOCATION, and the tarballs are not JSON records.
"""

import datetime
from string import Template

from venvbuild import naming
from venvbuild.errors import UsageError
from venvbuild.resources import read_text
from venvbuild.store.s3 import S3Store

TEMPLATE = "athena_ddl.sql"
TAGS_TEMPLATE = "athena_tags_ddl.sql"
DEFAULT_TABLE = "venv_builds_metadata"
DEFAULT_TAGS_TABLE = "venv_build_tags"
DEFAULT_SINCE = "2020-01-01"


def render(bucket: str, prefix: str, database=None, table: str = DEFAULT_TABLE, since: str = DEFAULT_SINCE) -> str:
    naming.check("bucket", bucket, "--bucket")
    naming.check("prefix", prefix, "--prefix")
    naming.check("athena_name", table, "--table")
    if database is not None:
        naming.check("athena_name", database, "--database")
    since = naming.day(since, "--since")
    if since > datetime.datetime.now(datetime.timezone.utc).date().isoformat():
        raise UsageError(f"--since {since} is in the future: the projection runs from it to today")
    store = S3Store(bucket, prefix)  # the layout only; no S3 client is made
    return Template(read_text(TEMPLATE)).substitute(
        table=f"{database}.{table}" if database else table,
        location=store.url(store.metadata_prefix() + "/"),
        since=since,
    )


def render_tags(bucket: str, prefix: str, database=None, table: str = DEFAULT_TAGS_TABLE) -> str:
    """The tag events' table (venvbuild.tags): one row per event, over `<prefix>-tags/` only. The tag's
    current build is its highest `sequence` per (env_name, tag), when that event's action is 'add'."""
    naming.check("bucket", bucket, "--bucket")
    naming.check("prefix", prefix, "--prefix")
    naming.check("athena_name", table, "--table")
    if database is not None:
        naming.check("athena_name", database, "--database")
    from venvbuild import tags

    store = S3Store(bucket, prefix)
    return Template(read_text(TAGS_TEMPLATE)).substitute(
        table=f"{database}.{table}" if database else table, location=store.url(tags.prefix(store)),
    )
