"""Tags: names such as `stable` that point at one build of an env name, kept as append-only events.

    <prefix>-tags/<env_name>~<tag>~<sequence>.json    one event, one JSON line, written create-only

Each event takes the next sequence number of its tag; a create-only write decides between two taggers,
so the newest event is the one with the highest sequence, whatever the clocks say. The object's NAME
says whose event it is (env name, tag, a sequence of exactly 10 digits, so no two events of a tag share
one); its contents say only which build and whether it is added or removed. An event whose contents are
not one line holding a JSON object with a venv_version and an action add|remove is damaged: it is
warned about, and as the newest event it leaves the tag unset. An empty object holds no event (Athena
reads no row from it). sql/search_athena_tagged.sql reads the same objects by the same rules.
`--remove` is an event too. Nothing is ever rewritten: the history is the audit trail, and the tag events' own Athena
table (venvbuild.query.ddl.render_tags) reads the same objects. Env and tag names cannot hold '~'.
"""

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Dict, Iterable, List, Tuple

from venvbuild import naming
from venvbuild._util.console import say
from venvbuild.errors import StoreError, UsageError
from venvbuild.lifecycle import reuse
from venvbuild.store import layout
from venvbuild.store.base import ObjectExists, ObjectStore

ADD, REMOVE = "add", "remove"
_RETRIES = 20
_EMPTY = "<empty>"  # the action of an empty object in _scan: it holds no event
_warned: set = set()  # (store, key) already warned about in this process: one line per damaged object


@dataclass(frozen=True)
class Event:
    env_name: str
    tag: str
    sequence: int
    venv_version: str
    action: str
    created_at: str

    def as_record(self) -> dict:
        return {
            "env_name": self.env_name,
            "tag": self.tag,
            "sequence": self.sequence,
            "venv_version": self.venv_version,
            "action": self.action,
            "created_at": self.created_at,
            "build_url": os.environ.get("BUILD_URL") or None,
        }


def check_tag(tag: str, parameter: str = "TAG") -> str:
    return naming.check("tag", tag, parameter)


def events(store: ObjectStore, env_name: str | None = None, tag: str | None = None) -> List[Event]:
    """The tag events, oldest first per (env name, tag); narrowed to one env name and tag when given.
    A damaged event has an empty venv_version and action; an empty object is no event."""
    return [e for e in _scan(store, env_name, tag) if e.action != _EMPTY]


def _scan(store: ObjectStore, env_name: str | None, tag: str | None) -> list:
    found = []
    for key in store.keys_under(layout.tag_events_prefix(store, env_name, tag)):
        name = layout.TAG_EVENT_NAME.fullmatch(key[len(layout.tags_prefix(store)) :])
        if name is None or (tag and name.group(2) != tag):
            continue
        data = store.read(key)
        if data is None:
            continue  # deleted since it was listed
        record = _contents(data)
        if record is None:
            _warn(
                store,
                key,
                "is empty: it holds no tag event"
                if not data
                else "is not one line holding a JSON object with a venv_version and an action add or remove: "
                "it leaves the tag unset while it is the newest event",
            )
        action = _EMPTY if not data else record["action"] if record else ""
        found.append(
            Event(
                name.group(1),
                name.group(2),
                int(name.group(3)),
                record["venv_version"] if record else "",
                action,
                str(record.get("created_at", "")) if record else "",
            )
        )
    return sorted(found, key=lambda e: (e.env_name, e.tag, e.sequence))


def _contents(data: bytes) -> dict | None:
    """The event's record, read as Athena's JSON SerDe reads an object (one row per line, a trailing newline
    ending the last line); None unless that is exactly one line holding a JSON object with a string
    venv_version and an action add or remove."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    if not text or len(lines) != 1:
        return None
    try:
        record = json.loads(lines[0])
    except ValueError:
        return None
    if (
        not isinstance(record, dict)
        or not isinstance(record.get("venv_version"), str)
        or record.get("action") not in (ADD, REMOVE)
    ):
        return None
    return record


def _warn(store: ObjectStore, key: str, problem: str) -> None:
    if (store.describe(), key) not in _warned:
        _warned.add((store.describe(), key))
        say(f"warning: tag event {store.url(key)} {problem}")


def current(store: ObjectStore, env_name: str | None = None, tag: str | None = None) -> Dict[Tuple[str, str], str]:
    """(env name, tag) -> the version its newest event points at; removed tags are absent."""
    newest: Dict[Tuple[str, str], Event] = {}
    for event in events(store, env_name, tag):
        newest[(event.env_name, event.tag)] = event
    return {k: e.venv_version for k, e in newest.items() if e.action == ADD}


def resolve(store: ObjectStore, tag: str, env_name: str | None = None) -> str:
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
    [((env, _), version)] = live.items()
    meta = reuse.published(store, version)
    if meta is not None and meta.get("env_name") != env:
        # What search --tag (locally and on Athena) counts as no build: an event points only into its own env.
        raise UsageError(f"--tag {tag}: for env {env} it points at {version}, a build of env {meta.get('env_name')}; not pulled")
    return version


def tag(store: ObjectStore, version: str, tag_name: str, remove: bool = False) -> Event:
    """Append an event pointing tag_name at version (or removing it from version); returns the event."""
    naming.check("venv_version", version, "VERSION")
    check_tag(tag_name)
    meta = reuse.published(store, version)
    if meta is None:
        raise UsageError(f"VERSION {version}: no such published build in {store.describe()}")
    env_name = naming.check("env_name", meta.get("env_name"), f"{version}'s env_name")
    for _ in range(_RETRIES):
        history = _scan(store, env_name, tag_name)
        sequence = history[-1].sequence + 1 if history else 1  # past an empty object too
        counted = [e for e in history if e.action != _EMPTY]
        last = counted[-1] if counted else None
        points_at = last.venv_version if last is not None and last.action == ADD else None
        if remove and points_at != version:
            now = f"points at {points_at}" if points_at else "is not set"
            raise UsageError(f"TAG {tag_name}: for env {env_name} it {now}, not at {version}; nothing removed")
        if not remove and last is not None and points_at == version:
            say(f"{tag_name} already points at {version} (env {env_name})")
            return last
        event = Event(
            env_name,
            tag_name,
            sequence,
            version,
            REMOVE if remove else ADD,
            datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        try:
            store.put_new_bytes(
                layout.tag_event_key(store, env_name, tag_name, event.sequence),
                (json.dumps(event.as_record()) + "\n").encode("utf-8"),
            )
            return event
        except ObjectExists:
            continue  # another tagger took this sequence number: read the history again
    raise StoreError(f"TAG {tag_name}: other taggers kept taking the next event; try again")


def tagged_builds(store: ObjectStore, tag_names: Iterable[str] = (), env_name: str | None = None) -> set:
    """(env name, version) of each build some current tag (or one of tag_names) points at: an event names
    its env name, and points only at a build of that env name (the Athena query joins on both)."""
    wanted = set(tag_names)
    return {(env, v) for (env, name), v in current(store, env_name).items() if not wanted or name in wanted}


def tagged_versions(store: ObjectStore, tag_names: Iterable[str] = (), env_name: str | None = None) -> set:
    """Versions some current tag (or one of tag_names) points at."""
    return {v for _, v in tagged_builds(store, tag_names, env_name)}
