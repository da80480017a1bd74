"""One column list from the metadata schema, written in Athena's (Hive), Trino's and DuckDB's dialects."""

import copy

import pytest
import sqlglot
from sqlglot import exp

from venvbuild.cli import main
from venvbuild.query import ddl
from venvbuild.record import metadata, metadata_columns
from venvbuild.record.metadata_columns import Array, Map, Row, Scalar, SchemaMappingError


def with_fields(**properties) -> dict:
    """The real schema plus optional properties (new fields are optional: old records stay valid)."""
    schema = copy.deepcopy(metadata.schema())
    schema["properties"].update(properties)
    return schema


# Fields of the shapes other changes add to the schema: an object, an integer, strings, a list of objects.
NEW_FIELDS = {
    "relocation": {
        "type": ["object", "null"],
        "properties": {"relocatable": {"type": "boolean"}, "prefix": {"type": ["string", "null"]}},
    },
    "archive_format": {"type": "integer", "minimum": 1},
    "build_key": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "content_key": {"type": ["string", "null"]},
    "graph_artifacts": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "format": {"enum": ["svg", "dot"]}, "size": {"type": "integer"}},
        },
    },
}


def test_new_optional_fields_map_to_sql_types_objects_to_rows():
    found = dict(metadata_columns.columns(with_fields(**NEW_FIELDS)))

    assert found["relocation"] == Row((("relocatable", Scalar("boolean")), ("prefix", Scalar("string"))))
    assert found["archive_format"] == Scalar("bigint")
    assert found["build_key"] == found["content_key"] == Scalar("string")
    assert found["graph_artifacts"] == Array(
        Row((("name", Scalar("string")), ("format", Scalar("string")), ("size", Scalar("bigint"))))
    )
    assert metadata_columns.hive(found["relocation"]) == "struct<relocatable:boolean,prefix:string>"
    assert metadata_columns.trino(found["graph_artifacts"]) == 'array(row("name" varchar, "format" varchar, "size" bigint))'
    assert metadata_columns.duckdb(found["graph_artifacts"]) == "JSON"
    assert metadata_columns.duckdb(found["archive_format"]) == "BIGINT"


def test_every_schema_field_is_a_column_of_both_dialects_in_schema_order(monkeypatch):
    schema = with_fields(**NEW_FIELDS)
    monkeypatch.setattr(metadata_columns, "load_json", lambda name: schema)

    athena = sqlglot.parse(ddl.render("my-bucket", "venv-builds"), read="hive")[0]
    trino = ddl.column_definitions("trino").splitlines()

    assert [c.name for c in athena.this.expressions] == list(schema["properties"])
    assert [line.split('"')[1] for line in trino] == list(schema["properties"])
    relocation = next(c for c in athena.this.expressions if c.name == "relocation")
    assert relocation.args["kind"].sql("hive").lower().replace(" ", "") == "struct<relocatable:boolean,prefix:string>"


@pytest.mark.parametrize(
    "prop, expected",
    [
        ({"$ref": "#/$defs/Artifact"}, Row((("name", Scalar("string")),))),
        ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, Scalar("bigint")),
        ({"enum": ["pip", "uv", None]}, Scalar("string")),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, Map(Scalar("bigint"))),
        ({"type": "array"}, Array(Scalar("string"))),
        ({"type": ["string", "integer"]}, Scalar("string")),
        ({"type": "number"}, Scalar("double")),
    ],
)
def test_schema_forms(prop, expected):
    schema = {"properties": {"x": prop}, "$defs": {"Artifact": {"type": "object", "properties": {"name": {"type": "string"}}}}}
    assert metadata_columns.columns(schema) == [("x", expected)]


@pytest.mark.parametrize(
    "prop",
    [
        {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        {"$ref": "other.json#/x"},
        {"description": "no type at all"},
    ],
)
def test_a_field_with_no_single_sql_type_is_refused_by_name(prop):
    with pytest.raises(SchemaMappingError, match="^x: "):
        metadata_columns.columns({"properties": {"x": prop}})


def test_the_view_follows_the_table_over_it(capsys):
    assert main(["ddl", "--bucket", "my-bucket", "--database", "tools"]) == 0
    table_sql, view_sql = [s for s in capsys.readouterr().out.split(";\n") if s.strip()]

    view = sqlglot.parse_one(view_sql, read="trino")
    assert isinstance(view, exp.Create) and view.args["kind"] == "VIEW"
    assert view.this.sql() == "tools.venv_build_packages"
    assert [t.sql() for t in view.expression.find_all(exp.Table)] == ["tools.venv_builds_metadata AS b"]
    assert [s.alias_or_name for s in view.expression.selects] == [
        "venv_version",
        "env_name",
        "created_at",
        "python_version",
        "is_conflict_free",
        "venv_archive",
        "package",
        "package_name",
        "version",
        "dt",
    ]
    assert table_sql.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS tools.venv_builds_metadata (")
    assert "a day with no dt= folder reads as no rows, not an error" in table_sql  # what Athena does


def test_trino_engine_prints_the_hive_connector_table(capsys):
    assert main(["ddl", "--bucket", "my-bucket", "--engine", "trino", "--since", "2025-01-01"]) == 0
    out = capsys.readouterr().out

    assert out.startswith("CREATE TABLE IF NOT EXISTS venv_builds_metadata (\n")
    assert "format = 'OPENX_JSON'" in out
    assert "external_location = 's3://my-bucket/venv-builds-metadata/'" in out
    assert "partition_projection_range = ARRAY['2025-01-01', 'NOW']" in out
    assert "partition_projection_location_template = 's3://my-bucket/venv-builds-metadata/dt=${dt}/'" in out
    assert "CREATE OR REPLACE VIEW venv_build_packages AS" in out
    assert "reads as no rows (with hive.ignore-absent-partitions=true)" in out


def test_a_bad_view_name_is_a_usage_error(capsys):
    assert main(["ddl", "--bucket", "my-bucket", "--view", "v; DROP TABLE t"]) == 2
    assert capsys.readouterr().err.startswith("venvbuild: error: --view ")
