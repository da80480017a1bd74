"""`--json` on every command that produces a result: the exact keys and value types that
docs/reference/json-output.md documents, from the command run as a user runs it. The commands that need a
real venv (build, pull, verify) are in test_json_output_build.py."""

import json

import pytest

from tests._support.records import make_build_dir
from venvbuild.cli import main
from venvbuild.record import metadata

OLD, NEW = "venv_20250101_100000", "venv_20250102_100000"
NULLABLE_STR = (str, type(None))


def run(capsys, *argv):
    capsys.readouterr()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_document(out: str):
    """stdout holds exactly one JSON document, on one line."""
    assert out.endswith("\n") and out.count("\n") == 1, out
    return json.loads(out)


def assert_shape(document: dict, expected: dict) -> None:
    """The exact key set, and each value of its type (a tuple: any of those types)."""
    assert sorted(document) == sorted(expected)
    for key, kind in expected.items():
        assert isinstance(document[key], kind) and not (kind is int and isinstance(document[key], bool)), (key, document[key])


@pytest.fixture
def store(tmp_path, capsys):
    """A local store with two published builds of demo, the newer one upgrading pandas."""
    root = tmp_path / "store"
    for version, pandas in ((OLD, "1.5.3"), (NEW, "2.0.0")):
        build = make_build_dir(
            tmp_path / "builds", version, installed_packages=["kedro==0.18.14", "numpy==1.24.4", f"pandas=={pandas}"]
        )
        assert run(capsys, "publish", build, "--store", root)[0] == 0
    return root


def test_publish_json_is_the_stored_metadata_and_its_default_is_one_human_line(tmp_path, capsys):
    build = make_build_dir(tmp_path / "builds", OLD)
    code, out, err = run(capsys, "publish", build, "--store", tmp_path / "store", "--json")
    assert code == 0, err
    stored = one_document(out)
    assert stored == json.loads((build / "metadata.json").read_text())
    assert metadata.validate(stored, "publish --json") == stored

    again = make_build_dir(tmp_path / "again", NEW)
    code, out, err = run(capsys, "publish", again, "--store", tmp_path / "store")
    assert code == 0, err
    meta = json.loads((again / "metadata.json").read_text())
    assert out.splitlines() == [f"{NEW}  env demo  published  archive {meta['venv_archive']}  sha256 {meta['archive_sha256']}"]


def test_check_pins_json_lists_the_unpinned_requirements(tmp_path, capsys):
    pinned, loose = tmp_path / "pinned.txt", tmp_path / "loose.txt"
    pinned.write_text("kedro==0.19.1\nnumpy==1.26.4\n")
    loose.write_text("kedro>=0.19\nnumpy==1.26.4\n")
    code, out, _ = run(capsys, "check-pins", pinned, "--json")
    assert code == 0
    document = one_document(out)
    assert_shape(document, {"file": str, "requirements": int, "unpinned": list})
    assert (document["requirements"], document["unpinned"]) == (2, [])

    code, out, err = run(capsys, "check-pins", loose, "--json")
    assert code == 3
    document = one_document(out)
    assert document["requirements"] == 2 and len(document["unpinned"]) == 1 and "kedro" in document["unpinned"][0]
    assert err.splitlines()[-1].startswith("venvbuild: error: ") and err.count("venvbuild: error: ") == 1


def test_tag_json_is_the_event(store, capsys):
    code, out, err = run(capsys, "tag", NEW, "stable", "--store", store, "--json")
    assert code == 0, err
    event = one_document(out)
    assert_shape(event, {"env_name": str, "tag": str, "sequence": int, "venv_version": str, "action": str, "created_at": str})
    assert (event["env_name"], event["tag"], event["venv_version"], event["action"], event["sequence"]) == (
        "demo",
        "stable",
        NEW,
        "add",
        1,
    )


@pytest.mark.parametrize("apply", [False, True], ids=["plan", "apply"])
def test_gc_json_is_the_plan_and_what_was_deleted(store, capsys, apply):
    code, out, err = run(capsys, "gc", "--store", store, "--keep-last", "1", "--json", *(["--apply"] if apply else []))
    assert code == 0, err
    plan = one_document(out)
    assert_shape(
        plan, {"applied": bool, "keep": list, "delete": list, "stale_pointers": list, "deleted": int if apply else type(None)}
    )
    assert plan["applied"] is apply
    assert plan["keep"] == [{"venv_version": NEW, "reason": "one of the newest 1"}]
    assert plan["delete"] == [{"venv_version": OLD, "env_name": "demo", "reason": "retention"}]
    if apply:
        assert plan["deleted"] == 1 and not (store / "venv-builds" / OLD).exists()


def test_compact_json_is_each_day_and_the_totals_with_the_day_lines_on_stderr(store, capsys):
    code, out, err = run(capsys, "compact", "--store", store, "--json")
    assert code == 0, err
    document = one_document(out)
    assert_shape(document, {"before": str, "store": str, "days": list, "compacted": int, "records": int, "objects": int})
    assert (document["compacted"], document["records"], document["objects"]) == (2, 2, 2)
    for day in document["days"]:
        assert_shape(
            day, {"day": str, "records": int, "objects": int, "written": NULLABLE_STR, "left": bool, "skipped": NULLABLE_STR}
        )
    assert [d["day"] for d in document["days"]] == ["2025-01-01", "2025-01-02"]
    assert "dt=2025-01-01: 1 record(s)" in err


@pytest.mark.parametrize("tags", [False, True], ids=["table-and-view", "tags"])
def test_ddl_json_is_the_statements_each_without_its_semicolon(capsys, tags):
    argv = ["ddl", "--bucket", "team-venvs", *(["--tags"] if tags else [])]
    code, text, _ = run(capsys, *argv)
    assert code == 0
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    document = one_document(out)
    assert_shape(document, {"engine": str, "statements": list})
    assert len(document["statements"]) == (1 if tags else 2)
    assert "\n".join(s + ";\n" for s in document["statements"]) == text


def test_search_json_lines_one_build_each(store, capsys):
    code, out, err = run(capsys, "search", "pandas", "--store", store, "--json")
    assert code == 0, err
    found = [json.loads(line) for line in out.splitlines()]
    assert [b["venv_version"] for b in found] == [NEW, OLD]
    for build in found:
        assert_shape(
            build,
            {
                "venv_version": str,
                "env_name": str,
                "created_at": str,
                "python_version": str,
                "is_conflict_free": bool,
                "packages": list,
                "venv_archive": NULLABLE_STR,
            },
        )


def test_sql_json_lines_one_row_each(store, capsys):
    code, out, err = run(
        capsys,
        "sql",
        "SELECT venv_version, is_conflict_free FROM venv_builds_metadata ORDER BY venv_version",
        "--store",
        store,
        "--json",
    )
    assert code == 0, err
    assert [json.loads(line) for line in out.splitlines()] == [
        {"venv_version": OLD, "is_conflict_free": True},
        {"venv_version": NEW, "is_conflict_free": True},
    ]


def test_diff_json_is_one_object_of_the_differences(store, capsys):
    code, out, err = run(capsys, "diff", OLD, NEW, "--store", store, "--json")
    assert code == 1, err  # the packages differ
    diff = one_document(out)
    assert_shape(
        diff,
        {
            "old": str,
            "new": str,
            "added": list,
            "removed": list,
            "upgraded": list,
            "downgraded": list,
            "changed": list,
            "environment": list,
            "conflicts_gained": list,
            "conflicts_lost": list,
            "duplicates": list,
            "same_packages": bool,
        },
    )
    assert diff["upgraded"] == [["pandas", "1.5.3", "2.0.0"]]


def test_catalog_json_is_the_site_and_its_counts(store, tmp_path, capsys):
    code, out, err = run(capsys, "catalog", "--store", store, "--out", tmp_path / "site", "--json")
    assert code == 0, err
    document = one_document(out)
    assert_shape(document, {"out": str, "builds": int, "written": int, "kept": int, "removed": int})
    assert document["builds"] == 2 and document["written"] > 0 and document["kept"] == 0
    code, out, err = run(capsys, "catalog", "--store", store, "--out", tmp_path / "site", "--json")
    again = one_document(out)
    assert (again["written"], again["kept"]) == (0, document["written"])


def test_cache_prune_json_is_what_was_removed_and_what_is_in_use(tmp_path, capsys):
    cache_dir = tmp_path / "cache"
    entry = cache_dir / ("a" * 64)
    (entry / "bin").mkdir(parents=True)
    (entry / "bin" / "python").write_bytes(b"x" * 10)
    code, out, _ = run(capsys, "cache", "prune", "--cache-dir", cache_dir, "--max-bytes", 0, "--json")
    assert code == 0
    document = one_document(out)
    assert_shape(
        document,
        {"cache_dir": str, "removed": list, "in_use": list, "kept_bytes": int, "freed_bytes": int, "skipped": NULLABLE_STR},
    )
    assert document["removed"] == [{"kind": "env", "path": str(entry), "bytes": 10, "reason": "over --max-bytes"}]
    assert document["in_use"] == [] and document["freed_bytes"] == 10 and document["kept_bytes"] == 0
    for item in document["removed"]:
        assert_shape(item, {"kind": str, "path": str, "bytes": int, "reason": str})
