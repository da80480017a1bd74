"""`audit --all --publish`: one findings record per build and snapshot in the store, beside the search records.

Each record is JSON lines, one finding each (empty: the build was audited against that snapshot and nothing
was found), at `<prefix>-findings/snapshot=<sha256[:16]>/dt=<build's day>/<version>.json` (venvbuild.store.layout),
create-only: a rescan against the same snapshot writes only the builds published since. The fields are
COLUMNS, finding.schema.json's properties, the columns of `venvbuild ddl --findings`'s table.
"""

import json

from venvbuild._util.resources import load_json
from venvbuild.store import layout
from venvbuild.store.base import ObjectExists

# resources/venvbuild/finding.schema.json's properties: the fields of a finding line and the table's columns.
COLUMNS = tuple(load_json("finding.schema.json")["properties"])


def record_bytes(database, record: dict) -> bytes:
    lines = []
    for f in database.audit(record):
        row = {
            "venv_version": f.venv_version,
            "env_name": f.env_name,
            "created_at": record["created_at"],
            "snapshot": database.snapshot,
            "package": f.package,
            "installed_version": f.installed_version,
            "id": f.id,
            "aliases": list(f.aliases),
            "fixed_versions": list(f.fixed_versions),
            "severity": list(f.severity),
            "summary": f.summary,
        }
        lines.append(json.dumps({k: row[k] for k in COLUMNS}, ensure_ascii=True) + "\n")
    return "".join(lines).encode("utf-8")


def publish(store, database, records) -> int:
    """Store the findings record of each build not yet audited against database's snapshot; how many were written."""
    done = set(store.keys_under(layout.findings_prefix(store, database.snapshot)))
    written = 0
    for record in records:
        key = layout.findings_key(store, database.snapshot, record["venv_version"])
        if key in done:
            continue
        try:
            store.put_new_bytes(key, record_bytes(database, record))
            written += 1
        except ObjectExists:
            pass  # another rescan wrote the same bytes
    return written
