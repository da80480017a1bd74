"""A DuckDB index of a local store's search records, kept beside them and refreshed incrementally.

`<prefix>-metadata/_index/search.duckdb` holds every record (table `records`, view
`venv_builds_metadata`) and one row per installed package with its PEP 503 normalised name (table
`packages`), so a search over 100,000 builds reads one file instead of 100,000.

Freshness: each `dt=` partition's folder mtime is remembered. Records are created (publish links them
into place) or removed, never rewritten, and either changes the folder's mtime, so a search stats the
partition folders, lists only those whose mtime moved, and reads only the records it has not indexed
(or the whole partition again when one disappeared). A partition modified within RACY_NS of being
listed is listed again next time, in case a record landed in the same mtime tick. `--reindex`
rebuilds from scratch. A store the index cannot be written to gets the same index in memory.
"""

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

from packaging.utils import canonicalize_name

from venvbuild.console import say
from venvbuild.errors import StoreError
from venvbuild.search import engine, partitions, record_columns

INDEX_DIR = "_index"  # Athena and Glue skip names starting with '_' should the folder be synced to S3
INDEX_FILE = "search.duckdb"
RACY_NS = 2_000_000_000  # mtime granularity can reach 1-2 s (NFS, FAT); ext4 and tmpfs are finer
LOCK_WAIT_S = 120.0  # a first index of 100,000 records takes ~10 s; waiting beats building it again in memory
_NOTE_AFTER_S = 1.0
_NOTE_FROM_RECORDS = 1000
_FORMAT_VERSION = "2"  # 2: the venv_build_packages view


def index_path(metadata_root: Path) -> Path:
    return Path(metadata_root) / INDEX_DIR / INDEX_FILE


def connect(metadata_root: Path, reindex: bool = False):
    """A DuckDB connection with every record of the store indexed; read-only unless held in memory."""
    duckdb = engine.duckdb()
    if not Path(metadata_root).is_dir():  # nothing published yet: an empty index, nothing to keep
        con = duckdb.connect(":memory:")
        _create_schema(con)
        return con
    path = index_path(metadata_root)
    on_disk = partitions.scan(metadata_root)
    if reindex:
        _remove(path)
    elif path.exists():
        try:
            con = _connect(duckdb, path, read_only=True)
        except duckdb.Error as exc:
            if _is_lock_error(exc):
                return _in_memory(duckdb, metadata_root, f"the index is locked by another search ({engine.one_line(exc)})")
            try:
                _remove(path)  # not a DuckDB file any more: it is only a cache, build it again
            except StoreError as removal:
                return _in_memory(duckdb, metadata_root, str(removal))
        else:
            if _current_format(con) == _format() and not _stale(con, on_disk):
                return con
            con.close()
    try:
        path.parent.mkdir(exist_ok=True)
        con = _connect(duckdb, path, read_only=False)
    except (OSError, duckdb.Error) as exc:
        return _in_memory(duckdb, metadata_root, f"cannot write {path} ({engine.one_line(exc)})")
    try:
        if _current_format(con) != _format():
            _create_schema(con, drop_first=True)
        refresh(con, metadata_root)
    finally:
        con.close()
    return _connect(duckdb, path, read_only=True)


def refresh(con, metadata_root: Path) -> None:
    """Bring the index in step with the partitions on disk, in one transaction."""
    on_disk = partitions.scan(metadata_root)
    known = dict(con.execute("SELECT dt, mtime_ns FROM partitions WHERE settled").fetchall())
    indexed = {dt for (dt,) in con.execute("SELECT dt FROM partitions").fetchall()}
    con.execute("BEGIN TRANSACTION")
    try:
        for dt in indexed - set(on_disk):
            _drop_partition(con, dt)
        batch, listed = {}, []
        for dt, part in sorted(on_disk.items()):
            if known.get(dt) == part.mtime_ns:
                continue
            listing_started = time.time_ns()
            names = partitions.record_names(part)
            have = {n for (n,) in con.execute("SELECT name FROM record_files WHERE dt = $dt", {"dt": dt}).fetchall()}
            if not have <= names:  # a record was removed: read the partition again
                _drop_partition(con, dt)
                have = set()
            if names - have:
                batch[dt] = [part.path / n for n in sorted(names - have)]
            listed.append((dt, part.mtime_ns, listing_started - part.mtime_ns > RACY_NS))
        _load(con, batch)
        for dt, mtime_ns, settled in listed:
            con.execute("DELETE FROM partitions WHERE dt = $dt", {"dt": dt})
            con.execute("INSERT INTO partitions VALUES ($dt, $m, $s)", {"dt": dt, "m": mtime_ns, "s": settled})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _stale(con, on_disk: dict) -> bool:
    known = dict(con.execute("SELECT dt, mtime_ns FROM partitions WHERE settled").fetchall())
    count = con.execute("SELECT count(*) FROM partitions").fetchone()[0]
    return count != len(on_disk) or any(known.get(dt) != p.mtime_ns for dt, p in on_disk.items())


def _load(con, batch: dict) -> None:
    """Index the records in batch (dt -> [record paths]): one read_json over one file per partition."""
    if not batch:
        return
    count = sum(len(paths) for paths in batch.values())
    if count >= _NOTE_FROM_RECORDS:
        say(f"note: indexing {count:,} new search records (once; later searches read the index)")
    first_id = con.execute("SELECT coalesce(max(record_id), 0) + 1 FROM records").fetchone()[0]
    columns = record_columns.columns()
    names = ", ".join(_quote(n) for n, _ in columns)
    types = "{" + ", ".join(f"{_quote(n)}: '{t}'" for n, t in columns) + "}"
    with tempfile.TemporaryDirectory(prefix="venvbuild-index-") as tmp:
        for dt, paths in batch.items():
            read = _concatenate(paths, Path(tmp, f"dt={dt}", "records.json"))
            con.execute("INSERT INTO record_files SELECT $dt, unnest($names)", {"dt": dt, "names": read})
        source = Path(tmp, "*", "records.json").as_posix()
        try:
            con.execute(
                f"INSERT INTO records SELECT $first - 1 + row_number() OVER (), dt, {names} "
                f"FROM read_json($source, format='unstructured', hive_partitioning=true, "
                f"hive_types={{'dt': 'VARCHAR'}}, columns={types})",
                {"first": first_id, "source": source},
            )
        except engine.duckdb().Error as exc:
            raise StoreError(_unreadable(batch) or f"cannot index the search records: {engine.one_line(exc)}") from None
    _index_packages(con, first_id)


def _index_packages(con, first_id: int) -> None:
    new_packages = (
        "SELECT record_id, split_part(pkg, '==', 1) AS name, split_part(pkg, '==', 2) AS version "
        "FROM (SELECT record_id, unnest(installed_packages) AS pkg FROM records WHERE record_id >= $first)"
    )
    unseen = con.execute(
        f"SELECT DISTINCT name FROM ({new_packages}) WHERE name NOT IN (SELECT name FROM names)",
        {"first": first_id},
    ).fetchall()
    if unseen:
        raw = [n for (n,) in unseen]
        con.execute(
            "INSERT INTO names SELECT unnest($raw), unnest($normalised)",
            {"raw": raw, "normalised": [canonicalize_name(n) for n in raw]},
        )
    con.execute(
        f"INSERT INTO packages SELECT p.record_id, n.name_normalised, p.name, p.version "
        f"FROM ({new_packages}) AS p JOIN names AS n USING (name)",
        {"first": first_id},
    )


def _concatenate(paths, target: Path) -> list:
    """Copy the records into one file; returns the names read (a record removed meanwhile is skipped)."""
    target.parent.mkdir(parents=True)
    read = []
    with open(target, "wb") as out:
        for path in paths:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            out.write(data if data.endswith(b"\n") else data + b"\n")
            read.append(path.name)
    return read


def _unreadable(batch: dict):
    """Name the first record DuckDB could not read, for the error message."""
    for paths in batch.values():
        for path in paths:
            try:
                record = json.loads(path.read_bytes())
            except FileNotFoundError:
                continue
            except ValueError as exc:
                return f"search record {path} is not valid JSON: {exc}"
            if not isinstance(record, dict):
                return f"search record {path} is not a JSON object"
    return None


def _drop_partition(con, dt: str) -> None:
    con.execute(
        "DELETE FROM packages WHERE record_id IN (SELECT record_id FROM records WHERE dt = $dt)", {"dt": dt}
    )
    con.execute("DELETE FROM records WHERE dt = $dt", {"dt": dt})
    con.execute("DELETE FROM record_files WHERE dt = $dt", {"dt": dt})
    con.execute("DELETE FROM partitions WHERE dt = $dt", {"dt": dt})


def _create_schema(con, drop_first: bool = False) -> None:
    if drop_first:
        for view in ("venv_builds_metadata", "venv_build_packages"):
            con.execute(f"DROP VIEW IF EXISTS {view}")
        for table in ("index_info", "partitions", "record_files", "records", "names", "packages"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    columns = record_columns.columns()
    definitions = ", ".join(f"{_quote(n)} {t}" for n, t in columns)
    con.execute("CREATE TABLE partitions (dt VARCHAR, mtime_ns BIGINT, settled BOOLEAN)")
    con.execute("CREATE TABLE record_files (dt VARCHAR, name VARCHAR)")
    con.execute(f"CREATE TABLE records (record_id BIGINT, dt VARCHAR, {definitions})")
    con.execute("CREATE TABLE names (name VARCHAR, name_normalised VARCHAR)")
    con.execute("CREATE TABLE packages (record_id BIGINT, name_normalised VARCHAR, name VARCHAR, version VARCHAR)")
    # The design's table for `venvbuild sql`: its columns, then the extras, then the partition.
    con.execute(
        f"CREATE VIEW venv_builds_metadata AS SELECT {', '.join(_quote(n) for n, _ in columns)}, dt FROM records"
    )
    # Athena's view of the same name (resources/venvbuild/sql/packages_view.sql), from the packages table.
    con.execute(
        "CREATE VIEW venv_build_packages AS SELECT r.venv_version, r.env_name, r.created_at, r.python_version, "
        "r.is_conflict_free, r.venv_archive, p.name_normalised AS package, p.name AS package_name, p.version, r.dt "
        "FROM packages AS p JOIN records AS r USING (record_id)"
    )
    con.execute("CREATE TABLE index_info (format VARCHAR)")
    con.execute("INSERT INTO index_info VALUES ($f)", {"f": _format()})


def _format() -> str:
    """Changes when the index's layout or the record columns do, forcing a rebuild."""
    described = json.dumps([_FORMAT_VERSION, record_columns.columns()])
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def _current_format(con):
    try:
        row = con.execute("SELECT format FROM index_info").fetchone()
    except engine.duckdb().Error:
        return None
    return row[0] if row else None




def _in_memory(duckdb, metadata_root: Path, why: str):
    say(f"note: indexing the store in memory: {why}")
    con = duckdb.connect(":memory:")
    _create_schema(con)
    refresh(con, metadata_root)
    return con


def _connect(duckdb, path: Path, read_only: bool):
    """Open the index, waiting a while for another process's lock (DuckDB allows one writer process)."""
    started = time.monotonic()
    delay = 0.02
    noted = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            waited = time.monotonic() - started
            if not _is_lock_error(exc) or waited > LOCK_WAIT_S:
                raise
            if waited > _NOTE_AFTER_S and not noted:
                say(f"note: waiting for another search to finish updating {path}")
                noted = True
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _is_lock_error(exc) -> bool:
    return "lock" in str(exc).lower()


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            os.unlink(candidate)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreError(f"cannot remove the search index {candidate}: {exc.strerror or exc}") from None


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
