"""metadata.json: assembled from a build's facts, validated against resources/venvbuild/metadata.schema.json."""

import json
from pathlib import Path

import jsonschema

from venvbuild._util.resources import load_json
from venvbuild.errors import UsageError
from venvbuild.record import artifacts
from venvbuild.store import layout

SCHEMA = "metadata.schema.json"


def schema() -> dict:
    return load_json(SCHEMA)


def problems(meta: dict) -> list:
    validator = jsonschema.Draft202012Validator(schema())
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(top)'}: {err.message}"
        for err in sorted(validator.iter_errors(meta), key=lambda e: list(e.absolute_path))
    ]


def validate(meta: dict, source: str) -> dict:
    found = problems(meta)
    if found:
        raise UsageError(f"{source}: metadata does not match {SCHEMA}: {found[0]}")
    return meta


def dumps(meta: dict) -> str:
    """One JSON object on one line: what Athena's JSON SerDe reads as one record."""
    return json.dumps(meta, separators=(",", ":"), ensure_ascii=False) + "\n"


def write(meta: dict, path: Path) -> None:
    validate(meta, str(path))
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(dumps(meta), encoding="utf-8")
    except OSError as exc:  # a full disk: no half-written file left, and the message names the file
        tmp.unlink(missing_ok=True)
        exc.filename = exc.filename or str(path)
        raise
    tmp.replace(path)


def read(path: Path) -> dict:
    try:
        meta = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise UsageError(f"{path}: not a JSON object")
    return meta


def compression_of(meta: dict) -> str:
    return meta["venv_archive"].rsplit(".", 1)[-1]


def with_store_urls(meta: dict, store) -> dict:
    """The design's three URL fields, pointing at where store keeps this build."""
    version = meta["venv_version"]
    archive = artifacts.archive_name(version, compression_of(meta))
    return {
        **meta,
        "requirements_file": store.url(layout.artifact_key(store, version, artifacts.REQUIREMENTS)),
        "pipdeptree_output": store.url(layout.artifact_key(store, version, artifacts.PIPDEPTREE_JSON)),
        "venv_archive": store.url(layout.artifact_key(store, version, archive)),
    }
