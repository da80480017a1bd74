"""Reuse: finding the published build of a build_key through a create-only pointer per env name and key.

    <prefix>-reuse/keys/<env_name>/<build_key>.json        the pointer: the first build of the key to claim it
    <prefix>-reuse/returned/<venv_version>/<stamp>-<id>.json  one event each time a reuse returned a build

The pointer is written create-only, like a version: of two builds of one key, the first to claim it
publishes and the other returns that build. Only conflict-free builds whose requirements pin their whole
installed set claim a pointer: only then do the same inputs give the same environment. A reader trusts
a pointer only when the build it names is published (its search record exists) with the same key, so a
pointer left by an interrupted publish or a collected build is never returned.
"""

import json
import secrets
import time
from datetime import datetime, timedelta, timezone

from venvbuild._util.console import say
from venvbuild.record.versions import moment_of
from venvbuild.store import layout, stored_builds
from venvbuild.store.base import ObjectExists, ObjectStore

WAIT_S = 600.0  # how long the loser of a pointer race waits for the winner's publish to finish
FRESH = timedelta(hours=1)  # a pointer older than this whose build never appeared is stale, not in flight
_STAMP = "%Y%m%dT%H%M%S%fZ"


def read_json(store: ObjectStore, key: str) -> dict | None:
    return json_object(store.read(key))


def json_object(data: bytes | None) -> dict | None:
    if data is None:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def published(store: ObjectStore, version: str) -> dict | None:
    """The search record of version, present only once the whole build is published (its single object
    or a line of its day's compacted file); None otherwise."""
    moment_of(version)  # ValueError for what is not a version
    return json_object(stored_builds.find_record(store, version))


def pointer(store: ObjectStore, env_name: str, build_key: str) -> dict | None:
    return read_json(store, layout.pointer_key(store, env_name, build_key))


def reusable(meta: dict | None, build_key: str) -> bool:
    return (
        meta is not None
        and meta.get("build_key") == build_key
        and meta.get("is_conflict_free") is True
        and meta.get("fully_pinned") is True
    )


def find(store: ObjectStore, env_name: str, build_key: str) -> dict | None:
    """The published, conflict-free build of this key and env name, or None (saying why when one is named)."""
    claim = pointer(store, env_name, build_key)
    if claim is None:
        say(f"reuse: no build of {env_name} with build_key {build_key[:12]} in {store.describe()}; building")
        return None
    version = str(claim.get("venv_version", ""))
    try:
        meta = published(store, version)
    except ValueError:  # not a version: a pointer venvbuild did not write
        meta = None
    if not reusable(meta, build_key):
        say(
            f"reuse: the build_key's pointer names {version or 'nothing'}, which is not a published, "
            "conflict-free, fully pinned build of these inputs; building"
        )
        return None
    return meta


def claim(store: ObjectStore, env_name: str, build_key: str, version: str, claim_id: str) -> dict | None:
    """Claim the key's pointer for version; None when claimed, else the pointer held (maybe by claim_id)."""
    body = {
        "build_key": build_key,
        "env_name": env_name,
        "venv_version": version,
        "claim_id": claim_id,
        "claimed_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    try:
        store.put_new_bytes(layout.pointer_key(store, env_name, build_key), (json.dumps(body) + "\n").encode())
        return None
    except ObjectExists:
        return pointer(store, env_name, build_key) or {}


def wait_for_winner(store: ObjectStore, claim_held: dict, build_key: str, wait_s: float = WAIT_S) -> dict | None:
    """The build named by another's pointer once published; None when it is stale or never appears."""
    version = str(claim_held.get("venv_version", ""))
    try:
        moment_of(version)
    except ValueError:
        return None
    deadline, delay, noted = time.monotonic() + wait_s, 0.2, False
    while True:
        meta = published(store, version)
        if meta is not None:
            return meta if reusable(meta, build_key) else None
        if not _fresh(claim_held) or time.monotonic() >= deadline:
            return None
        if not noted:
            say(f"reuse: {version} holds this build_key and is being published; waiting for it")
            noted = True
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def _fresh(claim_held: dict) -> bool:
    try:
        claimed = datetime.strptime(str(claim_held.get("claimed_at")), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return False
    return datetime.now(timezone.utc) - claimed < FRESH


def record_returned(store: ObjectStore, meta: dict) -> None:
    """Note that a reuse returned this build now: retention keeps a build returned within its keep window."""
    now = datetime.now(timezone.utc)
    event = {
        "venv_version": meta["venv_version"],
        "env_name": meta.get("env_name"),
        "build_key": meta.get("build_key"),
        "returned_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    key = layout.returned_key(store, meta["venv_version"], now.strftime(_STAMP), secrets.token_hex(4))
    store.put_new_bytes(key, (json.dumps(event) + "\n").encode())


def returned_at(key: str) -> datetime | None:
    """When a returned-event was written, from its key."""
    stamp = key.rsplit("/", 1)[-1].split("-", 1)[0]
    try:
        return datetime.strptime(stamp, _STAMP).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
