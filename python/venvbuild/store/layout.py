"""Every key and key prefix venvbuild reads or writes in a store, in one place.

Keys are '/'-separated and relative to the store's root (a local folder or an S3 bucket); `<prefix>` is
the store's builds prefix (`venv-builds` by default). Each protocol, and who owns its rules:

Build folders (venvbuild.build.publish; read by pull, catalog, diff, gc)
    <prefix>/venv_<version>/<artifact>          the seven artifacts and the extra ones metadata lists,
                                                metadata.json stored last of them

Version claims (venvbuild.build.publish)
    <prefix>-metadata/_claims/venv_<version>    create-only copy of the metadata.json about to be
                                                published: which build holds the version

Search records (publish writes, venvbuild.store.stored_builds reads, `venvbuild compact` folds)
    <prefix>-metadata/dt=YYYY-MM-DD/venv_<version>.json    one record, one JSON line, written after
                                                            every artifact: the build is published
    <prefix>-metadata/dt=YYYY-MM-DD/records-<sha256[:16]>.json
                                                a compacted day: its records one per line, the name the
                                                hash of the content (venvbuild.lifecycle.compaction)
    <prefix>-metadata/_index/search.duckdb      a local store's search index (venvbuild.query.local_index)
    The Athena table's LOCATION is `<prefix>-metadata/`; names starting with '_' are not its rows.

The maintenance lease (venvbuild.lifecycle.maintenance_lease): gc --apply and compact never overlap
    <prefix>-metadata/_maintenance/lease.json                 create-only, deleted at the end
    <prefix>-metadata/_maintenance/break-<sha256[:16]>.json   a breaker's marker for an expired lease

Reuse (venvbuild.lifecycle.reuse)
    <prefix>-reuse/keys/<env_name>/<build_key>.json             the first build of a key to claim it
    <prefix>-reuse/returned/venv_<version>/<stamp>-<id>.json    each time a reuse returned the build

Tags (venvbuild.lifecycle.tags), append-only events, also an Athena table of their own
    <prefix>-tags/<env_name>~<tag>~<sequence:10 digits>.json

The offline vulnerability database (venvbuild.vuln.vulndb): create-only, never deleted by gc
    <prefix>-vulndb/snapshots/<sha256>.jsonl.gz     one import's PyPI OSV records, one per line sorted by id,
                                                    gzip without a timestamp: named by its content's hash
    <prefix>-vulndb/imports/<YYYYMMDDTHHMMSSffffffZ>-<sha256[:16]>.json
                                                    one import: which snapshot, when, how many advisories;
                                                    the newest names the current snapshot

Audit findings (venvbuild.vuln.findings, `audit --all --publish`), an Athena table like the search records
    <prefix>-findings/snapshot=<sha256[:16]>/dt=YYYY-MM-DD/venv_<version>.json
                                                one build's findings against one snapshot, one JSON line
                                                each (empty: audited, nothing found); dt= is the build's day

Garbage collection (venvbuild.lifecycle.retention)
    <prefix>-gc/venv_<version>.json             a tombstone: the build is being deleted (a resumed gc
                                                finishes it)
"""

import hashlib
import re
from typing import Protocol

from venvbuild.record import artifacts, metadata


class _Store(Protocol):
    prefix: str


# Names, as they appear in a key's last part (or a local folder's entries).
VERSION = re.compile(r"venv_[0-9]{8}_[0-9]{6}")
PARTITION = re.compile(r"dt=([0-9]{4}-[0-9]{2}-[0-9]{2})")
SINGLE_RECORD_NAME = re.compile(r"venv_[0-9]{8}_[0-9]{6}\.json")
COMPACTED_NAME = re.compile(r"records-[0-9a-f]{16}\.json")
# A search record's key below `<prefix>-metadata/`.
_SINGLE_RECORD = re.compile(r"dt=[0-9]{4}-[0-9]{2}-[0-9]{2}/venv_[0-9]{8}_[0-9]{6}\.json")
_COMPACTED = re.compile(r"dt=[0-9]{4}-[0-9]{2}-[0-9]{2}/records-[0-9a-f]{16}\.json")
# A tag event's key below `<prefix>-tags/`: (env name, tag, sequence); the Athena query extracts the same.
TAG_EVENT_NAME = re.compile(r"([^/~]+)~([^/~]+)~([0-9]{10})\.json")
LOCAL_INDEX_DIR = "_index"  # Athena and Glue skip names starting with '_' should the folder be synced to S3


# Build folders.
def builds_prefix(store: _Store) -> str:
    """Where the build folders are: every key below it is `<version>/<artifact>`."""
    return f"{store.prefix}/"


def build_folder(store: _Store, version: str) -> str:
    return f"{store.prefix}/{version}/"


def artifact_key(store: _Store, version: str, name: str) -> str:
    """The object key of one artifact (metadata.json, the archive, ...) of a build."""
    return f"{store.prefix}/{version}/{name}"


# Search records and what lives beside them.
def metadata_prefix(store: _Store) -> str:
    return f"{store.prefix}-metadata"


def claim_key(store: _Store, version: str) -> str:
    """Which build holds a version; '_' keeps it out of Athena's table and the search index."""
    return f"{metadata_prefix(store)}/_claims/{version}"


def day_of(version: str) -> str:
    """The dt= partition of a version's record: its created_at's day."""
    return f"{version[5:9]}-{version[9:11]}-{version[11:13]}"


def days_prefix(store: _Store) -> str:
    """Every day's partition starts with this; the day is the next 10 characters of a key."""
    return f"{metadata_prefix(store)}/dt="


def day_prefix(store: _Store, day: str) -> str:
    return f"{metadata_prefix(store)}/dt={day}/"


def record_key(store: _Store, version: str) -> str:
    """The single search record of a version, as publish writes it."""
    return f"{day_prefix(store, day_of(version))}{version}.json"


def compacted_prefix(store: _Store, day: str) -> str:
    return f"{day_prefix(store, day)}records-"


def compacted_name(data: bytes) -> str:
    """A compacted day's file is named by its content's hash, so two runs folding the same records agree."""
    return f"records-{_short_hash(data)}.json"


def compacted_key(store: _Store, day: str, data: bytes) -> str:
    return day_prefix(store, day) + compacted_name(data)


def is_record_key(store: _Store, key: str) -> bool:
    """Whether key holds search records (a single record or a compacted file), not a file being published."""
    start = metadata_prefix(store) + "/"
    if not key.startswith(start):
        return False
    rest = key[len(start) :]
    return bool(_SINGLE_RECORD.fullmatch(rest) or _COMPACTED.fullmatch(rest))


def is_compacted(key: str) -> bool:
    return bool(COMPACTED_NAME.fullmatch(key.rsplit("/", 1)[-1]))


def single_version(key: str) -> str | None:
    """The version a single record's key names (`.../dt=D/<version>.json`); None for a compacted file."""
    name = key.rsplit("/", 1)[-1]
    return None if is_compacted(key) else name[: -len(".json")]


# The maintenance lease.
def lease_key(store: _Store) -> str:
    return f"{metadata_prefix(store)}/_maintenance/lease.json"


def lease_break_key(store: _Store, dead: bytes) -> str:
    return f"{metadata_prefix(store)}/_maintenance/break-{_short_hash(dead)}.json"


# Reuse.
def pointers_prefix(store: _Store) -> str:
    return f"{store.prefix}-reuse/keys/"


def pointer_key(store: _Store, env_name: str, build_key: str) -> str:
    return f"{pointers_prefix(store)}{env_name}/{build_key}.json"


def returned_prefix(store: _Store, version: str = "") -> str:
    return f"{store.prefix}-reuse/returned/" + (f"{version}/" if version else "")


def returned_key(store: _Store, version: str, stamp: str, unique: str) -> str:
    return f"{returned_prefix(store, version)}{stamp}-{unique}.json"


# Tags.
def tags_prefix(store: _Store) -> str:
    return f"{store.prefix}-tags/"


def tag_event_key(store: _Store, env_name: str, tag: str, sequence: int) -> str:
    return f"{tags_prefix(store)}{env_name}~{tag}~{sequence:010d}.json"


def tag_events_prefix(store: _Store, env_name: str | None = None, tag: str | None = None) -> str:
    """The events of one env name's tag, of one env name, or all."""
    if env_name and tag:
        return f"{tags_prefix(store)}{env_name}~{tag}~"
    return tags_prefix(store) + (f"{env_name}~" if env_name else "")


# Garbage collection.
def tombstones_prefix(store: _Store) -> str:
    return f"{store.prefix}-gc/"


def tombstone_key(store: _Store, version: str) -> str:
    return f"{tombstones_prefix(store)}{version}.json"


# The vulnerability database.
SNAPSHOT_NAME = re.compile(r"([0-9a-f]{64})\.jsonl\.gz")
IMPORT_NAME = re.compile(r"[0-9]{8}T[0-9]{12}Z-[0-9a-f]{16}\.json")


def snapshots_prefix(store: _Store) -> str:
    return f"{store.prefix}-vulndb/snapshots/"


def snapshot_key(store: _Store, sha256: str) -> str:
    return f"{snapshots_prefix(store)}{sha256}.jsonl.gz"


def imports_prefix(store: _Store) -> str:
    return f"{store.prefix}-vulndb/imports/"


def import_key(store: _Store, stamp: str, sha256: str) -> str:
    """stamp: the import's time, YYYYMMDDTHHMMSSffffffZ, so the newest import sorts last."""
    return f"{imports_prefix(store)}{stamp}-{sha256[:16]}.json"


# Audit findings.
def findings_root(store: _Store) -> str:
    """The findings table's LOCATION."""
    return f"{store.prefix}-findings/"


def findings_prefix(store: _Store, snapshot: str) -> str:
    return f"{findings_root(store)}snapshot={snapshot[:16]}/"


def findings_key(store: _Store, snapshot: str, version: str) -> str:
    return f"{findings_prefix(store, snapshot)}dt={day_of(version)}/{version}.json"


def _short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def with_store_urls(meta: dict, store) -> dict:
    """The three URL fields of the original design, pointing at where store keeps this build."""
    version = meta["venv_version"]
    archive = artifacts.archive_name(version, metadata.compression_of(meta))
    return {
        **meta,
        "requirements_file": store.url(artifact_key(store, version, artifacts.REQUIREMENTS)),
        "pipdeptree_output": store.url(artifact_key(store, version, artifacts.PIPDEPTREE_JSON)),
        "venv_archive": store.url(artifact_key(store, version, archive)),
    }
