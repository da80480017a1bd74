"""Publishing a build folder to a store: create-only, resumable, metadata.json last, then the search record."""

import hashlib
from pathlib import Path

from venvbuild import artifacts, metadata
from venvbuild.checksum import sha256_file
from venvbuild.console import say
from venvbuild.errors import StoreError, UsageError
from venvbuild.store.base import ObjectExists, ObjectStore
from venvbuild.versions import created_at_of, moment_of, next_version


class VersionTaken(StoreError):
    """Another build holds this version in the store."""


def publish(build_dir: Path, store: ObjectStore, renumber: bool = False) -> dict:
    """Publish the seven artifacts of build_dir (and the extra ones its metadata lists); returns the metadata as stored.

    Re-running after an interruption finishes the job: objects already stored with the same sha256 are
    skipped. A build whose search record exists, or an object stored with other content, is refused.
    With renumber, a version that another build took first (two builds started in the same second)
    moves this build to the next free second instead: its archive and metadata.json are renamed to match.
    """
    build_dir = Path(build_dir)
    meta_path = build_dir / artifacts.METADATA
    meta = metadata.validate(metadata.read(meta_path), str(meta_path))
    missing = [n for n in _names(meta) if not (build_dir / n).is_file()]
    if missing:
        raise UsageError(f"{build_dir}: not a complete build folder, missing {', '.join(missing)}")

    meta = _claim_version(build_dir, meta, store, renumber)
    version, names = meta["venv_version"], _names(meta)
    for name in names[1:]:
        _put(store, store.build_key(version, name), build_dir / name, version)
    _put(store, store.record_key(version, meta["created_at"]), meta_path, version)
    say(f"published {version} to {store.url(store.build_key(version, ''))}")
    return meta


def _claim_version(build_dir: Path, meta: dict, store: ObjectStore, renumber: bool) -> dict:
    """Store the archive, the first object, under meta's version: where two builds of one second meet.
    Returns meta with the store's URLs, as written to build_dir's metadata.json."""
    while True:
        version = meta["venv_version"]
        try:
            published = store.checksum(store.record_key(version, meta["created_at"])) is not None
            _refuse_another_build(meta, store)
            if published:
                raise StoreError(f"{version} is already published in {store.describe()}; a version is never overwritten")
            meta = metadata.with_store_urls(meta, store)
            metadata.write(meta, build_dir / artifacts.METADATA)
            archive = _names(meta)[0]
            _put(store, store.build_key(version, archive), build_dir / archive, version)
            return meta
        except VersionTaken:
            if not renumber:
                raise
            meta = _renumbered(build_dir, meta, store)
            say(f"{version} was taken by another build; publishing as {meta['venv_version']}")


def _names(meta: dict) -> list:
    return artifacts.publish_order(meta["venv_version"], metadata.compression_of(meta), meta.get("extra_artifacts", ()))


def _refuse_another_build(meta: dict, store: ObjectStore) -> None:
    """Raise VersionTaken when another build holds meta's version; this very build, maybe half published,
    passes. Objects besides these two are compared one by one as they are published."""
    version = meta["venv_version"]
    if not store.any_under(store.build_key(version, "")):
        return
    meta_key = store.build_key(version, artifacts.METADATA)
    stored_meta = store.checksum(meta_key)
    if stored_meta is not None:
        ours = hashlib.sha256(metadata.dumps(metadata.with_store_urls(meta, store)).encode("utf-8")).hexdigest()
        if stored_meta != ours:
            raise VersionTaken(f"{store.url(meta_key)} already exists with other content: {version} belongs to another build")
        return
    # The archive goes first: a half-published build has it, and ours has our sha256.
    archive_key = store.build_key(version, _names(meta)[0])
    stored_archive = store.checksum(archive_key)
    if stored_archive is not None and stored_archive != meta["archive_sha256"]:
        raise VersionTaken(f"{store.url(archive_key)} already exists with other content: {version} belongs to another build")


def _renumbered(build_dir: Path, meta: dict, store: ObjectStore) -> dict:
    """meta moved to the next second, with the archive in build_dir renamed to match."""
    old_archive = _names(meta)[0]
    version = next_version(meta["venv_version"])
    meta = {**meta, "venv_version": version, "created_at": created_at_of(moment_of(version))}
    meta = metadata.with_store_urls(meta, store)
    (build_dir / old_archive).rename(build_dir / _names(meta)[0])
    metadata.write(meta, build_dir / artifacts.METADATA)
    return meta


def _put(store: ObjectStore, key: str, path: Path, version: str) -> None:
    local = sha256_file(path)
    stored = store.checksum(key)
    if stored is None:
        try:
            store.put_new(key, path, local)
            return
        except ObjectExists:
            stored = store.checksum(key)
    if stored != local:
        raise VersionTaken(
            f"{store.url(key)} already exists with other content: {version} belongs to another build"
        )
    say(f"{key} already stored with the same sha256, skipped")
