"""metadata.json: assembled from a build's facts, and the one check of a build record against
resources/venvbuild/metadata.schema.json, for every command that writes or reads one.

The check is the schema compiled by venvbuild.record.schema_check (a few percent of jsonschema's time per
record: a catalog or search reads every record of a store); jsonschema only explains a record the check
refused. python/tests/test_schema_check.py holds the two to the same answers.
"""

import functools
import json
from pathlib import Path

import jsonschema

from venvbuild._util import atomic
from venvbuild._util.resources import load_json
from venvbuild.errors import UsageError
from venvbuild.record import schema_check

SCHEMA = "metadata.schema.json"


def schema() -> dict:
    return load_json(SCHEMA)


@functools.cache
def _compiled() -> schema_check.Check:
    return schema_check.compile_schema(schema())


def is_valid(meta) -> bool:
    """Whether meta is a build record the schema allows: the check every command uses."""
    return _compiled()(meta)


def problems(meta) -> list:
    """What is wrong with meta, one `path: message` each; empty when it is valid."""
    if is_valid(meta):
        return []
    validator = jsonschema.Draft202012Validator(schema())
    found = [
        f"{'/'.join(str(p) for p in err.absolute_path) or '(top)'}: {err.message}"
        for err in sorted(validator.iter_errors(meta), key=lambda e: list(e.absolute_path))
    ]
    return found or ["(top): does not match the schema"]  # never expected: the two are tested to agree


def validate(meta: dict, source: str) -> dict:
    """meta, when valid; a UsageError naming source otherwise (a build folder's own metadata.json)."""
    found = problems(meta)
    if found:
        raise UsageError(f"{source}: metadata does not match {SCHEMA}: {found[0]}")
    return meta


def dumps(meta: dict) -> str:
    """One JSON object on one line: what Athena's JSON SerDe reads as one record."""
    return json.dumps(meta, separators=(",", ":"), ensure_ascii=False) + "\n"


def write(meta: dict, path: Path) -> None:
    validate(meta, str(path))
    atomic.write_bytes(path, dumps(meta).encode("utf-8"))


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
