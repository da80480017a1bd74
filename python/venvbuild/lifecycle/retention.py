"""Retention (`venvbuild gc`): which builds to delete, and deleting them so that nothing in use is lost.

Per env name, a build is kept when it is one of the newest --keep-last N, was created within
--keep-days D, is what a current tag points at, or was returned by a reuse within those D days.
The rest are deleted in an order that keeps the store consistent at every step:

    1. a tombstone  <prefix>-gc/<version>.json   (create-only: what is being deleted, for a resumed run)
    2. the search record                          (from here on no search lists the build); one in a
                                                  compacted file: the day's file rewritten without it
                                                  (stored and checked), then the old one deleted
    3. the reuse pointer naming the build, and its returned-events
    4. metadata.json, then the other artifacts, then the version's claim (`<prefix>-metadata/_claims/`)
    5. the tombstone

A run interrupted anywhere is finished by the next one, which first completes every tombstone.
Build folders without a search record or tombstone are publishes in progress, or interrupted ones:
they are deleted only once nothing of them (their objects, their version's claim) has changed for a day,
checked again just before deleting. A version's age says nothing here: `venvbuild publish` of a build
made last month is a publish in progress too.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Dict, List

from venvbuild import naming
from venvbuild.errors import UsageError
from venvbuild.lifecycle import compaction, reuse, tags
from venvbuild.record import artifacts
from venvbuild.record.versions import moment_of
from venvbuild.store import layout, stored_builds
from venvbuild.store.base import ObjectExists, ObjectStore

INCOMPLETE_AFTER = timedelta(days=1)


@dataclass
class Build:
    venv_version: str
    env_name: str | None
    record_key: str | None
    build_key: str | None = None

    @property
    def created(self) -> datetime:
        return moment_of(self.venv_version)


@dataclass
class Plan:
    keep: Dict[str, str] = field(default_factory=dict)  # version -> why
    delete: List[Build] = field(default_factory=list)
    resume: List[Build] = field(default_factory=list)  # tombstoned by an interrupted run
    incomplete: List[Build] = field(default_factory=list)  # folders without a record, over a day old
    stale_pointers: List[str] = field(default_factory=list)


def check_rules(keep_last: int | None, keep_days: int | None) -> None:
    if keep_last is None and keep_days is None:
        raise UsageError("gc needs a keep rule: --keep-last N and/or --keep-days D (0 keeps only tagged builds)")
    for option, value in (("--keep-last", keep_last), ("--keep-days", keep_days)):
        if value is not None and value < 0:
            raise UsageError(f"{option} {value} is negative")


def plan(
    store: ObjectStore, keep_last: int | None, keep_days: int | None, env_name: str | None = None, now: datetime | None = None
) -> Plan:
    check_rules(keep_last, keep_days)
    if env_name is not None:
        naming.check("env_name", env_name, "--env-name")
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(days=keep_days) if keep_days is not None else None
    result = Plan()

    tombstoned = {b.venv_version: b for b in tombstones(store)}
    result.resume = [b for b in tombstoned.values() if env_name is None or b.env_name == env_name]
    published = _published(store)
    tagged = tags.tagged_versions(store)

    by_env: Dict[str, List[Build]] = {}
    for build in published.values():
        if build.venv_version not in tombstoned and (env_name is None or build.env_name == env_name):
            by_env.setdefault(build.env_name or "", []).append(build)
    for builds in by_env.values():
        builds.sort(key=lambda b: b.venv_version, reverse=True)
        for rank, build in enumerate(builds):
            why = _why_keep(store, build, rank, keep_last, since, tagged)
            if why:
                result.keep[build.venv_version] = why
            else:
                result.delete.append(build)

    if env_name is None:
        for version in sorted(_build_folders(store) - set(published) - set(tombstoned)):
            if now - moment_of(version) <= INCOMPLETE_AFTER:
                continue
            if _changed_recently(store, version, now):
                result.keep[version] = "never published completely, but changed within a day: a publish may be under way"
            else:
                result.incomplete.append(Build(version, None, None))
        result.stale_pointers = _stale_pointers(store, published, now)
    return result


def _why_keep(store, build: Build, rank: int, keep_last, since, tagged) -> str | None:
    if build.venv_version in tagged:
        names = sorted(name for (env, name), v in tags.current(store, build.env_name).items() if v == build.venv_version)
        return "tagged " + ", ".join(names)
    if keep_last is not None and rank < keep_last:
        return f"one of the newest {keep_last}"
    if since is not None and build.created >= since:
        return "created within the keep window"
    if since is not None:
        returned = [reuse.returned_at(k) for k in store.keys_under(layout.returned_prefix(store, build.venv_version))]
        if any(t is not None and t >= since for t in returned):
            return "returned by a reuse within the keep window"
    return None


def apply(store: ObjectStore, result: Plan, say) -> int:
    """Delete what result says; returns how many builds were deleted. What the plan read can be stale by
    now (a compact or another gc moved records meanwhile), so just before deleting, a build a current tag
    points at is kept, a build planned as never published that is published now is kept, and a reuse
    pointer whose build is published now is kept."""
    count = 0
    tagged = tags.tagged_versions(store)
    incomplete = {b.venv_version for b in result.incomplete}
    resumed = {b.venv_version for b in result.resume}
    for build in result.resume + result.delete + result.incomplete:
        if build.venv_version in incomplete and stored_builds.is_published(store, build.venv_version):
            say(f"kept {build.venv_version}: it is published (its record moved while the plan was made)")
            continue
        if build.venv_version in incomplete and _changed_recently(store, build.venv_version):
            say(f"kept {build.venv_version}: it changed within a day (a publish started while the plan was made)")
            continue
        if build.venv_version not in resumed and build.venv_version in tagged:
            say(f"kept {build.venv_version}: a tag points at it")
            continue
        _delete_build(store, build)
        say(f"deleted {build.venv_version}")
        count += 1
    for key in result.stale_pointers:
        body = reuse.read_json(store, key) or {}
        version = str(body.get("venv_version"))
        if layout.VERSION.fullmatch(version) and (reuse.published(store, version) or {}).get("build_key") == body.get(
            "build_key"
        ):
            say(f"kept the reuse pointer {key}: {version} is published (its record moved while the plan was made)")
            continue
        store.delete(key)
        say(f"deleted the stale reuse pointer {key}")
    return count


def _delete_build(store: ObjectStore, build: Build) -> None:
    tomb = layout.tombstone_key(store, build.venv_version)
    body = {
        "venv_version": build.venv_version,
        "env_name": build.env_name,
        "record_key": build.record_key,
        "build_key": build.build_key,
        "started_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    try:
        store.put_new_bytes(tomb, (json.dumps(body) + "\n").encode())
    except ObjectExists:
        pass  # resuming: the tombstone says the same
    if build.record_key:
        compaction.remove_record(store, build.venv_version)  # its single object or its line in a compacted file
    if build.build_key and build.env_name:
        pointer = layout.pointer_key(store, build.env_name, build.build_key)
        if (reuse.read_json(store, pointer) or {}).get("venv_version") == build.venv_version:
            store.delete(pointer)
    for key in list(store.keys_under(layout.returned_prefix(store, build.venv_version))):
        store.delete(key)
    store.delete(layout.artifact_key(store, build.venv_version, artifacts.METADATA))
    for key in list(store.keys_under(layout.build_folder(store, build.venv_version))):
        store.delete(key)
    store.delete(layout.claim_key(store, build.venv_version))  # the version's holder, last: nothing of it is left
    store.delete(tomb)


def _published(store: ObjectStore) -> Dict[str, Build]:
    found = {}
    for version, key, data in stored_builds.entries(store):
        record = reuse.json_object(data) or {}
        found[version] = Build(version, record.get("env_name"), key, record.get("build_key"))
    return found


def tombstones(store: ObjectStore) -> List[Build]:
    found = []
    for key in store.keys_under(layout.tombstones_prefix(store)):
        body = reuse.read_json(store, key) or {}
        version = str(body.get("venv_version", ""))
        if layout.VERSION.fullmatch(version):
            found.append(Build(version, body.get("env_name"), body.get("record_key"), body.get("build_key")))
    return found


def _changed_recently(store: ObjectStore, version: str, now: datetime | None = None) -> bool:
    """Whether an object of version's folder, or its claim, was written within INCOMPLETE_AFTER."""
    now = now or datetime.now(timezone.utc)
    changes = [
        store.last_change(layout.build_folder(store, version).rstrip("/")),
        store.last_change(layout.claim_key(store, version)),
    ]
    newest = max((t for t in changes if t is not None), default=None)
    return newest is not None and now - datetime.fromtimestamp(newest, timezone.utc) <= INCOMPLETE_AFTER


def _build_folders(store: ObjectStore) -> set:
    return {v for v in store.versions() if layout.VERSION.fullmatch(v)}


def _stale_pointers(store: ObjectStore, published: Dict[str, Build], now: datetime) -> List[str]:
    """Pointers naming no published build, claimed long enough ago not to be a publish in progress."""
    stale = []
    for key in store.keys_under(layout.pointers_prefix(store)):
        body = reuse.read_json(store, key) or {}
        named = published.get(str(body.get("venv_version")))
        if named is not None and named.build_key == body.get("build_key"):
            continue
        try:
            claimed = datetime.strptime(str(body.get("claimed_at")), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            claimed = None
        if claimed is None or now - claimed > reuse.FRESH:
            stale.append(key)
    return stale
