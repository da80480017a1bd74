"""The audit findings' table (`venvbuild ddl --findings --engine trino`) on the session's real Trino, over the
findings `venvbuild audit --all --publish` stored: every row is a finding of the local audit, and the column
types are the schema's. And `search --vuln --athena` (the tests' Athena stand-in over Trino) answers as the
local search does."""

import json
import shutil

import pytest

from tests._support import osv_records
from tests._support.athena_on_trino import RESULTS_OUTPUT
from tests._support.cli import run_cli
from tests._support.records import make_metadata, write_record
from venvbuild.query import ddl

DATABASE = "venvs_findings"
BUILDS = {
    "venv_20250101_100000": ["requests==2.30.0", "urllib3==1.26.15", "Jinja2==3.1.2"],
    "venv_20250102_100000": ["urllib3==2.0.5", "idna==3.4"],
    "venv_20250103_100000": ["requests==2.31.0", "urllib3==2.0.7"],
}


@pytest.fixture(scope="module")
def audited(trino, tmp_path_factory):
    root = trino.warehouse / "stores" / DATABASE
    shutil.rmtree(root, ignore_errors=True)
    for version, packages in BUILDS.items():
        write_record(root, version, installed_packages=packages)
        (root / "venv-builds" / version).mkdir(parents=True)
        (root / "venv-builds" / version / "metadata.json").write_text(
            json.dumps(make_metadata(version, installed_packages=packages))
        )
    osv = osv_records.write_folder(tmp_path_factory.mktemp("osv"), malformed={})
    from venvbuild.cli import main

    assert main(["-q", "vulndb", "import", str(osv), "--store", str(root)]) == 0
    return root


def test_the_findings_table_reads_the_published_findings_as_the_local_audit_has_them(audited, trino, capsys):
    code, out, _ = run_cli(capsys, "audit", "--all", "--publish", "--json", "--store", audited)
    result = json.loads(out)
    assert code == 1 and len(result["findings"]) == 4
    client = trino.client()
    client.execute(f"CREATE SCHEMA IF NOT EXISTS hive.{DATABASE}")
    client.execute(
        ddl.findings_statement(f"local:///stores/{DATABASE}/venv-builds-findings/", DATABASE, since="2024-12-01", engine="trino")
    )
    client = trino.client(schema=DATABASE)
    snapshot = result["snapshot"]
    columns, rows = client.execute(
        f"SELECT venv_version, package, id, aliases, fixed_versions, snapshot FROM {ddl.DEFAULT_FINDINGS_TABLE} "
        f"WHERE snapshot_id = '{snapshot[:16]}' ORDER BY venv_version, package"
    )
    expected = sorted(
        [f["venv_version"], f["package"], f["id"], f["aliases"], f["fixed_versions"], snapshot] for f in result["findings"]
    )
    assert sorted(rows) == expected
    _, described = client.execute(f"DESCRIBE {ddl.DEFAULT_FINDINGS_TABLE}")
    types = {r[0]: r[1] for r in described}
    assert types["created_at"] == "timestamp(3)" and types["aliases"] == "array(varchar)"
    assert [name for name, _ in ddl.finding_columns()] == [c for c in types if c not in ("snapshot_id", "dt")]
    _, none = client.execute(f"SELECT count(*) FROM {ddl.DEFAULT_FINDINGS_TABLE} WHERE snapshot_id = '{'0' * 16}'")
    assert none == [[0]]


@pytest.fixture(scope="module")
def athena_tables(trino, audited):
    """The search records' table of `venvbuild ddl --engine trino` over the audited store."""
    client = trino.client()
    client.execute(f"CREATE SCHEMA IF NOT EXISTS hive.{DATABASE}")
    for statement in ddl.statements(
        f"local:///stores/{DATABASE}/venv-builds-metadata/", DATABASE, engine="trino", since="2024-12-01"
    ):
        client.execute(statement)
    return trino.client(schema=DATABASE)


@pytest.mark.usefixtures("results_bucket")
@pytest.mark.parametrize(
    "argv",
    [["CVE-2023-43804"], ["GHSA-j8r2-6x86-q33q", "--count"], ["PYSEC-2023-74", "--csv"], ["CVE-2024-22195", "--limit", "1"]],
)
def test_search_vuln_on_athena_engine_equals_the_local_search(capsys, aws, audited, athena_endpoint, argv):
    vuln, *rest = argv
    local = run_cli(capsys, "search", "--vuln", vuln, *rest, "--store", audited)
    remote = run_cli(
        capsys,
        "search",
        "--vuln",
        vuln,
        *rest,
        "--store",
        audited,
        "--athena",
        "--database",
        DATABASE,
        "--athena-endpoint-url",
        athena_endpoint.url,
        "--region",
        "us-east-1",
        "--output",
        RESULTS_OUTPUT,
    )
    assert remote == local and local[0] == 0
