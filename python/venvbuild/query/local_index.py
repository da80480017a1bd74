"""A DuckDB index of a local store's search records, kept beside them and refreshed incrementally.

`<prefix>-metadata/_index/search.duckdb` holds every record (table `records`, view
`venv_builds_metadata`) and one row per installed package with its PEP 503 normalised name (table
`packages`), so a search over 100,000 builds reads one file instead of 100,000.

Freshness: each `dt=` partition's folder mtime is remembered. Record files (one record each, or a
compacted day's JSON lines) are created (publish and compact link them into place) or removed, never
rewritten, and either changes the folder's mtime, so a search stats the
partition folders, lists only those whose mtime moved, and reads only the records it has not indexed
(or the whole partition again when one disappeared). A partition modified within RACY_NS of being
listed is listed again next time, in case a record landed in the same mtime tick. `--reindex`
rebuilds from scratch. A store the index cannot be written to gets the same index in memory.

Concurrency: the index file is never written in place. A search that finds it stale or unreadable builds
the next one aside (a copy of it, refreshed, or from scratch), then renames it over the old one, so any
mix of searches and reindexes sees either index whole and never meets a lock: a reader keeps the file it
opened. An index DuckDB cannot read (damaged, truncated, locked by an older venvbuild) is only a cache
and is built again.

Records are checked against metadata.schema.json as they are indexed: one that does not match is left
out, and every search names its file in a warning until it is removed or fixed (then `--reindex`).
"""

import errno
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from packaging.utils import canonicalize_name

from venvbuild._util import atomic
from venvbuild._util.console import say
from venvbuild.query import engine, partitions, record_columns
from venvbuild.record import metadata
from venvbuild.store import layout, local, stored_builds

INDEX_DIR = layout.LOCAL_INDEX_DIR
INDEX_FILE = "search.duckdb"
RACY_NS = 2_000_000_000  # mtime granularity can reach 1-2 s (NFS, FAT); ext4 and tmpfs are finer
_PART = INDEX_FILE + ".part-"  # the next index, while it is built
_NOTE_FROM_RECORDS = 1000
_WARN_AT_MOST = 20
_FORMAT_VERSION = "3"  # 2: the rejected table; 3: the venv_build_packages view


def index_path(metadata_root: Path) -> Path:
    return Path(metadata_root) / INDEX_DIR / INDEX_FILE


def connect(metadata_root: Path, reindex: bool = False):
    """A DuckDB connection with every record of the store indexed; read-only unless held in memory."""
    duckdb = engine.duckdb()
    metadata_root = Path(metadata_root)
    if not metadata_root.is_dir():  # nothing published yet: an empty index, nothing to keep
        con = duckdb.connect(":memory:")
        _create_schema(con)
        return con
    path = index_path(metadata_root)
    start_from = None
    if not reindex and path.exists():
        con, start_from = _open_current(duckdb, path, metadata_root)
        if con is not None:
            warn_rejected(con, metadata_root)
            return con
    try:
        con = _build_aside(duckdb, path, metadata_root, start_from)
    except (OSError, duckdb.Error) as exc:
        return _in_memory(duckdb, metadata_root, f"cannot write {path} ({engine.one_line(exc)})")
    warn_rejected(con, metadata_root)
    return con


def is_damage(exc: BaseException) -> bool:
    """Whether a DuckDB error says the index file cannot be read (rather than that a query is wrong):
    DuckDB raises a bare Error for a corrupt block, IOException for a file it cannot read or lock."""
    duckdb = engine.duckdb()
    return type(exc) is duckdb.Error or isinstance(exc, (duckdb.IOException, duckdb.SerializationException))


def warn_rejected(con, metadata_root: Path) -> None:
    """Name, on every search, the records left out of the index."""
    rows = con.execute("SELECT dt, name, reason FROM rejected ORDER BY dt, name").fetchall()
    for dt, name, reason in rows[:_WARN_AT_MOST]:
        say(f"warning: search record {Path(metadata_root, f'dt={dt}', name)} skipped: {reason}")
    if len(rows) > _WARN_AT_MOST:
        say(f"warning: and {len(rows) - _WARN_AT_MOST} more search records skipped")


def _open_current(duckdb, path: Path, metadata_root: Path):
    """(a connection to the index at path when it is current, None) or (None, what to build the next from)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        say(f"note: rebuilding the search index {path}: {engine.one_line(exc)}")
        return None, None
    try:
        if _current_format(con) != _format():
            con.close()
            return None, None
        if not _stale(con, partitions.scan(metadata_root)):
            return con, None
    except duckdb.Error as exc:
        con.close()
        say(f"note: rebuilding the search index {path}: {engine.one_line(exc)}")
        return None, None
    con.close()
    return None, path


def _build_aside(duckdb, path: Path, metadata_root: Path, start_from):
    """The next index, built beside path from a copy of start_from (or from nothing) and renamed over
    path; returns a read-only connection to exactly what it built."""
    path.parent.mkdir(exist_ok=True)
    tmp = atomic.temp_beside(path, _PART)
    try:
        try:
            _write_index(duckdb, tmp, metadata_root, start_from)
        except duckdb.Error as exc:
            if start_from is None:
                raise
            say(f"note: rebuilding the search index {path}: {engine.one_line(exc)}")
            _remove(tmp)
            _write_index(duckdb, tmp, metadata_root, None)
        con = duckdb.connect(str(tmp), read_only=True)
        try:
            atomic.commit(tmp, path)
            _remove(path.with_name(path.name + ".wal"))  # an older venvbuild's, for the file just replaced
        except BaseException:
            con.close()
            raise
        return con
    finally:
        _remove(tmp)


def _write_index(duckdb, tmp: Path, metadata_root: Path, start_from) -> None:
    if start_from is not None:
        shutil.copyfile(start_from, tmp)
    con = duckdb.connect(str(tmp))
    try:
        if start_from is None or _current_format(con) != _format():
            _create_schema(con, drop_first=True)
        refresh(con, metadata_root)
        con.execute("CHECKPOINT")  # everything in the file itself: its WAL does not follow the rename
    finally:
        con.close()


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
    """Index the records in batch (dt -> [record paths]): one read_json over one file per partition.
    Records that do not match the schema are remembered in `rejected` instead."""
    if not batch:
        return
    count = sum(len(paths) for paths in batch.values())
    if count >= _NOTE_FROM_RECORDS:
        say(f"note: indexing {count:,} new search records (once; later searches read the index)")
    first_id = con.execute("SELECT coalesce(max(record_id), 0) + 1 FROM records").fetchone()[0]
    columns = record_columns.columns()
    names = ", ".join(_quote(n) for n, _ in columns)
    types = "{" + ", ".join(f"{_quote(n)}: '{t}'" for n, t in columns) + "}"
    valid = 0
    with tempfile.TemporaryDirectory(prefix="venvbuild-index-") as tmp:
        for dt, paths in batch.items():
            indexed = {v for (v,) in con.execute("SELECT venv_version FROM records WHERE dt = $dt", {"dt": dt}).fetchall()}
            copy = Path(tmp, f"dt={dt}", "records.json")
            read, rejected = _checked_copy(paths, copy, indexed)
            valid += copy.stat().st_size > 0
            con.execute("INSERT INTO record_files SELECT $dt, unnest($names)", {"dt": dt, "names": read})
            if rejected:
                con.executemany("INSERT INTO rejected VALUES (?, ?, ?)", [(dt, n, why) for n, why in rejected])
        if valid:
            source = Path(tmp, "*", "records.json").as_posix()
            con.execute(
                f"INSERT INTO records SELECT $first - 1 + row_number() OVER (), dt, {names} "
                f"FROM read_json($source, format='unstructured', hive_partitioning=true, "
                f"hive_types={{'dt': 'VARCHAR'}}, columns={types})",
                {"first": first_id, "source": source},
            )
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


def _checked_copy(paths, target: Path, indexed=frozenset()):
    """Copy the records that match the schema into one file, each venv_version once and none of indexed
    (a record can be in a single object and a compacted file while a compaction runs): (names of the files
    read, [(file or "file line N", why not)] for the records left out). A file removed meanwhile is skipped."""
    target.parent.mkdir(parents=True)
    read, rejected, seen = [], [], set(indexed)
    with open(target, "wb") as out:
        # single records first: a compacted file's copy of a record never shadows the record publish wrote
        for path in sorted(paths, key=lambda p: stored_builds.is_compacted(p.name)):
            try:
                data = local.read_file(path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                if exc.errno != errno.ELOOP:
                    raise
                local.warn_link(path)  # made a link since it was listed
                continue
            read.append(path.name)
            compacted = stored_builds.is_compacted(path.name)
            if compacted and not stored_builds.valid_compacted(str(path), data):
                continue
            for number, line in enumerate(stored_builds.lines(data) if compacted else [data], 1):
                record, problem = _checked(line)
                if problem:
                    rejected.append((f"{path.name} line {number}" if compacted else path.name, problem))
                    continue
                if record["venv_version"] in seen:
                    continue
                seen.add(record["venv_version"])
                out.write(line if line.endswith(b"\n") else line + b"\n")
    return read, rejected


def _checked(data: bytes):
    """(the record, None) when it can be indexed, else (None, why not)."""
    if not data.strip():
        return None, "empty file"
    try:
        record = json.loads(data)
    except ValueError as exc:  # UnicodeDecodeError included
        return None, f"not valid JSON ({exc})"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    found = metadata.problems(record)
    return (None, f"does not match {metadata.SCHEMA}: {found[0]}") if found else (record, None)


def _drop_partition(con, dt: str) -> None:
    con.execute("DELETE FROM packages WHERE record_id IN (SELECT record_id FROM records WHERE dt = $dt)", {"dt": dt})
    con.execute("DELETE FROM records WHERE dt = $dt", {"dt": dt})
    con.execute("DELETE FROM record_files WHERE dt = $dt", {"dt": dt})
    con.execute("DELETE FROM rejected WHERE dt = $dt", {"dt": dt})
    con.execute("DELETE FROM partitions WHERE dt = $dt", {"dt": dt})


def _create_schema(con, drop_first: bool = False) -> None:
    if drop_first:
        for view in ("venv_builds_metadata", "venv_build_packages"):
            con.execute(f"DROP VIEW IF EXISTS {view}")
        for table in ("index_info", "partitions", "record_files", "rejected", "records", "names", "packages"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    columns = record_columns.columns()
    definitions = ", ".join(f"{_quote(n)} {t}" for n, t in columns)
    con.execute("CREATE TABLE partitions (dt VARCHAR, mtime_ns BIGINT, settled BOOLEAN)")
    con.execute("CREATE TABLE record_files (dt VARCHAR, name VARCHAR)")
    con.execute("CREATE TABLE rejected (dt VARCHAR, name VARCHAR, reason VARCHAR)")
    con.execute(f"CREATE TABLE records (record_id BIGINT, dt VARCHAR, {definitions})")
    con.execute("CREATE TABLE names (name VARCHAR, name_normalised VARCHAR)")
    con.execute("CREATE TABLE packages (record_id BIGINT, name_normalised VARCHAR, name VARCHAR, version VARCHAR)")
    # The design's table for `venvbuild sql`: its columns, then the extras, then the partition.
    con.execute(f"CREATE VIEW venv_builds_metadata AS SELECT {', '.join(_quote(n) for n, _ in columns)}, dt FROM records")
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
    warn_rejected(con, metadata_root)
    return con


def _remove(path: Path) -> None:
    """Remove a DuckDB file and its WAL, if there."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            os.unlink(candidate)
        except FileNotFoundError:
            pass


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
