"""Tags: names such as `stable` that point at one build of an env name, kept as append-only events.

    <prefix>-tags/<env_name>~<tag>~<sequence>.json    one event, one JSON line, written create-only

Each event takes the next sequence number of its tag; a create-only write decides between two taggers,
so the newest event is the one with the highest sequence, whatever the clocks say. `--remove` is an
event too. Nothing is ever rewritten: the history is the audit trail, and the tag events' own Athena
table (venvbuild.athena_ddl.render_tags) reads the same objects. Env and tag names cannot hold '~'.
"""

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Optional, Tuple

from venvbuild import naming, reuse
from venvbuild.console import say
from venvbuild.errors import StoreError, UsageError
from venvbuild.store.base import ObjectExists, ObjectStore

ADD, REMOVE = "add", "remove"
_RETRIES = 20


@dataclass(frozen=True)
class Event:
    env_name: str
    tag: str
    sequence: int
    venv_version: str
    action: str
    created_at: str

    def as_record(self) -> dict:
        return {"env_name": self.env_name, "tag": self.tag, "sequence": self.sequence,
                "venv_version": self.venv_version, "action": self.action, "created_at": self.created_at,
                "build_url": os.environ.get("BUILD_URL") or None}


def prefix(store: ObjectStore) -> str:
    return f"{store.prefix}-tags/"


def event_key(store: ObjectStore, env_name: str, tag: str, sequence: int) -> str:
    return f"{prefix(store)}{env_name}~{tag}~{sequence:010d}.json"


def check_tag(tag: str, parameter: str = "TAG") -> str:
    return naming.check("tag", tag, parameter)


def events(store: ObjectStore, env_name: Optional[str] = None, tag: Optional[str] = None) -> List[Event]:
    """The tag events, oldest first per (env name, tag); narrowed to one env name and tag when given."""
    start = prefix(store) + (f"{env_name}~{tag}~" if env_name and tag else f"{env_name}~" if env_name else "")
    found = []
    for key in store.keys_under(start):
        name = key[len(prefix(store)):]
        parts = name[:-len(".json")].split("~") if name.endswith(".json") else []
        if len(parts) != 3 or not parts[2].isdigit() or (tag and parts[1] != tag):
            continue
        record = reuse.read_json(store, key) or {}
        found.append(Event(parts[0], parts[1], int(parts[2]), str(record.get("venv_version", "")),
                           str(record.get("action", "")), str(record.get("created_at", ""))))
    return sorted(found, key=lambda e: (e.env_name, e.tag, e.sequence))


def current(store: ObjectStore, env_name: Optional[str] = None, tag: Optional[str] = None) -> Dict[Tuple[str, str], str]:
    """(env name, tag) -> the version its newest event points at; removed tags are absent."""
    newest: Dict[Tuple[str, str], Event] = {}
    for event in events(store, env_name, tag):
        newest[(event.env_name, event.tag)] = event
    return {k: e.venv_version for k, e in newest.items() if e.action == ADD}


def resolve(store: ObjectStore, tag: str, env_name: Optional[str] = None) -> str:
    """The venv_version tag points at (for env_name, or the one env name that has it); the API behind
    `venvbuild pull --tag` and `withVenv(tag:)`. UsageError when the tag is unset or ambiguous."""
    check_tag(tag, "--tag")
    if env_name is not None:
        naming.check("env_name", env_name, "--env-name")
    live = current(store, env_name, tag)
    if not live:
        where = f" for env {env_name}" if env_name else ""
        raise UsageError(f"--tag {tag}: no build is tagged {tag}{where} in {store.describe()}")
    if len(live) > 1:
        envs = ", ".join(sorted(env for env, _ in live))
        raise UsageError(f"--tag {tag}: builds of several env names carry it ({envs}); give --env-name")
    return next(iter(live.values()))


def tag(store: ObjectStore, version: str, tag_name: str, remove: bool = False) -> Event:
    """Append an event pointing tag_name at version (or removing it from version); returns the event."""
    naming.check("venv_version", version, "VERSION")
    check_tag(tag_name)
    meta = reuse.published(store, version)
    if meta is None:
        raise UsageError(f"VERSION {version}: no such published build in {store.describe()}")
    env_name = naming.check("env_name", meta.get("env_name"), f"{version}'s env_name")
    for _ in range(_RETRIES):
        history = events(store, env_name, tag_name)
        last = history[-1] if history else None
        points_at = last.venv_version if last is not None and last.action == ADD else None
        if remove and points_at != version:
            now = f"points at {points_at}" if points_at else "is not set"
            raise UsageError(f"TAG {tag_name}: for env {env_name} it {now}, not at {version}; nothing removed")
        if not remove and last is not None and points_at == version:
            say(f"{tag_name} already points at {version} (env {env_name})")
            return last
        event = Event(env_name, tag_name, (last.sequence + 1) if last else 1, version, REMOVE if remove else ADD,
                      datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        try:
            store.put_new_bytes(event_key(store, env_name, tag_name, event.sequence),
                                (json.dumps(event.as_record()) + "\n").encode("utf-8"))
            return event
        except ObjectExists:
            continue  # another tagger took this sequence number: read the history again
    raise StoreError(f"TAG {tag_name}: other taggers kept taking the next event; try again")


def tagged_versions(store: ObjectStore, tag_names: Iterable[str] = (), env_name: Optional[str] = None) -> set:
    """Versions some current tag (or one of tag_names) points at."""
    wanted = set(tag_names)
    return {v for (env, name), v in current(store, env_name).items() if not wanted or name in wanted}
