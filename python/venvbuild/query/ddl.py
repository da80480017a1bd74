"""The table over the search records and its packages view, for Athena (or Trino), from templates.

resources/venvbuild/athena_ddl.sql (Hive DDL, what Athena's CREATE EXTERNAL TABLE takes) and
trino_ddl.sql (the Hive connector's CREATE TABLE on Trino, the engine under Athena engine 3) get
their columns from one list, metadata_columns, so a field added to the metadata schema reaches
both or neither. Both are followed by the same view, sql/packages_view.sql.

The table's LOCATION is the store's metadata prefix only (`<prefix>-metadata/`), never the builds'
prefix: Athena reads every object under LOCATION, and the tarballs are not JSON records.
"""

import datetime
from string import Template

from venvbuild import naming
from venvbuild._util.resources import load_json, read_text
from venvbuild.errors import UsageError
from venvbuild.query.sqlparams import without_comments
from venvbuild.record import metadata_columns
from venvbuild.store import layout
from venvbuild.store.s3 import S3Store

ENGINES = ("athena", "trino")
DEFAULT_TABLE = "venv_builds_metadata"
DEFAULT_VIEW = "venv_build_packages"
TAG_EVENT_SCHEMA = "tag_event.schema.json"
DEFAULT_TAGS_TABLE = "venv_build_tags"
DEFAULT_SINCE = "2020-01-01"
_TABLE_TEMPLATES = {"athena": "athena_ddl.sql", "trino": "trino_ddl.sql"}
_TAGS_TEMPLATES = {"athena": "athena_tags_ddl.sql", "trino": "trino_tags_ddl.sql"}
_VIEW_TEMPLATE = "sql/packages_view.sql"
FINDING_SCHEMA = "finding.schema.json"
DEFAULT_FINDINGS_TABLE = "venv_build_findings"
_FINDINGS_TEMPLATES = {"athena": "athena_findings_ddl.sql", "trino": "trino_findings_ddl.sql"}


def render(
    bucket: str,
    prefix: str,
    database=None,
    table: str = DEFAULT_TABLE,
    since: str = DEFAULT_SINCE,
    engine: str = "athena",
    view: str = DEFAULT_VIEW,
) -> str:
    """The statements for an S3 store, each ending in ';', separated by a blank line."""
    return joined(store_statements(bucket, prefix, database, table, since, engine, view))


def joined(statements: list) -> str:
    """Statements as a file or console shows them: each ending in ';', separated by a blank line."""
    return "\n".join(s + ";\n" for s in statements)


def store_statements(
    bucket: str,
    prefix: str,
    database=None,
    table: str = DEFAULT_TABLE,
    since: str = DEFAULT_SINCE,
    engine: str = "athena",
    view: str = DEFAULT_VIEW,
) -> list:
    """statements() over the search records of an S3 store."""
    naming.check("bucket", bucket, "--bucket")
    naming.check("prefix", prefix, "--prefix")
    store = S3Store(bucket, prefix)  # the layout only; no S3 client is made
    return statements(store.url(layout.metadata_prefix(store) + "/"), database, table, since, engine, view)


def statements(
    location: str,
    database=None,
    table: str = DEFAULT_TABLE,
    since: str = DEFAULT_SINCE,
    engine: str = "athena",
    view: str = DEFAULT_VIEW,
) -> list:
    """[CREATE TABLE ..., CREATE OR REPLACE VIEW ...] over the records at location (a folder URL ending in '/'),
    each without its closing ';' (what a client that sends one statement takes)."""
    _checked(table, database, engine)
    naming.check("athena_name", view, "--view")
    since = naming.day(since, "--since")
    if since > datetime.datetime.now(datetime.timezone.utc).date().isoformat():
        raise UsageError(f"--since {since} is in the future: the projection runs from it to today")
    qualified = (lambda name: f"{database}.{name}") if database else (lambda name: name)
    table_sql = Template(without_comments(read_text(_TABLE_TEMPLATES[engine]))).substitute(
        table=qualified(table),
        columns=column_definitions(engine),
        location=location,
        since=since,
    )
    view_sql = Template(without_comments(read_text(_VIEW_TEMPLATE))).substitute(
        view=qualified(view),
        table=qualified(table),
    )
    return [table_sql.strip().rstrip(";"), view_sql.strip().rstrip(";")]


def column_definitions(engine: str, columns=None) -> str:
    """The columns (default: the metadata schema's) as `  name type` lines (comma-separated) in the engine's dialect."""
    columns = metadata_columns.columns() if columns is None else columns
    if engine == "athena":
        lines = [f"  {name} {metadata_columns.hive(t)}" for name, t in columns]
    else:
        lines = [f"  {metadata_columns.quote(name)} {metadata_columns.trino(t)}" for name, t in columns]
    return ",\n".join(lines)


def tag_columns() -> list:
    """[(name, SqlType)] of the tag events' table, from tag_event.schema.json (what venvbuild.lifecycle.tags writes)."""
    return metadata_columns.columns(load_json(TAG_EVENT_SCHEMA))


def render_tags(bucket: str, prefix: str, database=None, table: str = DEFAULT_TAGS_TABLE, engine: str = "athena") -> str:
    """The tag events' table (venvbuild.lifecycle.tags) for an S3 store: one row per event, over `<prefix>-tags/` only.
    The tag's current build is its highest `sequence` per (env_name, tag), when that event's action is 'add'."""
    return joined(store_tags_statements(bucket, prefix, database, table, engine))


def store_tags_statements(
    bucket: str, prefix: str, database=None, table: str = DEFAULT_TAGS_TABLE, engine: str = "athena"
) -> list:
    """[tags_statement()] over the tag events of an S3 store."""
    naming.check("bucket", bucket, "--bucket")
    naming.check("prefix", prefix, "--prefix")

    store = S3Store(bucket, prefix)
    return [tags_statement(store.url(layout.tags_prefix(store)), database, table, engine)]


def tags_statement(location: str, database=None, table: str = DEFAULT_TAGS_TABLE, engine: str = "athena") -> str:
    """CREATE TABLE over the tag events at location (a folder URL ending in '/'), without its closing ';'."""
    _checked(table, database, engine)
    sql = Template(without_comments(read_text(_TAGS_TEMPLATES[engine]))).substitute(
        table=f"{database}.{table}" if database else table,
        location=location,
        columns=column_definitions(engine, tag_columns()),
    )
    return sql.strip().rstrip(";")


def finding_columns() -> list:
    """[(name, SqlType)] of the findings' table, from finding.schema.json (what venvbuild.vuln.findings writes)."""
    return metadata_columns.columns(load_json(FINDING_SCHEMA))


def store_findings_statements(
    bucket: str,
    prefix: str,
    database=None,
    table: str = DEFAULT_FINDINGS_TABLE,
    since: str = DEFAULT_SINCE,
    engine: str = "athena",
) -> list:
    """[findings_statement()] over the audit findings of an S3 store."""
    naming.check("bucket", bucket, "--bucket")
    naming.check("prefix", prefix, "--prefix")
    store = S3Store(bucket, prefix)
    return [findings_statement(store.url(layout.findings_root(store)), database, table, since, engine)]


def findings_statement(
    location: str, database=None, table: str = DEFAULT_FINDINGS_TABLE, since: str = DEFAULT_SINCE, engine: str = "athena"
) -> str:
    """CREATE TABLE over the findings at location (a folder URL ending in '/'), partitioned by snapshot_id
    (injected: a query names it) and dt (projected days), without its closing ';'."""
    _checked(table, database, engine)
    since = naming.day(since, "--since")
    sql = Template(without_comments(read_text(_FINDINGS_TEMPLATES[engine]))).substitute(
        table=f"{database}.{table}" if database else table,
        location=location,
        since=since,
        columns=column_definitions(engine, finding_columns()),
    )
    return sql.strip().rstrip(";")


def _checked(table: str, database, engine: str) -> None:
    """The options every table's statement takes, checked."""
    naming.check("athena_name", table, "--table")
    if database is not None:
        naming.check("athena_name", database, "--database")
    if engine not in ENGINES:
        raise UsageError(f"--engine {engine!r} is not one of {', '.join(ENGINES)}")
