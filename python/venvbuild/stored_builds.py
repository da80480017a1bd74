"""Reading published builds back from a store (local folder or S3): one build's metadata.json, every search
record, one artifact. A record that is not schema-valid metadata is a damaged store, named in one line."""

import functools
import hashlib
import json
import re
from typing import Optional

import jsonschema

from venvbuild import artifacts, metadata, naming
from venvbuild.errors import StoreError, UsageError

_RECORD = re.compile(r"dt=[0-9]{4}-[0-9]{2}-[0-9]{2}/venv_[0-9]{8}_[0-9]{6}\.json")


@functools.lru_cache(maxsize=1)
def _validator():
    return jsonschema.Draft202012Validator(metadata.schema())


def parse(data: bytes, where: str) -> dict:
    """A stored metadata.json or search record, checked against the schema; StoreError naming where if not."""
    try:
        meta = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise StoreError(f"{where}: damaged build record, not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{where}: damaged build record, not a JSON object")
    if _quick_valid(meta):
        return meta
    error = jsonschema.exceptions.best_match(_validator().iter_errors(meta))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise StoreError(f"{where}: damaged build record, {path}: {error.message}")
    return meta


_JSON_TYPES = {"string": str, "boolean": bool, "integer": int, "array": list, "object": dict, "null": type(None)}


@functools.lru_cache(maxsize=1)
def _rules():
    """(required names, allowed names, [(name, types, compiled pattern, enum, item rule)]) from the schema."""
    schema = metadata.schema()

    def rule(name, spec):
        kinds = spec.get("type")
        kinds = tuple(_JSON_TYPES[k] for k in (kinds if isinstance(kinds, list) else [kinds])) if kinds else None
        pattern = re.compile(spec["pattern"]) if "pattern" in spec else None
        items = rule(None, spec["items"]) if "items" in spec else None
        allowed = frozenset(spec["properties"]) if spec.get("additionalProperties") is False else None
        nested = tuple(rule(n, p) for n, p in spec.get("properties", {}).items())
        return (name, kinds, pattern, tuple(spec["enum"]) if "enum" in spec else None, items,
                tuple(spec.get("required", ())), allowed, nested, spec.get("minimum"))

    return (tuple(schema["required"]), frozenset(schema["properties"]),
            [rule(name, spec) for name, spec in schema["properties"].items()])


def _quick_valid(meta: dict) -> bool:
    """The schema's checks (types, patterns, enums, required and allowed names) without jsonschema's
    machinery, which would take most of a 10,000-build catalog's time. False sends the record to
    jsonschema, for its precise message."""
    required, allowed, rules = _rules()
    if any(name not in meta for name in required) or not allowed.issuperset(meta):
        return False
    return all(_fits(meta[rule[0]], rule) for rule in rules if rule[0] in meta)


def _fits(value, rule) -> bool:
    _, kinds, pattern, enum, items, required, allowed, nested, minimum = rule
    if kinds and (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)):
        return False
    if pattern is not None and isinstance(value, str) and not pattern.search(value):
        return False
    if enum is not None and value not in enum:
        return False
    if minimum is not None and isinstance(value, (int, float)) and value < minimum:
        return False
    if isinstance(value, dict) and (any(name not in value for name in required)
                                    or (allowed is not None and not allowed.issuperset(value))
                                    or not all(_fits(value[r[0]], r) for r in nested if r[0] in value)):
        return False
    if items is not None and isinstance(value, list):
        return all(_fits(item, items) for item in value)
    return True


def read_build(store, version: str, parameter: str = "VERSION") -> dict:
    """The metadata.json of a published build; a UsageError naming parameter when the store has no such build."""
    naming.check("venv_version", version, parameter)
    key = store.build_key(version, artifacts.METADATA)
    data = store.read(key)
    if data is None:
        raise UsageError(f"{parameter} {version}: no such build in {store.describe()}")
    return parse(data, store.url(key))


def read_artifact(store, version: str, name: str) -> Optional[bytes]:
    return store.read(store.build_key(version, name))


def record_keys(store) -> list:
    """Keys of every search record, sorted (oldest day first); files being published are left out."""
    prefix = store.metadata_prefix() + "/"
    return sorted(k for k in store.keys_under(prefix) if _RECORD.fullmatch(k[len(prefix):]))


def all_records(store) -> list:
    """Every published build's record, oldest first."""
    return [meta for meta, _ in records_with_digests(store)]


def records_with_digests(store, known=None) -> list:
    """[(record, sha256 of its bytes)] of every published build, oldest first. known maps a venv_version to
    (record, sha256) already read and found valid (records are create-only): those are not read again."""
    known = known or {}
    records = []
    for key in record_keys(store):
        version = key.rsplit("/", 1)[-1][: -len(".json")]
        if version in known:
            records.append(known[version])
            continue
        data = store.read(key)
        if data is None:  # removed since it was listed
            continue
        meta = parse(data, store.url(key))
        if meta.get("venv_version") != version:
            raise StoreError(f"{store.url(key)}: damaged build record, it holds {meta.get('venv_version')!r}")
        records.append((meta, hashlib.sha256(data).hexdigest()))
    return sorted(records, key=lambda pair: (pair[0]["created_at"], pair[0]["venv_version"]))
