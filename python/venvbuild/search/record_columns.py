"""The index's columns for a search record, derived from resources/venvbuild/metadata.schema.json.

Deriving them keeps `venvbuild sql`'s view in step with the schema: a field added there becomes a
column here (and the index is rebuilt, its format names the columns).
"""

from venvbuild.resources import load_json

# The design's table types these; the rest follow the JSON types.
_OVERRIDES = {"created_at": "TIMESTAMP"}
_SCALARS = {"string": "VARCHAR", "boolean": "BOOLEAN", "integer": "BIGINT", "number": "DOUBLE"}


def columns() -> list:
    """[(name, DuckDB type)] in the schema's order: the design's nine first, then the extras."""
    schema = load_json("metadata.schema.json")
    return [(name, _OVERRIDES.get(name) or _duckdb_type(prop)) for name, prop in schema["properties"].items()]


def _duckdb_type(prop: dict) -> str:
    kinds = prop.get("type")
    kinds = [k for k in (kinds if isinstance(kinds, list) else [kinds]) if k != "null"]
    if kinds == ["array"]:
        items = prop.get("items", {}).get("type")
        return f"{_SCALARS[items]}[]" if items in _SCALARS else "JSON"
    if len(kinds) == 1 and kinds[0] in _SCALARS:
        return _SCALARS[kinds[0]]
    return "JSON"
