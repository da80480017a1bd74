"""Compacting search records (`venvbuild compact`): a past day's one-record objects folded into one object.

    <prefix>-metadata/dt=D/venv_<version>.json       one record, as publish writes it
    <prefix>-metadata/dt=D/records-<sha256[:16]>.json  the day's records, one per line, each its published bytes

Athena (Trino) pays a split per object, so 100,000 one-record objects cost far more than their JSON. The
order keeps every record readable at every step, so an interrupted run loses nothing and the next finishes it:

    1. read the day's single records and compacted files (what was read is all that will be deleted)
    2. write their records, sorted by created_at and venv_version, as one new object, create-only; its name
       is its content's hash, so two runs that read the same records write the same object
    3. read it back and compare
    4. delete the single records and older compacted files read in step 1

Between 2 and 4 a record is in two objects: readers count a venv_version once (venvbuild.store.stored_builds).
A record published into the day meanwhile was not read, so it stays a single object until the next run.
Records of builds a gc is deleting (a tombstone in `<prefix>-gc/`) are left out: gc removes them anyway.
"""

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Dict, List

from venvbuild._util import console
from venvbuild.errors import StoreError
from venvbuild.record import artifacts
from venvbuild.store import layout, stored_builds
from venvbuild.store.base import ObjectExists, ObjectStore


@dataclass
class DayResult:
    day: str
    records: int = 0
    read: List[str] = field(default_factory=list)  # the keys folded (and deleted)
    written: str | None = None  # the compacted file that holds the day now
    left: bool = False  # the new file vanished before the check (another run folded it): nothing deleted
    skipped: str | None = None  # why the day was left as it is (damaged or conflicting records)


def days(store: ObjectStore) -> Dict[str, List[str]]:
    """day -> the keys of its record objects (single and compacted), from one listing."""
    found: Dict[str, List[str]] = {}
    prefix = layout.days_prefix(store)
    for key in stored_builds.record_keys(store):
        found.setdefault(key[len(prefix) : len(prefix) + 10], []).append(key)
    return found


class DayNotCompacted(StoreError):
    """A day left as it is (damaged or conflicting records): the run goes on with the next day."""


def compact(
    store: ObjectStore, before: date, say: Callable[[str], None], gone: Callable[[], frozenset] = frozenset
) -> List[DayResult]:
    """Compact every day before `before` that has a single record or more than one compacted file; the
    records of versions in gone() (being collected, read again after each day's file is written) are left
    out. A day that cannot be compacted is left untouched, said, and in the results with skipped set."""
    results = []
    for day, keys in sorted(days(store).items()):
        if day >= before.isoformat():
            continue
        compacted = [k for k in keys if stored_builds.is_compacted(k)]
        if len(compacted) == len(keys) == 1:
            continue  # already one compacted file
        try:
            result = compact_day(store, day, keys, gone)
        except DayNotCompacted as exc:
            say(f"dt={day}: not compacted, left as it is: {exc}")
            results.append(DayResult(day, skipped=str(exc)))
            continue
        results.append(result)
        if result.left:
            say(
                f"dt={day}: its new compacted file was folded by another run meanwhile; nothing deleted, "
                "the next run finishes the day"
            )
        elif result.written is None:
            say(f"dt={day}: no record left to keep; removed {len(result.read)} object(s)")
        else:
            say(
                f"dt={day}: {result.records} record(s) from {len(result.read)} object(s) into {result.written.rsplit('/', 1)[-1]}"
            )
    return results


def compact_day(store: ObjectStore, day: str, keys: List[str], gone: Callable[[], frozenset] = frozenset) -> DayResult:
    result = DayResult(day)
    records: Dict[str, tuple] = {}  # version -> (created_at, line)
    for key in keys:
        data = store.read(key)
        if data is None:  # compacted or collected since it was listed
            continue
        compacted = stored_builds.is_compacted(key)
        if compacted and not stored_builds.valid_compacted(key, data):
            continue  # not written by compact (a forged copy?): neither folded nor deleted
        result.read.append(key)
        for line in stored_builds.lines(data) if compacted else [data]:
            expected = stored_builds.version_in(line) if compacted else stored_builds.single_version(key)
            version, created_at = _record_of(line, store.url(key) + (f" ({expected})" if compacted else ""))
            if version != expected or stored_builds.day_of(version) != day or b"\n" in line.rstrip(b"\n"):
                raise DayNotCompacted(f"{store.url(key)}: damaged build record, not {expected}'s one-line record of dt={day}")
            line = line if line.endswith(b"\n") else line + b"\n"
            if version in records and records[version][1] != line:
                raise DayNotCompacted(
                    f"{store.url(key)}: {version}'s record differs from its copy in another "
                    "object of the day; compare them and delete the wrong one"
                )
            records[version] = (created_at, line)
    collected = gone()
    for _ in range(3):
        kept = {v: r for v, r in records.items() if v not in collected}
        sorted_lines = [kept[v][1] for v in sorted(kept, key=lambda v: (kept[v][0], v))]
        result.records = len(sorted_lines)
        if not sorted_lines:
            result.written = None
            break
        written = write_compacted(store, day, b"".join(sorted_lines))
        if written is None:
            result.left = True
            return result
        if result.written not in (None, written):
            result.read.append(result.written)  # a first file that still held a build being collected
        result.written = written
        # A gc that started while this day was read removes the record only from the objects it lists:
        # one whose tombstone appeared meanwhile is written out again, before anything is deleted.
        collected = gone() | _collected_meanwhile(store, day, result.read)
        if not collected & set(kept):
            break
    else:
        raise StoreError(f"dt={day}: builds of the day keep being collected while it is compacted; run it again")
    for key in result.read:
        if key != result.written:
            store.delete(key)
    return result


def _collected_meanwhile(store: ObjectStore, day: str, read: List[str]) -> frozenset:
    """Versions whose single record was read here and whose whole collection ran since: the single is gone
    from a new listing of the day and so is the build's metadata.json (a gc deletes it after the record,
    and its tombstone last, so gone() no longer names it). One listing, and a HEAD only for a vanished one."""
    listed = set(stored_builds.day_keys(store, day))
    vanished = [stored_builds.single_version(k) for k in read if not stored_builds.is_compacted(k) and k not in listed]
    return frozenset(v for v in vanished if v and store.checksum(layout.artifact_key(store, v, artifacts.METADATA)) is None)


def _record_of(line: bytes, where: str):
    """(venv_version, created_at) of a record's bytes. A record the schema does not know (a newer venvbuild's
    field) is folded as it is, as the search index only warns about it; one that is not JSON or names no
    version is damaged."""
    try:
        meta = stored_builds.parse(line, where)
        return meta["venv_version"], meta["created_at"]
    except StoreError as exc:
        try:
            meta = json.loads(line)
        except ValueError:
            raise DayNotCompacted(str(exc)) from None
        if (
            not isinstance(meta, dict)
            or not isinstance(meta.get("venv_version"), str)
            or not isinstance(meta.get("created_at"), str)
        ):
            raise DayNotCompacted(str(exc)) from None
        console.say(f"warning: {exc}; folded as it is")
        return meta["venv_version"], meta["created_at"]


def write_compacted(store: ObjectStore, day: str, data: bytes) -> str | None:
    """Store data as the day's compacted file, create-only, and check it by reading it back: its key, or
    None when it is gone before the check (folded by another run). Same name, same bytes: a name already
    taken holds these records."""
    key = layout.compacted_key(store, day, data)
    try:
        store.put_new_bytes(key, data)
    except ObjectExists:
        pass
    stored = store.read(key)
    if stored is None:
        return None
    if stored != data:
        raise StoreError(f"{store.url(key)}: read back {len(stored)} bytes that are not the {len(data)} written; nothing deleted")
    return key


def remove_record(store: ObjectStore, version: str) -> None:
    """Remove version's search record wherever it is: its single object, and its line in each compacted
    file of its day (rewritten without it, the new file stored and checked before the old is deleted).
    Listed again until no compacted file of the day holds it: a compaction running meanwhile can fold the
    line into a file written after the first listing. Resumable: a run interrupted between the two finds
    the old file still holding the line."""
    day = stored_builds.day_of(version)
    store.delete(layout.record_key(store, version))
    for _ in range(2 * stored_builds.READ_ATTEMPTS):
        clean = True
        for key in stored_builds.compacted_keys(store, day):
            data = store.read(key)
            if data is None:  # rewritten meanwhile: its successor is in the next listing
                clean = False
                continue
            if not stored_builds.valid_compacted(key, data):
                continue
            lines = stored_builds.lines(data)
            kept = [line for line in lines if stored_builds.version_in(line) != version]
            if len(kept) == len(lines):
                continue
            clean = False
            if kept and write_compacted(store, day, b"".join(kept)) is None:
                raise StoreError(f"{store.url(key)}: rewriting it without {version} failed (its new file vanished); run gc again")
            store.delete(key)
        if clean:
            return
    raise StoreError(
        f"dt={day}: {version}'s record keeps reappearing in the day's compacted files "
        "(a compact running meanwhile?); run gc again"
    )
