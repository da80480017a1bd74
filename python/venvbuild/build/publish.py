"""Publishing a build folder to a store: create-only, resumable, metadata.json last, then the search record."""

import hashlib
import socket
import tempfile
from pathlib import Path
from typing import Tuple

from venvbuild._util.checksum import sha256_file
from venvbuild._util.console import detail, say
from venvbuild.errors import StoreError, UsageError
from venvbuild.lifecycle import reuse
from venvbuild.record import artifacts, metadata
from venvbuild.record.versions import created_at_of, moment_of, next_version
from venvbuild.store import layout, stored_builds
from venvbuild.store.base import ObjectExists, ObjectStore


class VersionTaken(StoreError):
    """Another build holds this version in the store."""


def publish(
    build_dir: Path, store: ObjectStore, renumber: bool = False, pointer_claimed: bool = False, give_up_archive: bool = False
) -> dict:
    """give_up_archive: build_dir is a temporary build's, never written again, so a local store on the same
    file system may link its archive into place instead of copying it."""
    try:
        return _publish(Path(build_dir), store, renumber, pointer_claimed, give_up_archive)
    except OSError as exc:  # the build folder cannot be read or rewritten (disk full): the publish stage's code
        raise StoreError(f"publish: {exc.filename or build_dir}: {exc.strerror or exc}") from None


def _publish(build_dir: Path, store: ObjectStore, renumber: bool, pointer_claimed: bool, give_up_archive: bool = False) -> dict:
    """Publish the seven artifacts of build_dir (and the extra ones its metadata lists); returns the metadata as stored.

    Re-running after an interruption finishes the job: objects already stored with the same sha256 are
    skipped. A build whose search record exists, or an object stored with other content, is refused.
    With renumber, a version that another build took first (two builds started in the same second)
    moves this build to the next free second instead: its archive and metadata.json are renamed to match.
    A reusable build then claims its build_key's pointer, unless pointer_claimed says it already has.
    """
    meta = _complete_build(build_dir)
    _verify(build_dir, meta)
    meta = _note_other_content(build_dir, meta, store)
    claimed_as = meta["venv_version"] if pointer_claimed else None
    meta = _claim_version(build_dir, meta, store, renumber, give_up_archive)
    version, names = meta["venv_version"], _names(meta)
    for name in names[1:]:
        _put(store, layout.artifact_key(store, version, name), build_dir / name, version)
    _put(store, layout.record_key(store, version), meta_path_of(build_dir), version)
    say(f"published {version} to {store.url(layout.build_folder(store, version))}")
    if claimed_as is not None and claimed_as != version:
        say(
            f"warning: the build_key's reuse pointer names {claimed_as}, which another build took; "
            "`venvbuild gc` clears it and the next build of these inputs claims it again"
        )
    elif claimed_as is None and _claims_pointer(meta):
        try:
            reuse.claim(store, meta["env_name"], meta["build_key"], version, _claim_id(build_dir, meta))
        except StoreError as exc:  # the build is published; only its reuse pointer is missing
            say(f"warning: {version} is published, but its reuse pointer could not be written: {exc}")
    return meta


def publish_or_reuse(
    build_dir: Path, store: ObjectStore, renumber: bool = False, give_up_archive: bool = False
) -> Tuple[dict, bool]:
    """Publish, unless another build of the same build_key claimed the key's pointer first: then
    publish nothing and return that build once it is published. Returns (metadata, reused)."""
    build_dir = Path(build_dir)
    meta = _complete_build(build_dir)
    if not _claims_pointer(meta):
        return publish(build_dir, store, renumber, give_up_archive=give_up_archive), False
    claim_id = _claim_id(build_dir, meta)
    held = reuse.claim(store, meta["env_name"], meta["build_key"], meta["venv_version"], claim_id)
    if held is None or held.get("claim_id") == claim_id:  # claimed now, or by an interrupted run of this publish
        return publish(build_dir, store, renumber, pointer_claimed=True, give_up_archive=give_up_archive), False
    winner = reuse.wait_for_winner(store, held, meta["build_key"])
    if winner is None:
        say(
            f"reuse: the build_key's pointer names {held.get('venv_version')}, which is not a published build "
            "of these inputs; publishing this build"
        )
        return publish(build_dir, store, renumber, give_up_archive=give_up_archive), False
    reuse.record_returned(store, winner)
    say(f"reuse: {winner['venv_version']} claimed this build_key first; returning it, nothing published")
    return winner, True


def _claim_id(build_dir: Path, meta: dict) -> str:
    """Names this build's claim, so a re-run finds its own pointer: two builds of one key started in the
    same second share the version, and reproducible archives make even the archive the same. The build's
    build_id says it; a build from before build_id is named by its host, folder, version and archive."""
    if meta.get("build_id"):
        return meta["build_id"]
    mark = f"{socket.gethostname()}|{Path(build_dir).resolve()}|{meta['venv_version']}|{meta['archive_sha256']}"
    return hashlib.sha256(mark.encode("utf-8")).hexdigest()


def meta_path_of(build_dir: Path) -> Path:
    return Path(build_dir) / artifacts.METADATA


def _complete_build(build_dir: Path) -> dict:
    meta_path = meta_path_of(build_dir)
    meta = metadata.validate(metadata.read(meta_path), str(meta_path))
    missing = [n for n in _names(meta) if not (build_dir / n).is_file()]
    if missing:
        raise UsageError(f"{build_dir}: not a complete build folder, missing {', '.join(missing)}")
    return meta


def _claims_pointer(meta: dict) -> bool:
    """Only a conflict-free build whose requirements pin all it installed is what its inputs give again."""
    return bool(meta.get("build_key")) and meta.get("is_conflict_free") is True and meta.get("fully_pinned") is True


def _note_other_content(build_dir: Path, meta: dict, store: ObjectStore) -> dict:
    """Warn, and record in content_differs_from, when the key's earlier build installed other bytes."""
    if not _claims_pointer(meta) or meta.get("content_differs_from"):
        return meta
    if store.checksum(layout.artifact_key(store, meta["venv_version"], artifacts.METADATA)) is not None:
        return meta  # a resumed publish: metadata.json is stored as it was first written
    held = reuse.pointer(store, meta["env_name"], meta["build_key"])
    version = (held or {}).get("venv_version")
    if not version or version == meta["venv_version"]:
        return meta
    try:
        earlier = reuse.published(store, version)
    except ValueError:
        return meta
    if (
        earlier is None
        or earlier.get("build_key") != meta["build_key"]
        or not earlier.get("content_key")
        or earlier.get("content_key") == meta.get("content_key")
    ):
        return meta
    say(
        f"warning: {version} has the same build_key but other content: the index served different files "
        f"for the same inputs (recorded as content_differs_from)"
    )
    meta = {**meta, "content_differs_from": version}
    metadata.write(meta, meta_path_of(build_dir))
    return meta


def _claim_version(build_dir: Path, meta: dict, store: ObjectStore, renumber: bool, give_up_archive: bool) -> dict:
    """Claim meta's version for this build, then store the archive: where two builds of one second meet.
    Returns meta with the store's URLs, as written to build_dir's metadata.json.

    The claim, `<prefix>-metadata/_claims/<version>`, is a create-only copy of the metadata.json about to be
    published, so it names the build (its build_id), not its bytes: two builds whose archives are identical
    (uv at the same workspace path) are still two builds, and a re-run of this build finds its own claim."""
    while True:
        version = meta["venv_version"]
        try:
            published = stored_builds.is_published(store, version)
            _refuse_another_build(meta, store)
            if published:
                raise StoreError(f"{version} is already published in {store.describe()}; a version is never overwritten")
            meta = layout.with_store_urls(meta, store)
            _claim(store, meta)
            metadata.write(meta, build_dir / artifacts.METADATA)
            archive = _names(meta)[0]
            # _verify checked the archive against archive_sha256 moments ago: not hashed again.
            _put(
                store,
                layout.artifact_key(store, version, archive),
                build_dir / archive,
                version,
                sha256=meta["archive_sha256"],
                movable=give_up_archive,
            )
            return meta
        except VersionTaken:
            if not renumber:
                raise
            meta = _renumbered(build_dir, meta, store)
            say(f"{version} was taken by another build; publishing as {meta['venv_version']}")


def _claim(store: ObjectStore, meta: dict) -> None:
    """Store the claim (create-only); VersionTaken when another build's claim is there."""
    with tempfile.TemporaryDirectory(prefix="venvbuild-claim-") as folder:
        claim = Path(folder, artifacts.METADATA)
        claim.write_text(metadata.dumps(meta), encoding="utf-8")
        _put(store, layout.claim_key(store, meta["venv_version"]), claim, meta["venv_version"], quiet=True)


def _verify(build_dir: Path, meta: dict) -> None:
    """Refuse a build folder whose files are not the bytes its metadata.json describes (changed after the
    Metadata stage): the stored metadata would describe other bytes."""
    archive = build_dir / _names(meta)[0]
    size = archive.stat().st_size
    if size != meta["archive_size"]:
        raise StoreError(
            f"{archive}: {size} bytes, but {artifacts.METADATA} records archive_size "
            f"{meta['archive_size']}; the build folder changed after the Metadata stage, nothing published"
        )
    for path, field in ((archive, "archive_sha256"), (build_dir / artifacts.REQUIREMENTS, "requirements_sha256")):
        found = sha256_file(path)
        if found != meta[field]:
            raise StoreError(
                f"{path}: sha256 {found}, but {artifacts.METADATA} records {field} {meta[field]}; "
                "the build folder changed after the Metadata stage, nothing published"
            )


def _names(meta: dict) -> list:
    return artifacts.publish_order(meta["venv_version"], metadata.compression_of(meta), meta.get("extra_artifacts", ()))


def _refuse_another_build(meta: dict, store: ObjectStore) -> None:
    """Raise VersionTaken when another build visibly holds meta's version (also one published before
    claims existed); this very build, maybe half published, passes. The claim decides the rest."""
    version = meta["venv_version"]
    if not store.any_under(layout.build_folder(store, version)):
        return
    meta_key = layout.artifact_key(store, version, artifacts.METADATA)
    stored_meta = store.checksum(meta_key)
    if stored_meta is not None:
        ours = hashlib.sha256(metadata.dumps(layout.with_store_urls(meta, store)).encode("utf-8")).hexdigest()
        if stored_meta != ours:
            raise VersionTaken(f"{store.url(meta_key)} already exists with other content: {version} belongs to another build")
        return
    # The archive goes first: a half-published build has it, and ours has our sha256.
    archive_key = layout.artifact_key(store, version, _names(meta)[0])
    stored_archive = store.checksum(archive_key)
    if stored_archive is not None and stored_archive != meta["archive_sha256"]:
        raise VersionTaken(f"{store.url(archive_key)} already exists with other content: {version} belongs to another build")


def _renumbered(build_dir: Path, meta: dict, store: ObjectStore) -> dict:
    """meta moved to the next second, with the archive in build_dir renamed to match."""
    old_archive = _names(meta)[0]
    version = next_version(meta["venv_version"])
    meta = {**meta, "venv_version": version, "created_at": created_at_of(moment_of(version))}
    meta = layout.with_store_urls(meta, store)
    (build_dir / old_archive).rename(build_dir / _names(meta)[0])
    metadata.write(meta, build_dir / artifacts.METADATA)
    return meta


def _put(
    store: ObjectStore, key: str, path: Path, version: str, quiet: bool = False, sha256: str | None = None, movable: bool = False
) -> None:
    local = sha256 or sha256_file(path)
    stored = store.checksum(key)
    if stored is None:
        try:
            store.put_new(key, path, local, movable=movable)
            detail(f"stored {key}")
            return
        except ObjectExists:
            stored = store.checksum(key)
    if stored != local:
        raise VersionTaken(f"{store.url(key)} already exists with other content: {version} belongs to another build")
    if not quiet:
        say(f"{key} already stored with the same sha256, skipped")
