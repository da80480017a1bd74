"""Reading published builds back from a store (local folder or S3): one build's metadata.json, every search
record, one artifact. A record that is not schema-valid metadata is a damaged store, named in one line.

A day's search records are single objects as publish writes them, `dt=D/venv_<version>.json`, and once
`venvbuild compact` has run, JSON-lines objects `dt=D/records-<hash>.json` holding many records, each line
a record's published bytes. While a compaction or a gc is under way a record can be in two of them: every
reader here counts a venv_version once.
"""

import hashlib
import json
import re

from venvbuild import naming
from venvbuild._util.console import say
from venvbuild.errors import StoreError, UsageError
from venvbuild.record import artifacts, metadata
from venvbuild.store import layout

_VERSION_FIELD = re.compile(rb'"venv_version"\s*:\s*"(venv_[0-9]{8}_[0-9]{6})"')


def parse(data: bytes, where: str) -> dict:
    """A stored metadata.json or search record, checked against the schema (venvbuild.record.metadata's
    one check); a StoreError naming where, a damaged store, if not."""
    try:
        meta = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise StoreError(f"{where}: damaged build record, not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{where}: damaged build record, not a JSON object")
    found = metadata.problems(meta)
    if found:
        raise StoreError(f"{where}: damaged build record, {found[0]}")
    return meta


def read_build(store, version: str, parameter: str = "VERSION") -> dict:
    """The metadata.json of a published build; a UsageError naming parameter when the store has no such build."""
    naming.check("venv_version", version, parameter)
    key = layout.artifact_key(store, version, artifacts.METADATA)
    data = store.read(key)
    if data is None:
        raise UsageError(f"{parameter} {version}: no such build in {store.describe()}")
    return parse(data, store.url(key))


def read_artifact(store, version: str, name: str) -> bytes | None:
    return store.read(layout.artifact_key(store, version, name))


def record_keys(store) -> list:
    """Keys of every object holding search records (single records and compacted files), sorted (oldest
    day first); files being published are left out."""
    return sorted(k for k in store.keys_under(layout.metadata_prefix(store) + "/") if layout.is_record_key(store, k))


is_compacted = layout.is_compacted
day_of = layout.day_of
single_version = layout.single_version


def compacted_keys(store, day: str) -> list:
    """The compacted files of one day, sorted."""
    return sorted(k for k in store.keys_under(layout.compacted_prefix(store, day)) if is_compacted(k))


def lines(data: bytes) -> list:
    """The records of a compacted file: each line with its newline (a record's published bytes)."""
    return [line + b"\n" for line in data.split(b"\n") if line.strip()]


def version_in(line: bytes) -> str | None:
    """The venv_version a record's bytes name, without parsing the whole record (None if none)."""
    match = _VERSION_FIELD.search(line)
    return match.group(1).decode() if match else None


READ_ATTEMPTS = 4  # a day read again this often while a compact or gc keeps moving its records, then an error
_warned: set = set()


def valid_compacted(key: str, data: bytes) -> bool:
    """Whether a compacted file's name is the hash of its bytes, as compact writes it. Anyone who can publish
    could write a `records-*` object holding a forged copy of another build's record; one whose name does
    not match its bytes is ignored, with a warning (once per key)."""
    if key.rsplit("/", 1)[-1] == layout.compacted_name(data):
        return True
    _warn_once(key, f"warning: {key}: ignored, its name is not the hash of its content (not written by venvbuild compact)")
    return False


def day_keys(store, day: str) -> list:
    """Keys of one day's record objects (single records and compacted files), sorted."""
    return sorted(k for k in store.keys_under(layout.day_prefix(store, day)) if layout.is_record_key(store, k))


def read_listed(store, day: str, keys: list, relist, skip=lambda key: False) -> list:
    """[(key, bytes)] of listed record objects, read as one consistent set: a compact or gc moves records
    between objects (a single into a compacted file, a compacted file into its rewrite) and deletes the old
    object only once the new one is stored, so an object gone when read means the day changed after it
    was listed: it is listed (relist()) and read again. Skipping it would make a published build look
    unpublished. Keys skip() says are not read (bytes None). A compacted file whose name is not its hash
    is left out."""
    for _ in range(READ_ATTEMPTS):
        read = []
        for key in keys:
            data = None if skip(key) else store.read(key)
            if data is None and not skip(key):
                break
            if data is not None and is_compacted(key) and not valid_compacted(key, data):
                continue
            read.append((key, data))
        else:
            return read
        keys = relist()
    raise StoreError(
        f"{store.url(layout.day_prefix(store, day))}: the store changed while reading "
        f"the day's search records ({READ_ATTEMPTS} times; a compact or gc is under way); try again"
    )


def entries(store, skip=frozenset()) -> list:
    """[(venv_version, key, record bytes or None)] for every published build, once each, oldest day first:
    the single records, then the lines of the day's compacted files (a copy in a compacted file never
    shadows the single record). A single record whose version is in skip is not
    read (its bytes are None)."""
    found: dict = {}
    for day, keys in _days(store).items():
        for version, key, data in _day_entries(store, day, keys, skip):
            found.setdefault(version, (version, key, data))
    return list(found.values())


def newest(store, wanted) -> dict | None:
    """The newest published build whose record wanted(record) accepts, from one listing of the search
    records, reading days newest first and stopping at the first day that has one: the reads grow with
    the days back to that build, not with the store. A damaged record is skipped with a warning."""
    for day, keys in sorted(_days(store).items(), reverse=True):
        chosen = None
        for version, key, data in _day_entries(store, day, keys):
            where = store.url(key) + (f" ({version})" if is_compacted(key) else "")
            try:
                meta = parse(data, where)
                if meta["venv_version"] != version:
                    raise StoreError(f"{where}: damaged build record, it holds {meta['venv_version']!r}")
            except StoreError as exc:
                _warn_once(where, f"warning: skipped {version}: {exc}")
                continue
            if wanted(meta) and (chosen is None or version > chosen["venv_version"]):
                chosen = meta
        if chosen is not None:
            return chosen
    return None


def _days(store) -> dict:
    """day -> the keys of its record objects, oldest day first, from one listing."""
    by_day: dict = {}
    start = len(layout.days_prefix(store))
    for key in record_keys(store):
        by_day.setdefault(key[start : start + 10], []).append(key)
    return by_day


def _day_entries(store, day: str, keys: list, skip=frozenset()) -> list:
    """[(venv_version, key, record bytes or None)] of one day, a version once, its single record first."""

    def relist():
        return _singles_first(day_keys(store, day))

    found: dict = {}
    for key, data in read_listed(store, day, _singles_first(keys), relist, skip=lambda k: single_version(k) in skip):
        version = single_version(key)
        if version is not None:
            found.setdefault(version, (version, key, data))
            continue
        for number, line in enumerate(lines(data), 1):
            version = version_in(line)
            if version is None:
                raise StoreError(f"{store.url(key)} line {number}: damaged build record, no venv_version")
            found.setdefault(version, (version, key, line))
    return list(found.values())


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        say(message)


def _singles_first(keys: list) -> list:
    """A day's keys, single records first: the record publish wrote wins over a compacted file's copy."""
    return sorted(keys, key=is_compacted)


def find_record(store, version: str) -> bytes | None:
    """The published bytes of version's search record, from its single object or a compacted file of its
    day; None when the build is not (or no longer) published."""
    data = store.read(layout.record_key(store, version))
    return data if data is not None else _compacted_line(store, version)


def is_published(store, version: str) -> bool:
    """Whether version's search record is in the store (a HEAD, then its day's compacted files)."""
    return store.checksum(layout.record_key(store, version)) is not None or _compacted_line(store, version) is not None


def _compacted_line(store, version: str) -> bytes | None:
    # compact stores a day's file before deleting the single records it holds, so a single found absent
    # is in a compacted file listed now, or collected.
    day = day_of(version)

    def relist():
        return compacted_keys(store, day)

    for _key, data in read_listed(store, day, relist(), relist):
        for line in lines(data):
            if version_in(line) == version:
                return line
    return None


def all_records(store) -> list:
    """Every published build's record, oldest first."""
    return [meta for meta, _ in records_with_digests(store)]


def records_with_digests(store, known=None, damaged=None) -> list:
    """[(record, sha256 of its bytes)] of every published build, oldest first. known maps a venv_version to
    (record, sha256) already read and found valid (records are create-only): those are not read again.
    A damaged record is a StoreError, or with damaged given, left out and its error passed to damaged()."""
    known = known or {}
    records = []
    for version, key, data in entries(store, skip=frozenset(known)):
        if version in known:
            records.append(known[version])
            continue
        where = store.url(key) + (f" ({version})" if is_compacted(key) else "")
        try:
            meta = parse(data, where)
            if meta.get("venv_version") != version:
                raise StoreError(f"{where}: damaged build record, it holds {meta.get('venv_version')!r}")
        except StoreError as exc:
            if damaged is None:
                raise
            damaged(exc)
            continue
        records.append((meta, hashlib.sha256(data).hexdigest()))
    return sorted(records, key=lambda pair: (pair[0]["created_at"], pair[0]["venv_version"]))
