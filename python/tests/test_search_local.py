"""`venvbuild search` and `venvbuild sql` over a local store with tricky names and versions."""

import json
import os
import sys

import pytest

from tests._support.records import make_build_dir, write_record
from venvbuild import cli
from venvbuild.build import publish
from venvbuild.query import local_index
from venvbuild.store.local import LocalStore

# The design's two example queries, verbatim (design doc, "Discoverability with Athena").
FIND_ALL_VENVS_WITH_KEDRO = """SELECT venv_version, created_at
FROM venv_builds_metadata
WHERE EXISTS (
  SELECT * FROM UNNEST(installed_packages) AS pkg
  WHERE pkg LIKE 'kedro%'
);"""
COUNT_VENVS_WITH_KEDRO = """SELECT count(*) AS total_kedro_envs
FROM venv_builds_metadata
WHERE EXISTS (
  SELECT * FROM UNNEST(installed_packages) AS pkg
  WHERE pkg LIKE 'kedro%'
);"""

BUILDS = {
    # version: fields
    "venv_20250101_100000": dict(installed_packages=["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3"]),
    "venv_20250102_100000": dict(
        installed_packages=["kedro-datasets==1.8.0", "kedro-viz==6.7.0", "pandas==2.1.4"],
        python_version="3.10",
        python_full_version="3.10.14",
    ),
    "venv_20250103_100000": dict(installed_packages=["pandas==1.5.3", "scikit_learn==1.5.2", "scipy==1.9.3"]),
    "venv_20250104_100000": dict(
        installed_packages=["kedro==0.19.0rc1", "pandas==2.0.0rc1"],
        is_conflict_free=False,
        conflicts=["kedro 0.19.0rc1 requires pandas<2, but 2.0.0rc1 is installed"],
    ),
    "venv_20250105_100000": dict(
        installed_packages=["Kedro==0.19.10", "PyYAML==6.0", "scipy==1.10.1"],
        env_name="other",
        python_version="3.12",
        python_full_version="3.12.4",
    ),
    "venv_20250105_120000": dict(installed_packages=["Scikit-Learn==1.3.2", "zope.interface==6.0"]),
}


@pytest.fixture
def store(tmp_path, capsys):
    root = tmp_path / "store"
    root.mkdir()
    versions = list(BUILDS)
    for version in versions[:2]:  # two through the real publish, the rest as records
        publish.publish(make_build_dir(tmp_path / "builds", version, **BUILDS[version]), LocalStore(root))
    for version in versions[2:]:
        write_record(root, version, **BUILDS[version])
    capsys.readouterr()  # publish's progress lines
    return root


def run(capsys, *argv):
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:  # argparse's errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def found(capsys, store, *argv):
    code, out, err = run(capsys, "search", *argv, "--json", "--store", str(store))
    return code, [json.loads(line)["venv_version"] for line in out.splitlines()]


def test_kedro_lists_exactly_the_builds_with_kedro_newest_first(capsys, store):
    code, versions = found(capsys, store, "kedro")
    assert code == 0
    assert versions == ["venv_20250105_100000", "venv_20250104_100000", "venv_20250101_100000"]


def test_normalised_names_and_pep440_versions(capsys, store):
    assert found(capsys, store, "Scikit_Learn")[1] == ["venv_20250105_120000", "venv_20250103_100000"]
    assert found(capsys, store, "scikit-learn>=1.4")[1] == ["venv_20250103_100000"]
    assert found(capsys, store, "scipy>=1.10")[1] == ["venv_20250105_100000"]
    assert found(capsys, store, "ZOPE_Interface==6")[1] == ["venv_20250105_120000"]
    assert found(capsys, store, "kedro-viz")[1] == ["venv_20250102_100000"]


def test_prereleases_only_when_named_or_with_pre(capsys, store):
    assert found(capsys, store, "kedro>0.18.14")[1] == ["venv_20250105_100000"]
    assert found(capsys, store, "kedro>0.18.14", "--pre")[1] == ["venv_20250105_100000", "venv_20250104_100000"]
    assert found(capsys, store, "kedro>=0.19.0rc1")[1] == ["venv_20250105_100000", "venv_20250104_100000"]


def test_count_counts_pandas_1x_but_not_2(capsys, store):
    code, out, err = run(capsys, "search", "pandas>=1.5,<2", "--count", "--store", str(store))
    assert (code, out) == (0, "2\n")


def test_every_spec_must_match(capsys, store):
    assert found(capsys, store, "kedro", "pandas<2")[1] == ["venv_20250101_100000"]
    assert found(capsys, store, "kedro", "scipy")[1] == ["venv_20250105_100000"]


def test_filters(capsys, store):
    assert found(capsys, store, "kedro", "--conflict-free")[1] == ["venv_20250105_100000", "venv_20250101_100000"]
    assert found(capsys, store, "pandas", "--python", "3.10")[1] == ["venv_20250102_100000"]
    assert found(capsys, store, "kedro", "--env-name", "other")[1] == ["venv_20250105_100000"]
    assert found(capsys, store, "kedro", "--since", "2025-01-04")[1] == ["venv_20250105_100000", "venv_20250104_100000"]
    assert found(capsys, store, "kedro", "--limit", "1")[1] == ["venv_20250105_100000"]


def test_table_output_shows_the_matching_versions(capsys, store):
    code, out, err = run(capsys, "search", "kedro", "pandas", "--store", str(store))
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["VERSION", "ENV", "CREATED", "PYTHON", "PACKAGES", "CONFLICT-FREE"]
    assert lines[1].split() == [
        "venv_20250104_100000",
        "demo",
        "2025-01-04T10:00:00Z",
        "3.11",
        "kedro==0.19.0rc1",
        "pandas==2.0.0rc1",
        "no",
    ]
    assert len(lines) == 3


def test_json_lines_carry_where_to_get_the_build(capsys, store):
    code, out, err = run(capsys, "search", "kedro==0.18.14", "--json", "--store", str(store))
    record = json.loads(out)
    assert record["packages"] == ["kedro==0.18.14"] and record["is_conflict_free"] is True
    assert record["venv_archive"].endswith("/venv-builds/venv_20250101_100000/venv_20250101_100000.tar.gz")


def test_no_match_exits_1(capsys, store):
    code, out, err = run(capsys, "search", "kedro>=5", "--store", str(store))
    assert (code, out) == (1, "") and "no build matches kedro>=5" in err
    code, out, err = run(capsys, "search", "nosuchpackage", "--count", "--store", str(store))
    assert (code, out) == (1, "0\n")


@pytest.mark.parametrize(
    "argv, names",
    [
        (["x' OR 1=1 --"], "SPEC"),
        (["kedro' OR '1'='1"], "SPEC"),
        (["kedro", "--env-name", "x' OR 1=1 --"], "--env-name"),
        (["kedro", "--python", "3.11' --"], "--python"),
        (["kedro", "--since", "2025-01-01'; DROP TABLE records; --"], "--since"),
        (["kedro", "--limit", "0"], "--limit"),
        (["kedro", "--database", "d"], "--database"),
        (["kedro", "--athena"], "--database"),
        (["kedro", "--athena", "--database", 'd"; DROP TABLE x; --'], "--database"),
        (["kedro", "--athena", "--database", "d", "--table", "t x"], "--table"),
        (["kedro", "--athena", "--database", "d", "--output", "/tmp/results"], "--output"),
        (["kedro", "--athena", "--database", "d", "--store", "somewhere"], "--store"),
        (["kedro", "--count", "--json"], "--json"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_parameter(capsys, store, argv, names):
    code, out, err = run(capsys, "search", *argv, *([] if "--athena" in argv else ["--store", str(store)]))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and names in err and "Traceback" not in err


def test_missing_store_folder_is_bad_input(capsys, tmp_path):
    code, out, err = run(capsys, "search", "kedro", "--store", str(tmp_path / "nope"))
    assert code == 2 and "--store" in err


def test_default_store_comes_from_the_environment(capsys, store, monkeypatch):
    monkeypatch.setenv("VENVBUILD_STORE", str(store))
    code, out, err = run(capsys, "search", "kedro-viz", "--count")
    assert (code, out) == (0, "1\n")


def test_empty_store_finds_nothing(capsys, tmp_path):
    code, out, err = run(capsys, "search", "kedro", "--count", "--store", str(tmp_path))
    assert (code, out) == (1, "0\n")


def test_the_index_follows_builds_added_and_removed(capsys, store, tmp_path):
    assert found(capsys, store, "kedro")[1][0] == "venv_20250105_100000"
    assert local_index.index_path(store / "venv-builds-metadata").is_file()
    # A new partition through a real publish, and a new record in an existing partition.
    publish.publish(
        make_build_dir(tmp_path / "more", "venv_20250201_090000", installed_packages=["kedro==1.0.0"]), LocalStore(store)
    )
    write_record(store, "venv_20250101_110000", installed_packages=["kedro==0.18.13"])
    assert found(capsys, store, "kedro")[1] == [
        "venv_20250201_090000",
        "venv_20250105_100000",
        "venv_20250104_100000",
        "venv_20250101_110000",
        "venv_20250101_100000",
    ]
    (store / "venv-builds-metadata" / "dt=2025-01-01" / "venv_20250101_100000.json").unlink()
    assert "venv_20250101_100000" not in found(capsys, store, "kedro")[1]
    for path in (store / "venv-builds-metadata" / "dt=2025-02-01").iterdir():
        path.unlink()
    (store / "venv-builds-metadata" / "dt=2025-02-01").rmdir()
    assert found(capsys, store, "kedro")[1][0] == "venv_20250105_100000"


def test_a_record_landing_in_the_same_mtime_tick_is_still_found(capsys, store):
    """Coarse mtimes (1-2 s on some file systems): a partition changed just before it was listed is listed again."""
    partition = store / "venv-builds-metadata" / "dt=2025-01-05"
    write_record(store, "venv_20250105_130000", installed_packages=["kedro==0.19.9"])
    assert found(capsys, store, "kedro==0.19.9")[1] == ["venv_20250105_130000"]
    before = partition.stat()
    write_record(store, "venv_20250105_140000", installed_packages=["kedro==0.19.9"])
    os.utime(partition, ns=(before.st_atime_ns, before.st_mtime_ns))  # same tick as the listing saw
    assert found(capsys, store, "kedro==0.19.9")[1] == ["venv_20250105_140000", "venv_20250105_130000"]


def test_a_settled_partition_is_not_listed_again_and_reindex_rebuilds(capsys, store):
    partition = store / "venv-builds-metadata" / "dt=2025-01-03"
    old = partition.stat().st_mtime_ns - 3_600_000_000_000
    os.utime(partition, ns=(old, old))
    assert found(capsys, store, "scipy==1.9.3")[1] == ["venv_20250103_100000"]
    # Records are create-only; one rewritten in place changes no folder mtime, so only --reindex sees it.
    write_record(store, "venv_20250103_100000", installed_packages=["scipy==1.9.4"])
    os.utime(partition, ns=(old, old))
    assert found(capsys, store, "scipy==1.9.4")[1] == []
    assert found(capsys, store, "scipy==1.9.4", "--reindex")[1] == ["venv_20250103_100000"]


def test_an_unwritable_index_location_is_indexed_in_memory(capsys, store):
    (store / "venv-builds-metadata" / "_index").write_text("not a folder")
    code, out, err = run(capsys, "search", "kedro", "--count", "--store", str(store))
    assert (code, out) == (0, "3\n") and "indexing the store in memory" in err


def test_a_damaged_index_is_rebuilt(capsys, store):
    assert found(capsys, store, "kedro")[0] == 0
    local_index.index_path(store / "venv-builds-metadata").write_bytes(b"garbage" * 1000)
    assert found(capsys, store, "kedro")[1] == ["venv_20250105_100000", "venv_20250104_100000", "venv_20250101_100000"]


def test_an_unreadable_record_is_skipped_with_a_warning_naming_it(capsys, store):
    bad = store / "venv-builds-metadata" / "dt=2025-03-01" / "venv_20250301_000000.json"
    bad.parent.mkdir()
    bad.write_text('{"venv_version": "venv_20250301_000000", "installed_packages": [\n')
    code, out, err = run(capsys, "search", "kedro", "--count", "--store", str(store))
    assert (code, out) == (0, "3\n")
    assert err.splitlines() == [
        f"venvbuild: warning: search record {bad} skipped: not valid JSON (Expecting value: line 2 column 1 (char 65))"
    ]


def test_without_duckdb_the_error_says_what_to_install(capsys, store, monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # what `import duckdb` meets when it is not installed
    code, out, err = run(capsys, "search", "kedro", "--store", str(store))
    assert code == 2 and "pip install 'venvbuild[duckdb]'" in err


def test_the_designs_find_query_runs_verbatim(capsys, store):
    code, out, err = run(capsys, "sql", FIND_ALL_VENVS_WITH_KEDRO, "--json", "--store", str(store))
    rows = [json.loads(line) for line in out.splitlines()]
    # LIKE 'kedro%' also finds kedro-viz (0102) and misses Kedro (0105): why `venvbuild search` exists.
    assert code == 0
    assert sorted(r["venv_version"] for r in rows) == ["venv_20250101_100000", "venv_20250102_100000", "venv_20250104_100000"]
    assert {"venv_version": "venv_20250101_100000", "created_at": "2025-01-01T10:00:00Z"} in rows


def test_the_designs_count_query_runs_verbatim(capsys, store):
    code, out, err = run(capsys, "sql", COUNT_VENVS_WITH_KEDRO, "--store", str(store))
    assert code == 0 and out.split() == ["total_kedro_envs", "3"]


def test_sql_json_gives_lists_and_json_fields_as_values(capsys, store):
    code, out, err = run(
        capsys,
        "sql",
        "SELECT conflicts, installed_packages, conflict_details FROM venv_builds_metadata "
        "WHERE venv_version = 'venv_20250104_100000'",
        "--json",
        "--store",
        str(store),
    )
    assert json.loads(out) == {
        "conflicts": BUILDS["venv_20250104_100000"]["conflicts"],
        "installed_packages": ["kedro==0.19.0rc1", "pandas==2.0.0rc1"],
        "conflict_details": [],
    }


def test_sql_view_types_follow_the_design(capsys, store):
    code, out, err = run(
        capsys,
        "sql",
        "SELECT typeof(created_at) AS c, typeof(installed_packages) AS p, "
        "typeof(conflicts) AS x, env_name, dt FROM venv_builds_metadata "
        "WHERE venv_version = 'venv_20250105_100000'",
        "--json",
        "--store",
        str(store),
    )
    assert json.loads(out) == {"c": "TIMESTAMP", "p": "VARCHAR[]", "x": "VARCHAR[]", "env_name": "other", "dt": "2025-01-05"}


@pytest.mark.parametrize(
    "query",
    [
        "DROP TABLE records",
        "DELETE FROM records",
        "CREATE TABLE x AS SELECT 1",
        "COPY records TO '/tmp/venvbuild-leak.csv'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "ATTACH '/tmp/other.duckdb' AS other",
        "SET enable_external_access = true",
        "SELEC oops",
    ],
)
def test_sql_is_read_only_and_a_bad_query_exits_2(capsys, store, query):
    code, out, err = run(capsys, "sql", query, "--store", str(store))
    assert code == 2 and err.startswith("venvbuild: error: QUERY:") and err.count("\n") == 1
    code, out, err = run(capsys, "sql", COUNT_VENVS_WITH_KEDRO, "--store", str(store))
    assert out.split() == ["total_kedro_envs", "3"]


def test_sql_on_a_store_without_builds_has_the_view(capsys, tmp_path):
    code, out, err = run(capsys, "sql", COUNT_VENVS_WITH_KEDRO, "--store", str(tmp_path))
    assert code == 0 and out.split() == ["total_kedro_envs", "0"]


@pytest.mark.parametrize("query", ["", "   ", "-- only a comment"])
def test_sql_with_no_statement_is_one_line(capsys, store, query):
    code, out, err = run(capsys, "sql", query, "--store", str(store))
    if query.strip():
        assert code == 0 and err == ""  # a comment is a query with no result
    else:
        assert code == 2 and err == "venvbuild: error: QUERY is empty\n"


def test_search_csv_is_what_a_spreadsheet_reads(capsys, store):
    import csv
    import io

    code, out, err = run(capsys, "search", "kedro", "--csv", "--store", str(store))
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert code == 0 and out.endswith("\r\n")
    assert rows[0] == ["venv_version", "env_name", "created_at", "python_version", "packages", "is_conflict_free", "venv_archive"]
    assert [r[0] for r in rows[1:]] == ["venv_20250105_100000", "venv_20250104_100000", "venv_20250101_100000"]
    assert rows[2][1:6] == ["demo", "2025-01-04T10:00:00Z", "3.11", "kedro==0.19.0rc1", "false"]
    assert rows[3][6].endswith("/venv_20250101_100000.tar.gz")
    assert run(capsys, "search", "kedro>=5", "--csv", "--store", str(store))[:2] == (1, rows_header(rows))


def rows_header(rows):
    return ",".join(rows[0]) + "\r\n"


def test_sql_csv_quotes_commas_and_lists_and_leaves_null_empty(capsys, store):
    import csv
    import io

    code, out, err = run(
        capsys,
        "sql",
        "SELECT venv_version, installed_packages, build_url, 'a,\"b' AS odd "
        "FROM venv_builds_metadata WHERE venv_version = 'venv_20250101_100000'",
        "--csv",
        "--store",
        str(store),
    )
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert code == 0
    assert rows == [
        ["venv_version", "installed_packages", "build_url", "odd"],
        ["venv_20250101_100000", '["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3"]', "", 'a,"b'],
    ]
    assert run(capsys, "sql", "SELECT 1", "--csv", "--json", "--store", str(store))[0] == 2
