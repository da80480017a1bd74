"""The offline vulnerability database in a store: imports of OSV records as content-addressed snapshots.

`import_paths` reads OSV records from JSON files, folders of them and zips in the layout of OSV's PyPI export
(all.zip: one `<ID>.json` per advisory), keeps the PyPI part of each (venvbuild.vuln.osv), and stores the
lot as one snapshot named by its content's sha256, create-only, then an import record naming it: the newest
import record is the current snapshot (keys in venvbuild.store.layout). Nothing here touches the network.
"""

import gzip
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from venvbuild._util.console import say
from venvbuild.errors import StoreError, UsageError
from venvbuild.store import layout
from venvbuild.store.base import ObjectExists
from venvbuild.vuln import osv

MAX_RECORD_BYTES = 16 * 1024 * 1024  # one advisory; OSV's largest are well under 1 MB


@dataclass
class Imported:
    snapshot: str  # sha256 of the snapshot's bytes
    imported_at: str
    advisories: int
    withdrawn: int
    skipped: int
    created: bool  # False when the store already held this snapshot

    def as_json(self) -> dict:
        return {
            "snapshot": self.snapshot,
            "imported_at": self.imported_at,
            "advisories": self.advisories,
            "withdrawn": self.withdrawn,
            "skipped": self.skipped,
            "new_snapshot": self.created,
        }


def _sources(path: Path) -> Iterator[Tuple[str, bytes]]:
    """(name for messages, bytes) of each candidate record under path."""
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*.json") if p.is_file()):
            yield str(file), file.read_bytes()
    elif zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                for info in sorted(archive.infolist(), key=lambda i: i.filename):
                    if info.is_dir() or not info.filename.endswith(".json"):
                        continue
                    name = f"{path}:{info.filename}"
                    if info.file_size > MAX_RECORD_BYTES:
                        yield name, b""
                        continue
                    yield name, archive.read(info)
        except (zipfile.BadZipFile, OSError) as exc:
            raise UsageError(f"PATH {path}: not a readable zip ({exc})") from None
    elif path.is_file():
        yield str(path), path.read_bytes()
    else:
        raise UsageError(f"PATH {path}: no such file or folder")


def read_records(paths: List[Path]) -> Tuple[Dict[str, dict], int]:
    """id -> the PyPI part of its record (the latest `modified` when an id comes twice), and how many
    candidates were skipped, each with one warning naming it. A record of no PyPI package is left out quietly."""
    for path in paths:
        if not path.exists():
            raise UsageError(f"PATH {path}: no such file or folder")
    kept: Dict[str, dict] = {}
    skipped = 0
    for path in paths:
        for name, data in _sources(path):
            try:
                record = json.loads(data)
            except (UnicodeDecodeError, ValueError) as exc:
                say(f"warning: skipped {name}: not valid JSON ({str(exc).splitlines()[0]})")
                skipped += 1
                continue
            why = osv.problem(record)
            if why is not None:
                say(f"warning: skipped {name}: not an OSV record this venvbuild reads ({why})")
                skipped += 1
                continue
            pypi = osv.pypi_part(record)
            if pypi is None:
                continue
            old = kept.get(pypi["id"])
            if old is None or pypi["modified"] >= old["modified"]:
                kept[pypi["id"]] = pypi
    return kept, skipped


def snapshot_bytes(records: Dict[str, dict]) -> bytes:
    """One record per line, sorted by id, keys sorted; gzip with no name and no time: the same records, the same bytes."""
    text = "".join(json.dumps(records[i], sort_keys=True, ensure_ascii=True) + "\n" for i in sorted(records))
    return gzip.compress(text.encode("utf-8"), mtime=0)


def import_paths(store, paths: List[Path], now: datetime | None = None) -> Imported:
    import hashlib

    records, skipped = read_records(paths)
    if not records:
        # An empty snapshot would make every audit pass: the wrong file imported must not look like good news.
        raise UsageError(f"PATH {' '.join(str(p) for p in paths)}: no OSV record of a PyPI package in it; nothing imported")
    data = snapshot_bytes(records)
    digest = hashlib.sha256(data).hexdigest()
    created = True
    try:
        store.put_new_bytes(layout.snapshot_key(store, digest), data)
    except ObjectExists:
        created = False  # the same records imported before: the same snapshot
    moment = now or datetime.now(timezone.utc)
    result = Imported(
        snapshot=digest,
        imported_at=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        advisories=len(records),
        withdrawn=sum(1 for r in records.values() if r.get("withdrawn")),
        skipped=skipped,
        created=created,
    )
    record = {k: v for k, v in result.as_json().items() if k != "new_snapshot"}
    try:
        store.put_new_bytes(
            layout.import_key(store, moment.strftime("%Y%m%dT%H%M%S%fZ"), digest),
            (json.dumps(record, sort_keys=True) + "\n").encode("utf-8"),
        )
    except ObjectExists:
        raise StoreError(f"{store.describe()}: another import of the same records at the same microsecond") from None
    return result


def imports(store) -> List[dict]:
    """Every import record, oldest first."""
    found = []
    for key in store.keys_under(layout.imports_prefix(store)):
        if not layout.IMPORT_NAME.fullmatch(key.rsplit("/", 1)[-1]):
            continue
        data = store.read(key)
        try:
            record = json.loads(data or b"")
            if not isinstance(record, dict) or not isinstance(record.get("snapshot"), str):
                raise ValueError("no snapshot")
        except ValueError as exc:
            raise StoreError(f"{store.url(key)}: damaged import record ({exc})") from None
        found.append(record)
    return found


def current(store) -> dict | None:
    """The newest import record, or None when nothing was ever imported."""
    found = imports(store)
    return found[-1] if found else None


def resolve(store, wanted: str, parameter: str) -> str:
    """The full sha256 of the snapshot wanted names (its sha256 or a unique start of it, 8 digits or more)."""
    wanted = wanted.lower()
    if len(wanted) < 8 or any(c not in "0123456789abcdef" for c in wanted):
        raise UsageError(f"{parameter} {wanted}: not a snapshot id (8 to 64 hex digits, from `venvbuild vulndb status`)")
    names = [
        m.group(1)
        for key in store.keys_under(layout.snapshots_prefix(store))
        if (m := layout.SNAPSHOT_NAME.fullmatch(key.rsplit("/", 1)[-1]))
    ]
    matches = [n for n in names if n.startswith(wanted)]
    if len(matches) != 1:
        what = "no snapshot" if not matches else f"{len(matches)} snapshots"
        raise UsageError(f"{parameter} {wanted}: {what} in {store.describe()} start with it")
    return matches[0]


def load(store, snapshot: str) -> List[osv.Advisory]:
    """The advisories of a snapshot, checked against its name."""
    import hashlib

    key = layout.snapshot_key(store, snapshot)
    data = store.read(key)
    if data is None:
        raise StoreError(f"{store.url(key)}: missing, though an import names it")
    if hashlib.sha256(data).hexdigest() != snapshot:
        raise StoreError(f"{store.url(key)}: damaged snapshot, its sha256 is not its name")
    try:
        lines = gzip.decompress(data).decode("utf-8").splitlines()
        return [osv.advisory(json.loads(line)) for line in lines if line]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{store.url(key)}: damaged snapshot ({exc})") from None


def load_current(store) -> Tuple[dict, List[osv.Advisory]]:
    record = current(store)
    if record is None:
        raise UsageError(f"{store.describe()}: no vulnerability database; import one with `venvbuild vulndb import`")
    return record, load(store, record["snapshot"])
