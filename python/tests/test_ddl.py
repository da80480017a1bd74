"""`venvbuild ddl`: the printed Athena DDL, parsed with sqlglot and checked against the metadata schema."""

import re
from datetime import datetime

import pytest
import sqlglot
from sqlglot import exp

from tests._support.cli import run_cli
from tests._support.records import make_metadata
from venvbuild.cli import main
from venvbuild.record import metadata
from venvbuild.store import layout
from venvbuild.store.s3 import S3Store

# The design's table: these names and types, first and unchanged.
DESIGN_COLUMNS = [
    ("venv_version", "string"),
    ("created_at", "timestamp"),
    ("python_version", "string"),
    ("requirements_file", "string"),
    ("pipdeptree_output", "string"),
    ("venv_archive", "string"),
    ("is_conflict_free", "boolean"),
    ("conflicts", "array<string>"),
    ("installed_packages", "array<string>"),
]
# A JSON string that is an ISO-8601 time; every other string is a Hive string.
TIMESTAMP_FIELDS = {"created_at"}


def hive_type(name: str, spec: dict) -> str:
    """The Hive type a JSON schema property maps to."""
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    types = [t for t in types if t != "null"]
    assert len(types) == 1, f"{name}: one JSON type besides null"
    kind = types[0]
    if kind == "string":
        return "timestamp" if name in TIMESTAMP_FIELDS else "string"
    if kind == "boolean":
        return "boolean"
    if kind == "integer":
        return "bigint"
    if kind == "array":
        return f"array<{hive_type(name, spec['items'])}>"
    if kind == "object":
        return "struct<" + ",".join(f"{k}:{hive_type(k, v)}" for k, v in spec["properties"].items()) + ">"
    raise AssertionError(f"{name}: no Hive type for JSON type {kind}")


def ddl_text(capsys, *argv) -> str:
    code = main(["ddl", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def parse(text: str) -> exp.Create:
    """The CREATE TABLE, the first of the printed statements (the view follows it)."""
    tree = sqlglot.parse(text, read="hive")[0]
    assert isinstance(tree, exp.Create) and tree.args["kind"] == "TABLE"
    return tree


def columns(tree: exp.Create) -> list:
    return [(c.name, c.args["kind"].sql("hive").lower().replace(" ", "")) for c in tree.this.expressions]


def properties(tree: exp.Create) -> dict:
    return {p.this.name: p.args["value"].name for p in tree.args["properties"].expressions if type(p) is exp.Property}


def first(tree: exp.Create, kind):
    return next(p for p in tree.args["properties"].expressions if isinstance(p, kind))


def test_columns_are_the_designs_then_every_schema_field(capsys):
    tree = parse(ddl_text(capsys, "--bucket", "my-bucket"))

    found = columns(tree)

    assert found[: len(DESIGN_COLUMNS)] == DESIGN_COLUMNS
    expected = {name: hive_type(name, spec) for name, spec in metadata.schema()["properties"].items()}
    assert dict(found) == expected
    assert len(found) == len(expected)


def test_table_is_external_partitioned_by_dt_over_the_metadata_prefix_only(capsys):
    tree = parse(ddl_text(capsys, "--bucket", "my-bucket", "--prefix", "team/builds", "--database", "tools"))

    assert tree.this.this.name == "venv_builds_metadata"
    assert tree.this.this.args["db"].name == "tools"
    assert any(isinstance(p, exp.ExternalProperty) for p in tree.args["properties"].expressions)
    partition = first(tree, exp.PartitionedByProperty).this.expressions
    assert [(c.name, c.args["kind"].sql("hive").lower()) for c in partition] == [("dt", "string")]
    location = first(tree, exp.LocationProperty).this.name
    assert location == "s3://my-bucket/team/builds-metadata/"
    assert not location.startswith("s3://my-bucket/team/builds/"), "never over the tarballs"


def test_partition_projection_matches_where_publish_puts_records(capsys):
    tree = parse(ddl_text(capsys, "--bucket", "my-bucket", "--since", "2025-01-01"))
    props = properties(tree)
    location = first(tree, exp.LocationProperty).this.name

    assert props["projection.enabled"] == "true"
    assert props["projection.dt.type"] == "date"
    assert props["projection.dt.format"] == "yyyy-MM-dd"
    assert props["projection.dt.range"] == "2025-01-01,NOW"
    template = props["storage.location.template"]
    assert template == location + "dt=${dt}/"
    store = S3Store("my-bucket")
    record_url = store.url(layout.record_key(store, "venv_20250722_163000"))
    assert record_url == template.replace("${dt}", "2025-07-22") + "venv_20250722_163000.json"


def _joda_to_strptime(pattern: str) -> str:
    out = re.sub(r"'([^']*)'", lambda m: m.group(1).replace("%", "%%"), pattern)
    for joda, c in (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")):
        out = out.replace(joda, c)
    return out


def test_openx_serde_parses_created_at_as_written(capsys):
    tree = parse(ddl_text(capsys, "--bucket", "my-bucket"))
    serde = first(tree, exp.RowFormatSerdeProperty)
    serde_props = {p.this.name: p.args["value"].name for p in serde.args["serde_properties"].expressions}

    assert serde.this.name == "org.openx.data.jsonserde.JsonSerDe"
    fmt = _joda_to_strptime(serde_props["timestamp.formats"])
    assert datetime.strptime("2025-07-22T08:30:00Z", fmt) == datetime(2025, 7, 22, 8, 30)
    created_at = make_metadata("venv_20251231_235959")["created_at"]
    assert datetime.strptime(created_at, fmt) == datetime(2025, 12, 31, 23, 59, 59)


def test_records_are_one_json_object_per_line():
    # Athena's JSON SerDes fail on pretty-printed JSON (HIVE_CURSOR_ERROR: Row is not a valid JSON Object).
    line = metadata.dumps(make_metadata())
    assert line.endswith("\n") and line.count("\n") == 1


@pytest.mark.parametrize(
    "argv, parameter",
    [
        (["--bucket", "Bad_Bucket"], "--bucket"),
        (["--bucket", "ok-bucket", "--prefix", "a'b"], "--prefix"),
        (["--bucket", "ok-bucket", "--prefix", "venv-builds/"], "--prefix"),
        (["--bucket", "ok-bucket", "--table", "t; DROP TABLE x"], "--table"),
        (["--bucket", "ok-bucket", "--database", "Tools-DB"], "--database"),
        (["--bucket", "ok-bucket", "--since", "2025-13-01"], "--since"),
    ],
)
def test_bad_names_are_one_line_usage_errors(capsys, argv, parameter):
    code = main(["ddl", *argv])
    out, err = capsys.readouterr()

    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"venvbuild: error: {parameter} ")


def test_bucket_is_required(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["ddl"])
    assert exit_.value.code == 2
    assert "--bucket" in capsys.readouterr().err


def test_a_projection_start_in_the_future_is_refused(capsys):
    from venvbuild.cli import main

    assert main(["ddl", "--bucket", "my-bucket", "--since", "2999-01-01"]) == 2
    assert "--since 2999-01-01 is in the future" in capsys.readouterr().err


def test_the_findings_table_takes_its_columns_from_the_finding_schema(capsys):
    from venvbuild.vuln import findings

    code, out, _ = run_cli(capsys, "ddl", "--bucket", "my-venvs", "--findings", "--since", "2025-01-01")
    assert code == 0
    tree = parse(out)
    assert [name for name, _ in columns(tree)] == list(findings.COLUMNS)
    assert dict(columns(tree))["aliases"] == "array<string>" and dict(columns(tree))["created_at"] == "timestamp"
    assert "'projection.snapshot_id.type' = 'injected'" in out
    assert "s3://my-venvs/venv-builds-findings/snapshot=${snapshot_id}/dt=${dt}/" in out
    code, _, err = run_cli(capsys, "ddl", "--bucket", "my-venvs", "--findings", "--tags")
    assert code == 2 and "--tags and --findings" in err
