"""The search table's columns, derived once from resources/venvbuild/metadata.schema.json.

One column list, written in each engine's dialect: Athena's DDL (Hive types), Trino's CREATE TABLE
(the Athena engine's own dialect, run by the Trino test suite) and the local DuckDB index. A field
added to the schema becomes a column everywhere, or the schema cannot be mapped and every renderer
says so; nothing is listed twice by hand.

Every column is nullable: a record written before a field existed reads NULL there, so a new
field is added to the schema as optional (not `required`) and old records stay valid.
"""

from dataclasses import dataclass
from typing import Any, Tuple

from venvbuild._util.resources import load_json

SCHEMA = "metadata.schema.json"

# The design's table types these; the rest follow the JSON types.
_OVERRIDES = {"created_at": "timestamp"}
_JSON_SCALARS = {"string": "string", "boolean": "boolean", "integer": "bigint", "number": "double"}


@dataclass(frozen=True)
class Scalar:
    kind: str  # string, timestamp, boolean, bigint, double


@dataclass(frozen=True)
class Array:
    item: "SqlType"


@dataclass(frozen=True)
class Row:
    fields: Tuple[Tuple[str, "SqlType"], ...]


@dataclass(frozen=True)
class Map:
    value: "SqlType"  # JSON object keys are strings


SqlType = Scalar | Array | Row | Map


class SchemaMappingError(ValueError):
    """A schema property has no single SQL type (a union of unlike types, say)."""


def columns(schema=None) -> list:
    """[(name, SqlType)] in the schema's property order: the design's nine first, then the rest."""
    schema = schema if schema is not None else load_json(SCHEMA)
    return [
        (name, Scalar(_OVERRIDES[name]) if name in _OVERRIDES else sql_type(prop, schema, name))
        for name, prop in schema["properties"].items()
    ]


def sql_type(prop: dict, schema: dict, where: str) -> SqlType:
    """The SQL type of one JSON schema (a property, an array's items, an object's property)."""
    prop = _resolve(prop, schema, where)
    options = prop.get("anyOf") or prop.get("oneOf")
    if options:
        mapped = {sql_type(o, schema, where) for o in options if not _only_null(_resolve(o, schema, where))}
        if len(mapped) != 1:
            raise SchemaMappingError(f"{where}: its anyOf/oneOf has no single SQL type")
        return mapped.pop()
    kinds = _kinds(prop)
    if kinds == ["array"]:
        items = prop.get("items")
        return Array(sql_type(items, schema, where + "[]") if isinstance(items, dict) else Scalar("string"))
    if kinds == ["object"]:
        fields = prop.get("properties")
        if fields:
            return Row(tuple((name, sql_type(p, schema, f"{where}.{name}")) for name, p in fields.items()))
        extra = prop.get("additionalProperties")
        return Map(sql_type(extra, schema, where + "{}") if isinstance(extra, dict) else Scalar("string"))
    if len(kinds) == 1 and kinds[0] in _JSON_SCALARS:
        return Scalar(_JSON_SCALARS[kinds[0]])
    if kinds and set(kinds) <= set(_JSON_SCALARS):
        return Scalar("string")  # e.g. ["string", "integer"]: both read as text
    raise SchemaMappingError(f"{where}: JSON type {kinds or 'unknown'} has no SQL type")


def _resolve(prop: dict, schema: dict, where: str) -> dict:
    ref = prop.get("$ref")
    if ref is None:
        return prop
    target: Any = schema
    if not ref.startswith("#/"):
        raise SchemaMappingError(f"{where}: only local $refs (#/...) are mapped, not {ref}")
    for part in ref[2:].split("/"):
        target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            raise SchemaMappingError(f"{where}: $ref {ref} points nowhere")
    return target


def _kinds(prop: dict) -> list:
    """The JSON types a schema allows besides null, inferred from enum/const/properties/items if untyped."""
    declared = prop.get("type")
    if declared is None:
        values = prop["enum"] if "enum" in prop else [prop["const"]] if "const" in prop else None
        if values is not None:
            declared = sorted({_json_type(v) for v in values})
        elif "properties" in prop or "additionalProperties" in prop:
            declared = "object"
        elif "items" in prop:
            declared = "array"
        else:
            declared = []
    declared = declared if isinstance(declared, list) else [declared]
    return [k for k in declared if k != "null"]


def _only_null(prop: dict) -> bool:
    return prop.get("type") == "null" or prop.get("type") == ["null"] or prop.get("const", ...) is None


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


# --- dialects ---------------------------------------------------------------------------------


def hive(t: SqlType) -> str:
    """Athena's DDL types (Hive): string, array<string>, struct<a:string,...>, map<string,bigint>."""
    if isinstance(t, Scalar):
        return t.kind
    if isinstance(t, Array):
        return f"array<{hive(t.item)}>"
    if isinstance(t, Map):
        return f"map<string,{hive(t.value)}>"
    return "struct<" + ",".join(f"{name}:{hive(field)}" for name, field in t.fields) + ">"


_TRINO_SCALARS = {"string": "varchar", "timestamp": "timestamp(3)", "boolean": "boolean", "bigint": "bigint", "double": "double"}


def trino(t: SqlType) -> str:
    """Trino's types, as Athena engine 3 runs queries: varchar, array(varchar), row(a varchar, ...)."""
    if isinstance(t, Scalar):
        return _TRINO_SCALARS[t.kind]
    if isinstance(t, Array):
        return f"array({trino(t.item)})"
    if isinstance(t, Map):
        return f"map(varchar, {trino(t.value)})"
    return "row(" + ", ".join(f"{quote(name)} {trino(field)}" for name, field in t.fields) + ")"


_DUCKDB_SCALARS = {"string": "VARCHAR", "timestamp": "TIMESTAMP", "boolean": "BOOLEAN", "bigint": "BIGINT", "double": "DOUBLE"}


def duckdb(t: SqlType) -> str:
    """The local index's types: scalars and lists of scalars natively, anything with objects as JSON."""
    if isinstance(t, Scalar):
        return _DUCKDB_SCALARS[t.kind]
    if isinstance(t, Array) and isinstance(t.item, Scalar):
        return f"{_DUCKDB_SCALARS[t.item.kind]}[]"
    return "JSON"


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier (Trino, DuckDB)."""
    return '"' + identifier.replace('"', '""') + '"'
