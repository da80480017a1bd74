"""The Athena side on Athena's own engine: the generated table, `venvbuild search --athena` and the Athena
guide's queries (docs/how-to/athena.md), run on a real Trino (conftest's `trino` fixture) over records from real builds.

`venvbuild search --athena` talks to athena_on_trino's Athena-shaped endpoint through boto3, exactly as it
talks to Athena; the endpoint runs the query with its execution parameters on Trino. Its answers must be
the local DuckDB search's answers over the same store.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests._support.cli import run_cli
from tests._support.processes import CHILD_TIMEOUT_S
from tests._support.records import make_build_dir, write_record
from tests._support.trino_client import TrinoError
from tests._support.wheelhouse import kedro_requirements
from venvbuild.build import publish
from venvbuild.query import athena, criteria, ddl
from venvbuild.record import metadata, metadata_columns
from venvbuild.store.local import LocalStore

ATHENA_DOC = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "athena.md"
DATABASE = "venvs"

# Days with records: 01-01, 01-02, 01-03, 01-05, 01-08; the days between have no dt= folder at all.
RECORDS = {
    "venv_20250101_100000": dict(installed_packages=["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3"]),
    "venv_20250102_100000": dict(
        installed_packages=["kedro-datasets==1.8.0", "kedro-viz==6.7.0", "pandas==2.1.4"],
        python_version="3.10",
        python_full_version="3.10.14",
    ),
    "venv_20250103_100000": dict(installed_packages=["pandas==1.5.3", "scikit_learn==1.5.2", "scipy==1.9.3"]),
    "venv_20250103_110000": dict(
        installed_packages=["Kedro==0.19.0rc1", "pandas==2.0.0rc1"],
        is_conflict_free=False,
        conflicts=["kedro 0.19.0rc1 requires pandas<2, but 2.0.0rc1 is installed"],
        conflict_details=[
            {
                "kind": "version",
                "package": "pandas",
                "requirement": "pandas<2",
                "installed_version": "2.0.0rc1",
                "required_by": "kedro",
            }
        ],
    ),
    "venv_20250105_100000": dict(
        installed_packages=["Kedro==0.19.10", "PyYAML==6.0", "scipy==1.10.1"],
        env_name="other",
        python_version="3.12",
        python_full_version="3.12.4",
    ),
    "venv_20250105_120000": dict(installed_packages=["Scikit-Learn==1.3.2", "numpy==2.0.2", "zope.interface==6.0"]),
    "venv_20250108_090000": dict(
        installed_packages=["Zope.Interface==5.4", "kedro==0.19.9", "kedro_datasets==3.0.1"], env_name="other"
    ),
}

# (argv, at least this many builds): every form of search, compared between Trino and DuckDB.
SEARCHES = [
    (["kedro"], 5),
    (["KEDRO"], 5),
    (["Kedro_Datasets"], 2),
    (["kedro.viz"], 2),
    (["scikit_learn>=1.5"], 2),
    (["zope-interface<6"], 1),
    (["kedro>=0.19"], 3),
    (["kedro>=0.19.0rc1"], 4),
    (["kedro>=0.19", "--pre"], 3),  # 0.19.0rc1 comes before 0.19
    (["kedro<0.19", "--pre"], 1),  # PEP 440: <0.19 excludes 0.19 pre-releases, even with --pre
    (["kedro==0.19.*", "pandas"], 0),
    (["pandas>=1.5,<2"], 2),
    (["pandas", "--python", "3.10"], 1),
    (["kedro", "--env-name", "other"], 2),
    (["kedro", "--since", "2025-01-04"], 3),
    (["pandas", "--since", "2025-01-04"], 0),
    (["pandas", "--conflict-free"], 3),
    (["kedro", "--limit", "2"], 2),
    (["kedro", "pandas"], 2),
    (["scikit-learn", "numpy<2", "--conflict-free"], 0),
    (["scikit-learn", "--conflict-free", "--python", "3.11", "--since", "2025-01-03"], 2),
    (["pyyaml==6.0", "--since", "2025-01-01", "--python", "3.12", "--env-name", "other"], 1),
    (["kedro==0.19.*", "--count"], 3),
    (["numpy", "--count"], 2),
    (["kedro", "--count", "--limit", "2"], 2),
    (["kedro>=0.19.0rc1", "pandas", "--count"], 1),
    (["no-such-package"], 0),
]


@pytest.fixture(scope="module")
def store(trino, tmp_path_factory):
    """A store inside Trino's warehouse: a real `venvbuild build` from local wheels, a real publish, then records."""
    root = trino.warehouse / "stores" / DATABASE
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    work = tmp_path_factory.mktemp("builds")
    requirements = kedro_requirements(work, kedro_spelling="Kedro")
    built = subprocess.run(
        [sys.executable, "-m", "venvbuild", "build", "--requirements", requirements, "--env-name", "real-build", "--store", root],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    assert built.returncode == 0, built.stderr
    for version, fields in RECORDS.items():
        if version == "venv_20250101_100000":  # one more through the real publish
            publish.publish(make_build_dir(work / "published", version, **fields), LocalStore(root))
        else:
            write_record(root, version, **fields)
    return root


@pytest.fixture(scope="module")
def athena_tables(trino, store):
    """The table and view `venvbuild ddl --engine trino` prints, over the store's records (local:// for s3://)."""
    client = trino.client()
    client.execute(f"CREATE SCHEMA IF NOT EXISTS hive.{DATABASE}")
    location = f"local:///stores/{DATABASE}/venv-builds-metadata/"
    for statement in ddl.statements(location, DATABASE, engine="trino", since="2024-12-01"):
        client.execute(statement)
    return trino.client(schema=DATABASE)


def records_on_disk(store):
    return {p.stem: json.loads(p.read_text()) for p in (store / "venv-builds-metadata").glob("dt=*/*.json")}


def test_the_generated_table_reads_every_field_of_every_record(athena_tables, store):
    columns, rows = athena_tables.execute("SELECT * FROM venv_builds_metadata ORDER BY venv_version")
    on_disk = records_on_disk(store)

    fields = list(metadata.schema()["properties"])
    assert columns == fields + ["dt"]
    assert [r[0] for r in rows] == sorted(on_disk)
    types = dict(metadata_columns.columns())
    assert any(
        isinstance(t, metadata_columns.Row) or isinstance(getattr(t, "item", None), metadata_columns.Row) for t in types.values()
    ), "the schema has objects: they must come back as rows"
    for row in rows:
        record = on_disk[row[0]]
        got = dict(zip(columns, row))
        assert got.pop("dt") == record["created_at"][:10]
        assert got.pop("created_at") == record["created_at"].replace("T", " ").replace("Z", ".000")
        assert {k: as_json(v, types[k]) for k, v in got.items()} == {k: record.get(k) for k in got}


def as_json(value, sql_type):
    """A Trino JSON value back in the record's shape: rows (JSON lists) become objects, by the column type."""
    if value is None:
        return None
    if isinstance(sql_type, metadata_columns.Row):
        return {name: as_json(v, t) for (name, t), v in zip(sql_type.fields, value)}
    if isinstance(sql_type, metadata_columns.Array):
        return [as_json(v, sql_type.item) for v in value]
    if isinstance(sql_type, metadata_columns.Map):
        return {k: as_json(v, sql_type.value) for k, v in value.items()}
    return value


def test_the_column_types_are_the_ddls(athena_tables):
    columns, rows = athena_tables.execute("DESCRIBE venv_builds_metadata")
    types = {r[0]: r[1] for r in rows}
    assert types["created_at"] == "timestamp(3)"
    assert types["installed_packages"] == "array(varchar)"
    assert types["is_conflict_free"] == "boolean"
    assert types["conflict_details"].startswith("array(row(kind varchar, package varchar")
    assert list(types) == list(metadata.schema()["properties"]) + ["dt"]


def test_a_range_over_days_with_no_records_answers_as_athena_does(athena_tables):
    # 2025-01-04, -06 and -07 are projected days with no folder; 2024-12 has none at all.
    _, rows = athena_tables.execute(
        "SELECT dt, count(*) FROM venv_builds_metadata WHERE dt BETWEEN '2024-12-20' AND '2025-01-07' GROUP BY dt ORDER BY dt"
    )
    assert rows == [["2025-01-01", 1], ["2025-01-02", 1], ["2025-01-03", 2], ["2025-01-05", 2]]
    _, rows = athena_tables.execute("SELECT count(*) FROM venv_builds_metadata WHERE dt = '2025-01-06'")
    assert rows == [[0]]


def test_the_designs_exists_form_does_not_run_on_trino(athena_tables):
    """Why the Athena guide shows any_match and CROSS JOIN UNNEST for Athena: the design's query fails there."""
    with pytest.raises(TrinoError, match="cannot be resolved|not supported"):
        athena_tables.execute(
            "SELECT venv_version FROM venv_builds_metadata WHERE EXISTS "
            "(SELECT * FROM UNNEST(installed_packages) AS pkg WHERE pkg LIKE 'kedro%')"
        )


@pytest.mark.parametrize("argv, at_least", SEARCHES, ids=[" ".join(a) for a, _ in SEARCHES])
def test_search_on_athena_engine_equals_the_local_search(capsys, aws, store, athena_endpoint, results_bucket, argv, at_least):
    shape = [] if "--count" in argv else ["--json"]
    local = run_cli(capsys, "search", *argv, *shape, "--store", store)
    before = len(athena_endpoint.requests)
    remote = run_cli(
        capsys,
        "search",
        *argv,
        *shape,
        "--athena",
        "--database",
        DATABASE,
        "--athena-endpoint-url",
        athena_endpoint.url,
        "--region",
        "us-east-1",
        "--output",
        results_bucket,
    )

    assert remote[2].count("venvbuild: error") == 0, remote[2]
    assert remote[:2] == local[:2]
    assert "GetQueryResults" not in [op for op, _ in athena_endpoint.requests[before:]]  # read the result file
    found = int(local[1]) if "--count" in argv else len(local[1].splitlines())
    assert found >= at_least and (found > 0) == (local[0] == 0)
    if at_least == 0:
        assert found == 0


def test_search_sends_execution_parameters_never_values_in_the_sql(capsys, aws, store, athena_endpoint):
    before = len(athena_endpoint.requests)
    code, out, err = run_cli(
        capsys,
        "search",
        "Kedro_Datasets",
        "--env-name",
        "other",
        "--json",
        "--athena",
        "--database",
        DATABASE,
        "--athena-endpoint-url",
        athena_endpoint.url,
        "--region",
        "us-east-1",
    )

    assert code == 0, err
    assert [json.loads(line)["venv_version"] for line in out.splitlines()] == ["venv_20250108_090000"]
    operations = [op for op, _ in athena_endpoint.requests[before:]]
    assert operations[0] == "StartQueryExecution" and operations[-1] == "GetQueryResults"
    start = athena_endpoint.requests[before][1]
    assert "kedro" not in start["QueryString"].lower() and "other" not in start["QueryString"]
    parameters = start["ExecutionParameters"]
    assert parameters[0] == "'kedro-datasets'" and "'other'" in parameters


def test_a_search_for_several_names_fetches_only_builds_holding_all_of_them(aws, store, athena_endpoint):
    """The SQL itself narrows, not only the PEP 440 step afterwards: otherwise a common name plus a rare one
    pages nearly every build of the catalog."""
    where = athena.target(DATABASE, region="us-east-1", endpoint_url=athena_endpoint.url)
    rows = athena.candidates(where, criteria.build(["kedro", "pandas"]))
    names = [{canonicalize_name(p.split("==")[0]) for p in row[-1].split()} for row in rows]
    assert names and all(found == {"kedro", "pandas"} for found in names), rows


def test_results_over_many_pages_come_back_whole(capsys, aws, store, athena_endpoint, monkeypatch):
    monkeypatch.setattr(athena, "PAGE_SIZE", 2)
    code, out, err = run_cli(
        capsys,
        "search",
        "kedro",
        "--count",
        "--athena",
        "--database",
        DATABASE,
        "--athena-endpoint-url",
        athena_endpoint.url,
        "--region",
        "us-east-1",
    )
    local = run_cli(capsys, "search", "kedro", "--count", "--store", store)
    assert (code, out) == local[:2] and int(out) >= 5


def test_a_query_trino_refuses_is_one_line_with_its_reason(capsys, aws, store, athena_endpoint):
    code, out, err = run_cli(
        capsys,
        "search",
        "kedro",
        "--athena",
        "--database",
        DATABASE,
        "--table",
        "no_such_table",
        "--athena-endpoint-url",
        athena_endpoint.url,
        "--region",
        "us-east-1",
    )
    assert (code, out) == (6, "")
    assert re.fullmatch(r"venvbuild: error: Athena query [0-9a-f-]+ FAILED: TABLE_NOT_FOUND: .*no_such_table.*\n", err)


ODD_VALUES = (
    "SELECT * FROM (VALUES ('say \"hi\", twice', 'a,b', CAST(NULL AS varchar), '', 'one' || chr(10) || 'two',"
    " ARRAY['x,y', NULL], 7)) AS t(quoted, comma, missing, empty, lines, list, number)"
)
ODD_ROWS = (
    ["quoted", "comma", "missing", "empty", "lines", "list", "number"],
    [('say "hi", twice', "a,b", None, "", "one\ntwo", "[x,y, null]", "7")],
)


def test_values_with_quotes_commas_newlines_and_nulls_read_the_same_from_the_result_file_as_paged(
    aws, athena_endpoint, results_bucket
):
    where = athena.target(DATABASE, output=results_bucket, region="us-east-1", endpoint_url=athena_endpoint.url)
    client = athena.make_client(where)
    before = len(athena_endpoint.requests)
    from_file = athena.run_query(client, ODD_VALUES, [], where)
    assert "GetQueryResults" not in [op for op, _ in athena_endpoint.requests[before:]]
    paged = athena.run_query(
        client, ODD_VALUES, [], athena.target(DATABASE, region="us-east-1", endpoint_url=athena_endpoint.url)
    )
    assert from_file == paged == ODD_ROWS


@pytest.mark.parametrize("missing", ["bucket", "object"])
def test_a_result_file_that_cannot_be_read_falls_back_to_paging_quietly(
    capsys, aws, store, trino, athena_endpoint, results_bucket, missing
):
    from tests._support.athena_on_trino import AthenaOnTrino

    # No such bucket; or a bucket, but an endpoint that writes no result file there (NoSuchKey).
    endpoint = athena_endpoint if missing == "bucket" else AthenaOnTrino(trino.url).start()
    output = "s3://no-such-results-bucket/results/" if missing == "bucket" else results_bucket
    try:
        before = len(endpoint.requests)
        remote = run_cli(
            capsys,
            "search",
            "kedro",
            "--json",
            "--athena",
            "--database",
            DATABASE,
            "--athena-endpoint-url",
            endpoint.url,
            "--region",
            "us-east-1",
            "--output",
            output,
        )
        operations = [op for op, _ in endpoint.requests[before:]]
    finally:
        if endpoint is not athena_endpoint:
            endpoint.stop()
    assert remote == run_cli(capsys, "search", "kedro", "--json", "--store", store) and remote[2] == ""
    assert operations[-1] == "GetQueryResults"
    described = [r for op, r in endpoint.requests[before:] if op == "StartQueryExecution"]
    assert described[0]["ResultConfiguration"] == {"OutputLocation": output}


# --- the Athena guide's queries (docs/how-to/athena.md) -------------------------------------------


def readme_athena_queries():
    """Every ```sql block of the Athena guide's "Querying builds with Athena" section."""
    text = ATHENA_DOC.read_text()
    section = text.split("## Querying builds with Athena", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sql\n(.*?)```", section, re.S)]


def normalised(rows):
    """Timestamps as 'YYYY-MM-DD HH:MM:SS' whichever engine printed them (Trino: '... .000', DuckDB: '...Z')."""
    stamp = re.compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.0+)?Z?$")
    return [[stamp.sub(r"\1 \2", v) if isinstance(v, str) else v for v in row] for row in rows]


def expected_rows(query: str, store):
    """The rows each query of the Athena guide must return, computed here in Python from the records on disk."""
    records = sorted(records_on_disk(store).values(), key=lambda r: r["venv_version"])

    def split(package):
        name, _, version = package.partition("==")
        return re.sub(r"[-_.]+", "-", name).lower(), name, version

    if "total_kedro_envs" in query:
        return [[sum(any(split(p)[0] == "kedro" for p in r["installed_packages"]) for r in records)]]
    if "FROM venv_build_packages" in query and "0.19." in query:
        rows = [
            [r["env_name"], r["venv_version"], split(p)[2]]
            for r in records
            for p in r["installed_packages"]
            if split(p)[0] == "kedro" and split(p)[2].startswith("0.19.")
        ]
        return sorted(rows, key=lambda row: row[1], reverse=True)
    if "CROSS JOIN UNNEST" in query:
        return [[r["venv_version"], p] for r in records for p in r["installed_packages"] if p.lower().startswith("kedro==")]
    if "GROUP BY package" in query:
        counts = {}
        for r in records:
            if r["created_at"][:10] >= "2025-01-01" and r["python_version"] == "3.11":
                for p in r["installed_packages"]:
                    counts[split(p)[0]] = counts.get(split(p)[0], 0) + 1
        return sorted(([k, v] for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0]))[:5]
    if "SELECT venv_version, created_at" in query:
        rows = [
            [r["venv_version"], r["created_at"]]
            for r in records
            if any(p.lower().startswith("kedro==") for p in r["installed_packages"])
        ]
        return normalised(sorted(rows, key=lambda row: row[0], reverse=True))
    raise AssertionError(f"no expected rows for this Athena guide query; add them here:\n{query}")


def test_the_readme_shows_athena_queries():
    queries = readme_athena_queries()
    assert len(queries) >= 5
    assert all("EXISTS (" not in q for q in queries), "the design's EXISTS form does not run on Athena engine 3"


@pytest.mark.parametrize("query", readme_athena_queries(), ids=lambda q: " ".join(q.split())[:60])
def test_every_readme_athena_query_runs_on_trino_and_on_venvbuild_sql(capsys, athena_tables, store, query):
    query = query.rstrip(";")
    expected = expected_rows(query, store)
    assert expected, "a query whose expected answer is empty proves nothing"

    _, on_trino = athena_tables.execute(query)
    code, out, err = run_cli(capsys, "sql", query, "--json", "--store", store)
    assert code == 0, err
    on_duckdb = [list(json.loads(line).values()) for line in out.splitlines()]

    assert normalised(on_trino) == expected
    assert normalised(on_duckdb) == expected


# --- a compacted store (`venvbuild compact`) ------------------------------------------------------

COMPACTED = "venvs_compacted"


@pytest.fixture(scope="module")
def compacted_store(trino, store):
    """The same builds, days before 2025-01-04 compacted (one JSON-lines object each), the later ones single
    objects, and one record in both a single object and its day's compacted file (a compaction cut short)."""
    root = trino.warehouse / "stores" / COMPACTED
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(store, root, ignore=shutil.ignore_patterns("_index"))
    twice = root / "venv-builds-metadata" / "dt=2025-01-03" / "venv_20250103_110000.json"
    single = twice.read_bytes()
    code = subprocess.run(
        [sys.executable, "-m", "venvbuild", "compact", "--store", root, "--before", "2025-01-04"],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    assert code.returncode == 0, code.stderr
    twice.write_bytes(single)
    names = sorted(p.name for p in (root / "venv-builds-metadata").glob("dt=2025-01-0[1-3]/*"))
    assert sum(n.startswith("records-") for n in names) == 3 and names.count(twice.name) == 1
    client = trino.client()
    client.execute(f"CREATE SCHEMA IF NOT EXISTS hive.{COMPACTED}")
    location = f"local:///stores/{COMPACTED}/venv-builds-metadata/"
    for statement in ddl.statements(location, COMPACTED, engine="trino", since="2024-12-01"):
        client.execute(statement)
    return root


def test_search_on_a_compacted_store_equals_the_local_search_and_the_uncompacted_one(
    capsys, aws, store, compacted_store, athena_endpoint, results_bucket
):
    for argv, _ in SEARCHES:
        shape = [] if "--count" in argv else ["--json"]
        before = run_cli(capsys, "search", *argv, *shape, "--store", store)
        local = run_cli(capsys, "search", *argv, *shape, "--store", compacted_store)
        remote = run_cli(
            capsys,
            "search",
            *argv,
            *shape,
            "--athena",
            "--database",
            COMPACTED,
            "--athena-endpoint-url",
            athena_endpoint.url,
            "--region",
            "us-east-1",
            "--output",
            results_bucket,
        )
        assert remote[2].count("venvbuild: error") == 0, remote[2]
        assert remote[:2] == local[:2] == before[:2], argv
