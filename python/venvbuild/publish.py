"""Publishing a build folder to a store: create-only, resumable, metadata.json last, then the search record."""

from pathlib import Path

from venvbuild import artifacts, metadata
from venvbuild.checksum import sha256_file
from venvbuild.console import say
from venvbuild.errors import StoreError, UsageError
from venvbuild.store.base import ObjectExists, ObjectStore


def publish(build_dir: Path, store: ObjectStore) -> dict:
    """Publish the seven artifacts of build_dir; returns the metadata as stored.

    Re-running after an interruption finishes the job: objects already stored with the same sha256 are
    skipped. A build whose search record exists, or an object stored with other content, is refused.
    """
    build_dir = Path(build_dir)
    meta_path = build_dir / artifacts.METADATA
    meta = metadata.validate(metadata.read(meta_path), str(meta_path))
    version = meta["venv_version"]
    names = artifacts.publish_order(version, metadata.compression_of(meta))
    missing = [n for n in names if not (build_dir / n).is_file()]
    if missing:
        raise UsageError(f"{build_dir}: not a complete build folder, missing {', '.join(missing)}")

    record_key = store.record_key(version, meta["created_at"])
    if store.checksum(record_key) is not None:
        raise StoreError(f"{version} is already published in {store.describe()}; a version is never overwritten")

    meta = metadata.with_store_urls(meta, store)
    metadata.write(meta, meta_path)

    for name in names:
        _put(store, store.build_key(version, name), build_dir / name, version)
    _put(store, record_key, meta_path, version)
    say(f"published {version} to {store.url(store.build_key(version, ''))}")
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
        raise StoreError(
            f"{store.url(key)} already exists with other content: {version} belongs to another build"
        )
    say(f"{key} already stored with the same sha256, skipped")
