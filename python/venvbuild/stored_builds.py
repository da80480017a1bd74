"""Reading published builds back from a store (local folder or S3): one build's metadata.json, every search
record, one artifact. A record that is not schema-valid metadata is a damaged store, named in one line."""

import functools
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
    error = jsonschema.exceptions.best_match(_validator().iter_errors(meta))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise StoreError(f"{where}: damaged build record, {path}: {error.message}")
    return meta


def read_build(store, version: str, parameter: str = "VERSION") -> dict:
    """The metadata.json of a published build; a UsageError naming parameter when the store has no such build."""
    naming.check("venv_version", version, parameter)
    key = store.build_key(version, artifacts.METADATA)
    data = store.read_bytes(key)
    if data is None:
        raise UsageError(f"{parameter} {version}: no such build in {store.describe()}")
    return parse(data, store.url(key))


def read_artifact(store, version: str, name: str) -> Optional[bytes]:
    return store.read_bytes(store.build_key(version, name))


def record_keys(store) -> list:
    """Keys of every search record, sorted (oldest day first); files being published are left out."""
    prefix = store.metadata_prefix() + "/"
    return sorted(k for k in store.keys_under(prefix) if _RECORD.fullmatch(k[len(prefix):]))


def all_records(store) -> list:
    """Every published build's record, oldest first."""
    records = []
    for key in record_keys(store):
        data = store.read_bytes(key)
        if data is not None:  # removed since it was listed
            records.append(parse(data, store.url(key)))
    return sorted(records, key=lambda m: (m["created_at"], m["venv_version"]))
