"""`--json` of the commands that need a real venv: build, pull and verify (the keys and value types that
docs/reference/json-output.md documents); the others are in test_json_output.py."""

import json

import pytest

from tests._support.processes import venvbuild
from tests.test_json_output import assert_shape

RECEIPT = {
    "venv_version": str,
    "env_name": str,
    "archive_sha256": str,
    "archive_url": str,
    "store": str,
    "dest": str,
    "pulled_at": str,
    "python_full_version": str,
    "venvbuild_version": str,
    "build_record_sha256": str,
    "relocated": dict,
    "reused": bool,
}


def one_document(done):
    assert done.stdout.count("\n") == 1, done.stdout
    return json.loads(done.stdout)


@pytest.fixture
def built(tmp_path, requirements):
    """(the store, build --json's document) of one real build."""
    store = tmp_path / "store"
    done = venvbuild(
        "build",
        "--requirements",
        requirements("alpha==1.0"),
        "--env-name",
        "demo",
        "--store",
        store,
        "--work-dir",
        tmp_path / "work",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    return store, one_document(done)


def test_build_json_is_the_stored_metadata_and_whether_it_was_reused(tmp_path, built):
    store, document = built
    assert_shape(document, {"metadata": dict, "reused": bool})
    assert document["reused"] is False
    assert document["metadata"] == json.loads((tmp_path / "work" / "artifacts" / "metadata.json").read_text())


def test_pull_and_verify_json(tmp_path, built):
    store, document = built
    version = document["metadata"]["venv_version"]
    dest = tmp_path / "env"
    done = venvbuild("pull", version, "--store", store, "--dest", dest, "--json")
    assert done.returncode == 0, done.stderr
    receipt = one_document(done)
    assert_shape(receipt, RECEIPT)
    assert (receipt["venv_version"], receipt["dest"], receipt["reused"]) == (version, str(dest), False)

    done = venvbuild("verify", dest, "--json")
    assert done.returncode == 0, done.stderr
    assert one_document(done) == {"root": str(dest), "unchanged": True, "differences": []}

    (dest / "planted.txt").write_text("x\n")
    done = venvbuild("verify", dest, "--json")
    assert done.returncode == 1
    assert one_document(done) == {
        "root": str(dest),
        "unchanged": False,
        "differences": [{"kind": "added", "detail": "planted.txt"}],
    }
