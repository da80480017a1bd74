"""The local backend: `venvbuild search` and `venvbuild sql` over a store folder, through its index."""

import json
from pathlib import Path

from venvbuild._util.console import say
from venvbuild._util.resources import read_text
from venvbuild.errors import UsageError
from venvbuild.query import engine, local_index, sqlparams
from venvbuild.store import default_store, layout
from venvbuild.store.local import LocalStore

STORE_HELP = "the store folder (default: $VENVBUILD_STORE, else ./venvbuild-store)"


def metadata_root(store_dir=None) -> Path:
    """The folder of the store's search records; the store folder itself must exist."""
    store_dir = store_dir or default_store()
    if store_dir.startswith("s3://"):
        raise UsageError(f"--store {store_dir}: search an S3 store through its Athena table, with --athena")
    if not Path(store_dir).expanduser().is_dir():
        raise UsageError(f"--store {store_dir}: no such folder (give --store DIR or set $VENVBUILD_STORE)")
    return records_folder(LocalStore(store_dir))


def records_folder(store: LocalStore) -> Path:
    return store.root.joinpath(*layout.metadata_prefix(store).split("/"))


def connect(store_dir=None, reindex: bool = False):
    return local_index.connect(metadata_root(store_dir), reindex=reindex)


def query(store_dir, reindex: bool, run):
    """run(connection) over the store's index. An index found damaged only while reading it (a corrupt
    block) is built again, once, and run again."""
    return _query(metadata_root(store_dir), reindex, run)


def _query(root: Path, reindex: bool, run):
    con = local_index.connect(root, reindex=reindex)
    try:
        return run(con)
    except engine.duckdb().Error as exc:
        if not local_index.is_damage(exc):
            raise
        say(f"note: rebuilding the search index: {engine.one_line(exc)}")
    finally:
        con.close()
    con = local_index.connect(root, reindex=True)
    try:
        return run(con)
    finally:
        con.close()


def newest_versions_by_python(store: LocalStore, env_name: str) -> dict:
    """python_version -> the venv_version of env_name's newest build for it, from the store's search index."""

    def run(con):
        rows = con.execute(
            "SELECT python_version, venv_version FROM records WHERE env_name = $env ORDER BY created_at DESC, venv_version DESC",
            {"env": env_name},
        ).fetchall()
        newest: dict = {}
        for python_version, version in rows:
            newest.setdefault(python_version, version)
        return newest

    return _query(records_folder(store), False, run)


def candidates(con, criteria) -> list:
    """Rows (matching.ROW_COLUMNS) of the builds holding every requested name, newest first."""
    sql, parameters = sqlparams.named(read_text("sql/search_local.sql"), criteria.sql_parameters())
    return con.execute(sql, parameters).fetchall()


def tagged_builds(store_dir, tag_names, env_name=None) -> set:
    """(env name, version) of the builds the current tags tag_names point at, from the store's tag events."""
    from venvbuild.lifecycle import tags

    for name in tag_names:
        tags.check_tag(name, "--tag")
    return tags.tagged_builds(LocalStore(store_dir or default_store()), tag_names, env_name)


def tagged(con, criteria, builds: set) -> list:
    """candidates() narrowed to builds, (env name, version) pairs; without SPECs, every build among them
    (all its packages)."""
    if criteria.specs:
        rows = candidates(con, criteria)
    elif not builds:
        return []
    else:
        values = {**criteria.sql_parameters(), "versions": sorted(v for _, v in builds)}
        sql, parameters = sqlparams.named(read_text("sql/search_local_tagged.sql"), values)
        rows = con.execute(sql, parameters).fetchall()
    return [row for row in rows if (row[1], row[0]) in builds]  # ROW_COLUMNS: venv_version, env_name, ...


def run_sql(con, query: str):
    """Run a user's query with no access to files or settings beyond the index: (column names, rows)."""
    duckdb = engine.duckdb()
    if not query.strip():
        raise UsageError("QUERY is empty")
    con.execute("SET enable_external_access = false")
    _speak_athena(con)
    con.execute("SET lock_configuration = true")
    try:
        result = con.execute(query)
        description = (result.description if result is not None else None) or ()
        rows = result.fetchall() if description else []
    except duckdb.Error as exc:
        if local_index.is_damage(exc) and not isinstance(exc, duckdb.IOException):
            raise  # the index, not the query: query() builds it again
        raise UsageError(f"QUERY: {engine.one_line(exc)}") from None
    # DuckDB hands JSON columns (conflict_details) over as text; give them back as values.
    json_columns = [i for i, d in enumerate(description) if str(d[1]) == "JSON"]
    if json_columns:
        rows = [tuple(_json_value(v) if i in json_columns else v for i, v in enumerate(row)) for row in rows]
    return [d[0] for d in description], rows


# Trino's (Athena's) array predicates over DuckDB's list_filter, so a query pasted from Athena runs here.
_ATHENA_MACROS = {
    "any_match": "len(list_filter(l, f)) > 0",
    "all_match": "len(list_filter(l, f)) = len(l)",
    "none_match": "len(list_filter(l, f)) = 0",
}


def _speak_athena(con) -> None:
    """Accept Athena's forms: `x -> ...` lambdas and any_match/all_match/none_match (CROSS JOIN UNNEST is native)."""
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")  # DuckDB 1.3+ otherwise refuses `pkg -> ...`
    for name, body in _ATHENA_MACROS.items():
        con.execute(f"CREATE OR REPLACE TEMP MACRO {name}(l, f) AS {body}")


def _json_value(text):
    return None if text is None else json.loads(text)
