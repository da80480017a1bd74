"""The offline vulnerability database (`venvbuild vulndb`) and `venvbuild audit` over a local store, with OSV
records in the shape of real PyPI advisories (tests/_support/osv_records.py)."""

import gzip
import json
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest

import venvbuild
from tests._support import osv_records
from tests._support.cli import run_cli
from tests._support.records import make_metadata, write_record

OLD = "venv_20250101_100000"  # requests 2.30.0, urllib3 1.26.15, Jinja2 3.1.2, PyYAML 5.3.1, numpy 1.26.0
NEW = "venv_20250301_100000"  # everything fixed
OTHER = "venv_20250201_100000"  # another env: urllib3 2.0.5 only


def _publish(store, version, **fields):
    """A build as the store holds it: the search record and the build folder's metadata.json."""
    write_record(store, version, **fields)
    folder = store / "venv-builds" / version
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(json.dumps(make_metadata(version, **fields)) + "\n")


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "store"
    _publish(
        root,
        OLD,
        env_name="web",
        installed_packages=["requests==2.30.0", "urllib3==1.26.15", "Jinja2==3.1.2", "PyYAML==5.3.1", "numpy==1.26.0"],
    )
    _publish(root, OTHER, env_name="etl", installed_packages=["urllib3==2.0.5", "idna==3.4"])
    _publish(
        root,
        NEW,
        env_name="web",
        installed_packages=["requests==2.31.0", "urllib3==2.0.7", "Jinja2==3.1.3", "PyYAML==6.0.1", "numpy==1.26.0"],
    )
    return root


@pytest.fixture
def imported(store, tmp_path, capsys):
    code, out, err = run_cli(capsys, "vulndb", "import", osv_records.write_folder(tmp_path / "osv"), "--store", store, "--json")
    assert code == 0, err
    return json.loads(out)


def test_import_keeps_pypi_records_and_warns_once_per_malformed_file(store, tmp_path, capsys):
    code, out, err = run_cli(capsys, "vulndb", "import", osv_records.write_folder(tmp_path / "osv"), "--store", store, "--json")
    assert code == 0, err
    done = json.loads(out)
    assert (done["advisories"], done["withdrawn"], done["skipped"], done["new_snapshot"]) == (6, 1, 3, True)
    warnings = [line for line in err.splitlines() if line.startswith("venvbuild: warning:")]
    assert len(warnings) == 3
    for name in osv_records.MALFORMED:
        assert sum(name in line for line in warnings) == 1, name
    snapshot = store / "venv-builds-vulndb" / "snapshots" / f"{done['snapshot']}.jsonl.gz"
    ids = [json.loads(line)["id"] for line in gzip.decompress(snapshot.read_bytes()).splitlines()]
    assert ids == sorted(ids) and "GO-2023-1878" not in ids and "PYSEC-2019-108" in ids


def test_the_zip_of_osv_s_export_gives_the_same_snapshot_and_status_names_the_newest_import(store, tmp_path, capsys, imported):
    zipped = osv_records.write_zip(tmp_path / "all.zip")
    code, out, err = run_cli(capsys, "vulndb", "import", zipped, "--store", store, "--json")
    assert code == 0, err
    again = json.loads(out)
    assert again["snapshot"] == imported["snapshot"] and again["new_snapshot"] is False
    assert f"{zipped}:broken.json" in err
    code, out, _ = run_cli(capsys, "vulndb", "status", "--store", store, "--json")
    status = json.loads(out)
    assert code == 0 and status["snapshot"] == imported["snapshot"] and status["advisories"] == 6
    assert status["imports"] == 2 and status["imported_at"] == again["imported_at"]


def test_files_without_a_pypi_record_import_nothing(tmp_path, capsys):
    folder = osv_records.write_folder(tmp_path / "go", records=[osv_records.GO_RECORD])
    code, _, err = run_cli(capsys, "vulndb", "import", folder, "--store", tmp_path / "s", "-q")
    assert code == 2 and err == f"venvbuild: error: PATH {folder}: no OSV record of a PyPI package in it; nothing imported\n"
    assert not (tmp_path / "s" / "venv-builds-vulndb").exists()


def test_status_of_an_empty_store_and_a_missing_path(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "vulndb", "status", "--store", tmp_path / "s", "--json")
    assert code == 1 and json.loads(out)["snapshot"] is None
    code, _, err = run_cli(capsys, "vulndb", "import", tmp_path / "nope", "--store", tmp_path / "s")
    assert code == 2 and err == f"venvbuild: error: PATH {tmp_path / 'nope'}: no such file or folder\n"


def test_audit_all_finds_each_vulnerability_once_per_build_and_package(store, capsys, imported):
    code, out, err = run_cli(capsys, "audit", "--all", "--store", store, "--json")
    assert code == 1, err
    result = json.loads(out)
    assert result["builds_audited"] == 3 and result["affected_builds"] == 2
    got = {(f["venv_version"], f["package"], f["id"]) for f in result["findings"]}
    assert got == {
        (OLD, "requests", "GHSA-j8r2-6x86-q33q"),
        (OLD, "urllib3", "GHSA-v845-jxx5-vc9f"),
        (OLD, "Jinja2", "GHSA-h5c8-rqwp-cp95"),
        (OLD, "PyYAML", "PYSEC-2021-142"),
        (OTHER, "urllib3", "GHSA-v845-jxx5-vc9f"),
    }, "numpy's record is withdrawn; the PYSEC and GHSA records of requests' CVE are one finding"
    requests = next(f for f in result["findings"] if f["package"] == "requests")
    assert requests["aliases"] == ["CVE-2023-32681", "PYSEC-2023-74"]
    assert requests["fixed_versions"] == ["2.31.0"] and requests["installed_version"] == "2.30.0"
    assert requests["severity"] == ["CVSS_V3:CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N", "MODERATE"]
    assert requests["summary"] == "Unintended leak of Proxy-Authorization header in requests"
    assert requests["ignored"] is False
    fixed = {f["venv_version"]: f["fixed_versions"] for f in result["findings"] if f["package"] == "urllib3"}
    assert fixed == {OLD: ["1.26.17"], OTHER: ["2.0.6"]}, "the fixes of the affected entry that matched, not every line's"


def test_audit_by_version_and_by_env_name_and_exit_0_when_clean(store, capsys, imported):
    code, out, _ = run_cli(capsys, "audit", NEW, "--store", store)
    assert code == 0 and out == ""
    code, out, _ = run_cli(capsys, "audit", "--env-name", "web", "--latest", "--store", store, "--json")
    assert code == 0 and json.loads(out)["builds_audited"] == 1
    code, out, _ = run_cli(capsys, "audit", "--env-name", "web", "--store", store)
    assert code == 1 and "GHSA-j8r2-6x86-q33q" in out and OLD in out and OTHER not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        ((), "name the builds to audit"),
        (("--all", "--latest"), "--latest needs --env-name"),
        (("--env-name", "nosuch"), "--env-name nosuch: no published build"),
        (("venv_20990101_000000",), "VERSION venv_20990101_000000: no such build"),
        ((OLD, "--publish"), "--publish needs --all"),
        (("--all", "--new-since", "zz"), "--new-since zz: not a snapshot id"),
    ],
)
def test_audit_bad_usage_is_one_line_and_exit_2(store, capsys, imported, argv, message):
    code, _, err = run_cli(capsys, "audit", *argv, "--store", store)
    assert code == 2 and err.startswith("venvbuild: error: ") and message in err and err.count("\n") == 1, err


def test_audit_without_a_database_says_how_to_import_one(store, capsys):
    code, _, err = run_cli(capsys, "audit", "--all", "--store", store)
    assert code == 2 and "venvbuild vulndb import" in err


def _ignore_file(tmp_path, *entries):
    path = tmp_path / "ignores.json"
    path.write_text(json.dumps({"ignore": list(entries)}))
    return path


def test_ignored_findings_stay_marked_and_an_expired_ignore_warns_and_stops_applying(store, tmp_path, capsys, imported):
    tomorrow, yesterday = (date.today() + timedelta(days=1)).isoformat(), (date.today() - timedelta(days=1)).isoformat()
    ignores = _ignore_file(
        tmp_path,
        {"id": "CVE-2023-32681", "reason": "no proxies in use", "package": "requests", "expires": tomorrow},
        {"id": "PYSEC-2021-142", "reason": "yaml input is trusted"},
        {"id": "GHSA-v845-jxx5-vc9f", "reason": "was fine until yesterday", "expires": yesterday},
    )
    code, out, err = run_cli(capsys, "audit", OLD, "--ignore-file", ignores, "--store", store, "--json")
    assert code == 1
    by_id = {f["id"]: f for f in json.loads(out)["findings"]}
    assert by_id["GHSA-j8r2-6x86-q33q"]["ignored"] and by_id["GHSA-j8r2-6x86-q33q"]["ignore_reason"] == "no proxies in use"
    assert by_id["PYSEC-2021-142"]["ignored"]
    assert not by_id["GHSA-v845-jxx5-vc9f"]["ignored"] and not by_id["GHSA-h5c8-rqwp-cp95"]["ignored"]
    assert [line for line in err.splitlines() if "expired" in line] == [
        f"venvbuild: warning: --ignore-file {ignores}: the ignore of GHSA-v845-jxx5-vc9f expired on {yesterday}; its findings count again"
    ]
    everything = _ignore_file(
        tmp_path,
        *({"id": i, "reason": "accepted"} for i in ("GHSA-j8r2-6x86-q33q", "PYSEC-2021-142", "CVE-2023-43804", "CVE-2024-22195")),
    )
    code, out, _ = run_cli(capsys, "audit", OLD, "--ignore-file", everything, "--store", store)
    assert code == 0 and out.count("(ignored)") == 4


@pytest.mark.parametrize(
    "content, message",
    [
        ("{", "not valid JSON"),
        ('{"ignore": [{"id": "X"}]}', "ignore[0]: reason is required"),
        ('{"ignore": [{"id": "X", "reason": "r", "expires": "31/12/2025"}]}', "ignore[0]: expires '31/12/2025' is not a date"),
        ('{"ignores": []}', "not an ignore file"),
    ],
)
def test_a_bad_ignore_file_is_one_error_naming_it(store, tmp_path, capsys, imported, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, _, err = run_cli(capsys, "audit", "--all", "--ignore-file", path, "--store", store)
    assert code == 2 and err.startswith(f"venvbuild: error: --ignore-file {path}: ") and message in err


def test_publish_writes_one_findings_record_per_build_and_new_since_lists_newly_affected(store, tmp_path, capsys, imported):
    code, _, err = run_cli(capsys, "audit", "--all", "--publish", "--store", store)
    assert code == 1 and "3 findings record(s) stored" in err
    root = store / "venv-builds-findings" / f"snapshot={imported['snapshot'][:16]}"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.json"))
    assert files == [f"dt=2025-01-01/{OLD}.json", f"dt=2025-02-01/{OTHER}.json", f"dt=2025-03-01/{NEW}.json"]
    rows = [json.loads(line) for line in (root / f"dt=2025-01-01/{OLD}.json").read_text().splitlines()]
    assert len(rows) == 4 and {r["snapshot"] for r in rows} == {imported["snapshot"]}
    assert (root / f"dt=2025-03-01/{NEW}.json").read_bytes() == b"", "audited, nothing found"
    schema = json.loads((Path(venvbuild.__file__).parents[2] / "resources/venvbuild/finding.schema.json").read_text())
    for row in rows:
        jsonschema.validate(row, schema)
        assert list(row) == list(schema["properties"])
    code, _, err = run_cli(capsys, "audit", "--all", "--publish", "--store", store)
    assert "0 findings record(s) stored" in err, "a rescan of the same snapshot writes nothing again"

    later = dict(
        osv_records.REQUESTS_GHSA,
        id="GHSA-9wx4-h78v-vm56",
        aliases=["CVE-2024-35195"],
        summary="Requests Session object does not verify requests after making first request with verify=False",
        affected=[
            {
                "package": {"ecosystem": "PyPI", "name": "requests"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.32.0"}]}],
            }
        ],
    )
    folder = osv_records.write_folder(tmp_path / "osv2", records=[*osv_records.GOOD, later], malformed={})
    assert run_cli(capsys, "vulndb", "import", folder, "--store", store)[0] == 0
    code, out, _ = run_cli(capsys, "audit", "--all", "--new-since", imported["snapshot"][:12], "--store", store, "--json")
    result = json.loads(out)
    assert code == 1 and result["new_since"] == imported["snapshot"]
    assert {(f["venv_version"], f["id"]) for f in result["findings"]} == {
        (OLD, "GHSA-9wx4-h78v-vm56"),
        (NEW, "GHSA-9wx4-h78v-vm56"),
    }


def test_search_vuln_by_any_alias_lists_the_affected_builds_in_search_s_shapes(store, capsys, imported):
    for name in ("CVE-2023-43804", "GHSA-v845-jxx5-vc9f", "pysec-2023-192"):
        code, out, err = run_cli(capsys, "search", "--vuln", name, "--store", store, "--json")
        assert code == 0, err
        rows = [json.loads(line) for line in out.splitlines()]
        assert [(r["venv_version"], r["packages"]) for r in rows] == [(OTHER, ["urllib3==2.0.5"]), (OLD, ["urllib3==1.26.15"])]
        assert set(rows[0]) == {
            "venv_version",
            "env_name",
            "created_at",
            "python_version",
            "is_conflict_free",
            "packages",
            "venv_archive",
        }
    code, out, _ = run_cli(capsys, "search", "--vuln", "CVE-2023-43804", "--env-name", "web", "--count", "--store", store)
    assert (code, out) == (0, "1\n")
    code, out, _ = run_cli(capsys, "search", "--vuln", "CVE-2023-32681", "--store", store)
    assert code == 0 and OLD in out and "requests==2.30.0" in out and NEW not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (("--vuln", "CVE-2019-6446"), "--vuln CVE-2019-6446: no advisory has that id or alias"),
        (("requests", "--vuln", "CVE-2023-32681"), "--vuln takes no SPEC"),
        (("--vuln", "X", "--athena", "--database", "d", "--reindex"), "--reindex does not apply to --athena"),
    ],
)
def test_search_vuln_bad_usage(store, capsys, imported, argv, message):
    code, _, err = (
        run_cli(capsys, "search", *argv, "--store", store) if "--athena" not in argv else run_cli(capsys, "search", *argv)
    )
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_diff_shows_the_vulnerabilities_fixed_and_introduced(store, capsys, imported):
    code, out, _ = run_cli(capsys, "diff", OLD, NEW, "--store", store, "--json")
    vulns = json.loads(out)["vulnerabilities"]
    assert code == 1 and vulns["snapshot"] == imported["snapshot"] and vulns["introduced"] == []
    assert {(f["id"], f["package"]) for f in vulns["fixed"]} == {
        ("GHSA-j8r2-6x86-q33q", "requests"),
        ("GHSA-v845-jxx5-vc9f", "urllib3"),
        ("GHSA-h5c8-rqwp-cp95", "Jinja2"),
        ("PYSEC-2021-142", "PyYAML"),
    }
    code, out, _ = run_cli(capsys, "diff", NEW, OLD, "--store", store)
    assert "vulnerability introduced: GHSA-j8r2-6x86-q33q requests 2.30.0" in out.splitlines()


def test_diff_without_a_database_has_no_vulnerabilities(store, capsys):
    code, out, _ = run_cli(capsys, "diff", OLD, NEW, "--store", store, "--json")
    assert "vulnerabilities" not in json.loads(out)


def test_json_shapes_are_the_documented_ones(store, capsys, imported):
    """docs/reference/json-output.md: vulndb import, vulndb status, audit."""
    assert set(imported) == {"snapshot", "imported_at", "advisories", "withdrawn", "skipped", "new_snapshot"}
    code, out, _ = run_cli(capsys, "vulndb", "status", "--store", store, "--json")
    assert set(json.loads(out)) == {"snapshot", "imported_at", "advisories", "withdrawn", "imports"}
    code, out, _ = run_cli(capsys, "audit", "--all", "--store", store, "--json")
    result = json.loads(out)
    assert set(result) == {"snapshot", "new_since", "builds_audited", "affected_builds", "findings"}
    for finding in result["findings"]:
        assert set(finding) == {
            "venv_version",
            "env_name",
            "package",
            "installed_version",
            "id",
            "aliases",
            "fixed_versions",
            "severity",
            "summary",
            "ignored",
            "ignore_reason",
        }
        assert all(isinstance(finding[k], list) for k in ("aliases", "fixed_versions", "severity"))
    assert out.count("\n") == 1
