"""`venvbuild build --reuse`: real builds from a local wheelhouse, a local store and moto's S3 server."""

import json
import os
import subprocess
import sys

import pytest

from tests._support.processes import venvbuild
from tests._support.records import builds_in, records_in
from tests._support.wheelhouse import write_wheel

pytestmark = pytest.mark.build  # real builds with pip or uv

PINNED = ("alpha==1.0", "beta==1.0")  # alpha needs beta: the whole installed set is pinned


def build(store, requirements_file, *extra, env_name="demo", env=None):
    return venvbuild("build", "--requirements", requirements_file, "--env-name", env_name, "--store", store, *extra, env=env)


def store_files(store):
    return sorted(str(p.relative_to(store)) for p in store.rglob("*") if p.is_file() and "_index" not in p.parts)


def only_meta(store):
    [version] = builds_in(store)
    return json.loads((store / "venv-builds" / version / "metadata.json").read_text())


def test_a_second_build_with_reuse_returns_the_first_and_publishes_nothing(tmp_path, requirements):
    store = tmp_path / "store"
    first = build(store, requirements(*PINNED))
    assert first.returncode == 0, first.stderr
    meta = only_meta(store)
    assert meta["fully_pinned"] is True and len(meta["build_key"]) == 64 and len(meta["content_key"]) == 64
    before = store_files(store)

    again = build(store, requirements("# a comment the first build did not have", *reversed(PINNED)), "--reuse")
    assert again.returncode == 0, again.stderr
    assert f"reused {meta['venv_version']}" in again.stdout
    assert builds_in(store) == [meta["venv_version"]] and len(records_in(store)) == 1
    added = sorted(set(store_files(store)) - set(before))
    assert len(added) == 1 and added[0].startswith(f"venv-builds-reuse/returned/{meta['venv_version']}/")
    assert "Installing" not in again.stdout and "Successfully installed" not in again.stdout

    changed = build(store, requirements("alpha==1.0", "beta==1.0", "delta==1.0", "epsilon==1.0"), "--reuse")
    assert changed.returncode == 0, changed.stderr
    assert "reused" not in changed.stdout and len(builds_in(store)) == 2


def test_a_requirement_given_through_pip_s_environment_is_not_reused_away(tmp_path, requirements):
    """PIP_REQUIREMENT is pip's -r from the environment: a build made with it installs more than one made
    without, so --reuse must not return the earlier build for it."""
    store = tmp_path / "store"
    pinned = requirements(*PINNED)
    assert build(store, pinned).returncode == 0
    extra = tmp_path / "extra.txt"
    extra.write_text("gamma==1.0\n")
    again = build(store, pinned, "--reuse", env={"PIP_REQUIREMENT": str(extra)})
    assert again.returncode == 0, again.stderr
    assert "reused" not in again.stdout and len(builds_in(store)) == 2
    newest = json.loads((store / "venv-builds" / builds_in(store)[-1] / "metadata.json").read_text())
    assert "gamma==1.0" in newest["installed_packages"]


def test_reuse_is_per_env_name_and_skips_builds_with_unpinned_packages(tmp_path, requirements):
    store = tmp_path / "store"
    assert build(store, requirements(*PINNED)).returncode == 0
    other_env = build(store, requirements(*PINNED), "--reuse", env_name="other")
    assert other_env.returncode == 0 and "reused" not in other_env.stdout
    # Built in two temporary folders, the same inputs installed the same bytes.
    metas = [json.loads((store / "venv-builds" / v / "metadata.json").read_text()) for v in builds_in(store)]
    assert metas[0]["env_name"] != metas[1]["env_name"] and metas[0]["build_key"] == metas[1]["build_key"]
    assert metas[0]["content_key"] == metas[1]["content_key"]

    loose = requirements("alpha==1.0", name="loose.txt")  # beta comes in unpinned
    first = build(store, loose, "--reuse", env_name="loose")
    assert first.returncode == 0, first.stderr
    said = [line for line in first.stderr.splitlines() if "not pinned by the requirements" in line]
    assert len(said) == 1 and "beta==1.0" in said[0]
    second = build(store, loose, "--reuse", env_name="loose")
    assert second.returncode == 0 and "reused" not in second.stdout
    assert len(builds_in(store)) == 4
    assert not list((store / "venv-builds-reuse" / "keys").glob("loose/*")), "an unpinned build claims no pointer"


def test_two_concurrent_builds_of_one_key_publish_once(tmp_path, requirements):
    store = tmp_path / "store"
    req = requirements(*PINNED)
    command = [
        sys.executable,
        "-m",
        "venvbuild",
        "build",
        "--requirements",
        str(req),
        "--env-name",
        "demo",
        "--store",
        str(store),
        "--reuse",
    ]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    [version] = builds_in(store)
    assert len(records_in(store)) == 1
    assert all(f"{version}  env demo" in out for out, _ in outs)
    assert sum("reused" in out for out, _ in outs) == 1


def test_the_same_key_with_other_bytes_is_recorded_and_warned(tmp_path, requirements, wheelhouse):
    store = tmp_path / "store"
    house = tmp_path / "house"
    house.mkdir()
    write_wheel(house, "solo", "1.0")
    req = tmp_path / "solo.txt"
    req.write_text(f"--no-index\n--find-links {house}\nsolo==1.0\n")
    assert build(store, req).returncode == 0
    [first] = builds_in(store)
    # The index now serves another file under the same name and version.
    _rewrite_wheel_content(house / "solo-1.0-py3-none-any.whl")
    second = build(store, req)
    assert second.returncode == 0, second.stderr
    assert "same build_key but other content" in second.stdout + second.stderr
    metas = [json.loads((store / "venv-builds" / v / "metadata.json").read_text()) for v in builds_in(store)]
    assert metas[0]["build_key"] == metas[1]["build_key"] and metas[0]["content_key"] != metas[1]["content_key"]
    assert metas[1]["content_differs_from"] == first


def _rewrite_wheel_content(path):
    import zipfile

    from tests._support.wheelhouse import _record_line

    with zipfile.ZipFile(path) as whl:
        files = {n: whl.read(n) for n in whl.namelist()}
    files["solo/__init__.py"] = b'__version__ = "1.0"  # rebuilt\n'
    record = [_record_line(n, d) for n, d in files.items() if not n.endswith("RECORD")]
    files["solo-1.0.dist-info/RECORD"] = ("\n".join(record + ["solo-1.0.dist-info/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(path, "w") as whl:
        for n, d in files.items():
            whl.writestr(zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0)), d)


def test_reuse_through_s3(tmp_path, requirements, s3_server, aws_env):
    import boto3

    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket="reuse-bucket")
    store = "s3://reuse-bucket/venv-builds"
    first = build(store, requirements(*PINNED), "--endpoint-url", s3_server, "--reuse")
    assert first.returncode == 0, first.stderr
    again = build(store, requirements(*PINNED), "--endpoint-url", s3_server, "--reuse")
    assert again.returncode == 0, again.stderr
    assert "reused venv_" in again.stdout
    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=s3_server).list_objects_v2(
            Bucket="reuse-bucket", Prefix="venv-builds-metadata/dt="
        )["Contents"]
    ]
    assert len(keys) == 1, "one search record: the second build published nothing"


def test_reuse_against_a_store_that_cannot_be_read_is_one_line_and_changes_nothing(tmp_path, requirements, aws_env):
    done = build(
        "s3://no-such-bucket/venv-builds",
        requirements(*PINNED),
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--reuse",
        env={"AWS_MAX_ATTEMPTS": "1"},
    )
    assert done.returncode == 6
    assert done.stderr.count("venvbuild: error:") == 1 and done.stderr.strip().startswith("venvbuild: error: --store")

    if os.geteuid() == 0:
        pytest.skip("root reads any folder")
    store = tmp_path / "store"
    (store / "venv-builds-reuse").mkdir(parents=True)
    (store / "venv-builds-reuse").chmod(0)
    try:
        done = build(store, requirements(*PINNED), "--reuse")
    finally:
        (store / "venv-builds-reuse").chmod(0o755)
    assert done.returncode == 6 and done.stderr.count("venvbuild: error:") == 1
    assert builds_in(store) == []


def test_the_jenkins_stage_commands_reuse_too(tmp_path, requirements):
    store, work = tmp_path / "store", tmp_path / "work"
    assert build(store, requirements(*PINNED)).returncode == 0
    [version] = builds_in(store)
    done = venvbuild(
        "validate", "--work-dir", work, "--requirements", requirements(*PINNED), "--env-name", "demo", "--reuse", "--store", store
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((work / "reused.json").read_text())["venv_version"] == version
    assert not (work / "venv").exists()

    refused = venvbuild(
        "validate", "--work-dir", tmp_path / "w2", "--requirements", requirements(*PINNED), "--env-name", "demo", "--store", store
    )
    assert refused.returncode == 2 and refused.stderr.startswith("venvbuild: error: --store needs --reuse")
    refused = venvbuild("publish", work / "artifacts", "--store", store, "--reused-to", tmp_path / "r.json")
    assert refused.returncode == 2 and refused.stderr.startswith("venvbuild: error: --reused-to needs --reuse")


def test_publish_reuse_returns_the_build_that_claimed_the_key_first(tmp_path, requirements):
    store = tmp_path / "store"
    req = requirements(*PINNED)
    works = [tmp_path / "a", tmp_path / "b"]
    for work in works:  # two builds of the same inputs, made before either publishes
        assert build(tmp_path / f"scratch-{work.name}", req, "--work-dir", work).returncode == 0
    first = venvbuild("publish", works[0] / "artifacts", "--store", store, "--reuse", "--json")
    assert first.returncode == 0, first.stderr
    reused = tmp_path / "reused.json"
    second = venvbuild(
        "publish", works[1] / "artifacts", "--store", store, "--reuse", "--reused-to", reused, "--next-free-version", "--json"
    )
    assert second.returncode == 0, second.stderr
    assert builds_in(store) == [json.loads(first.stdout)["venv_version"]]
    assert json.loads(reused.read_text()) == json.loads(second.stdout) == json.loads(first.stdout)
