"""A JSON schema compiled into a yes/no check, for checking many records fast.

jsonschema takes about 1 ms per search record (a pattern per installed package), 100 s for a store of
100,000 builds; this check takes a few percent of that. It knows only the keywords the metadata schema
uses and refuses a schema with any other, so it can never be laxer than the schema; jsonschema still
explains a record this check refuses (venvbuild.record.metadata.problems). python/tests/test_schema_check.py
holds the two to the same answers on thousands of generated records.
"""

import json
import re
from typing import Any, Callable

Check = Callable[[Any], bool]

_ANNOTATIONS = {"$schema", "$id", "title", "description"}
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    # As JSON Schema (and jsonschema) say: 12.0 is an integer; true is not.
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


_REMEMBERED = 200_000


class UnsupportedSchema(ValueError):
    """The schema uses a keyword this check does not implement."""


def compile_schema(schema: dict) -> Check:
    unknown = (
        set(schema)
        - _ANNOTATIONS
        - {"type", "pattern", "enum", "minimum", "items", "uniqueItems", "properties", "required", "additionalProperties"}
    )
    if unknown:
        raise UnsupportedSchema(", ".join(sorted(unknown)))
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    checks = []
    if kinds == ["string"] and "pattern" in schema:  # the common case, as one call
        checks.append(_string_matching(schema["pattern"]))
    else:
        if kinds:
            tests = [_TYPES[k] for k in kinds]
            checks.append(tests[0] if len(tests) == 1 else lambda v: any(t(v) for t in tests))
        if "pattern" in schema:
            search = re.compile(schema["pattern"]).search
            checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
    if "enum" in schema:
        allowed = schema["enum"]
        checks.append(lambda v: v in allowed)
    if "minimum" in schema:
        low = schema["minimum"]
        checks.append(lambda v: not _TYPES["number"](v) or v >= low)
    if "items" in schema:
        item = compile_schema(schema["items"])
        checks.append(lambda v: not isinstance(v, list) or all(map(item, v)))
    if schema.get("uniqueItems"):
        checks.append(lambda v: not isinstance(v, list) or _unique(v))
    if {"properties", "required", "additionalProperties"} & set(schema):
        checks.append(_object_check(schema))
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    return lambda value: all(check(value) for check in checks)


def _unique(items: list) -> bool:
    seen = {json.dumps(_canonical(item), sort_keys=True) for item in items}
    return len(seen) == len(items)


def _canonical(value):
    """value as JSON equality sees it: 1.0 is 1 (but true is not 1)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _string_matching(pattern: str) -> Check:
    search = re.compile(pattern).search  # JSON schema patterns are unanchored
    # Records repeat the same values (a package pin is in thousands of builds): remember those that matched.
    matched: set = set()

    def check(value) -> bool:
        if not isinstance(value, str):
            return False
        if value in matched:
            return True
        if search(value) is not None:
            if len(matched) < _REMEMBERED:
                matched.add(value)
            return True
        return False

    return check


def _object_check(schema: dict) -> Check:
    properties = {name: compile_schema(sub) for name, sub in schema.get("properties", {}).items()}
    required = list(schema.get("required", ()))
    extra = schema.get("additionalProperties", True)
    if extra not in (True, False):
        raise UnsupportedSchema("additionalProperties other than true or false")

    def check(value) -> bool:
        if not isinstance(value, dict):
            return True
        if any(name not in value for name in required):
            return False
        for name, item in value.items():
            sub = properties.get(name)
            if sub is None:
                if not extra:
                    return False
            elif not sub(item):
                return False
        return True

    return check
