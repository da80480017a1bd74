"""Real builds, end to end through the `venvbuild` command, installing from a wheelhouse made here."""

import json
import shutil
import subprocess
import sys
import tarfile

import pytest

from tests._support.processes import CHILD_TIMEOUT_S, venvbuild
from tests._support.records import builds_in, records_in
from venvbuild.record import metadata

pytestmark = pytest.mark.build  # real builds with pip or uv

SEVEN = {
    "requirements.txt",
    "pipdeptree.txt",
    "pipdeptree.json",
    "installed_packages.txt",
    "installed_packages.json",
    "metadata.json",
}
# The graph pictures every build adds (SVG only where Graphviz is installed), listed in metadata.json.
GRAPHS = ["pipdeptree.mmd", "pipdeptree.dot"] + (["pipdeptree.svg"] if shutil.which("dot") else []) + ["sbom.cdx.json"]


def test_pip_build_stores_the_design_layout(tmp_path, requirements):
    store = tmp_path / "store"
    done = venvbuild(
        "build", "--requirements", requirements("gamma==1.0", "alpha==1.0", "beta==1.0"), "--env-name", "demo", "--store", store
    )
    assert done.returncode == 0, done.stderr
    [version] = builds_in(store)
    folder = store / "venv-builds" / version
    assert {p.name for p in folder.iterdir()} == SEVEN | set(GRAPHS) | {f"{version}.tar.gz"}

    raw = (folder / "metadata.json").read_text()
    assert raw.count("\n") == 1 and raw.endswith("}\n"), "metadata.json is one JSON object on one line"
    meta = json.loads(raw)
    assert metadata.problems(meta) == []
    assert meta["venv_version"] == version and meta["env_name"] == "demo"
    assert meta["installed_packages"] == sorted(meta["installed_packages"], key=str.lower)
    assert {"alpha==1.0", "beta==1.0", "gamma==1.0"} <= set(meta["installed_packages"])
    assert not [p for p in meta["installed_packages"] if p.lower().startswith(("pipdeptree", "nab"))]
    assert meta["is_conflict_free"] is True and meta["conflicts"] == [] and meta["conflict_details"] == []
    assert meta["python_version"] == "{}.{}".format(*sys.version_info[:2])
    assert meta["venv_archive"] == (folder / f"{version}.tar.gz").as_uri()
    assert meta["requirements_file"] == (folder / "requirements.txt").as_uri()
    assert meta["pipdeptree_output"] == (folder / "pipdeptree.json").as_uri()
    assert meta["archive_size"] == (folder / f"{version}.tar.gz").stat().st_size
    import hashlib

    assert meta["archive_sha256"] == hashlib.sha256((folder / f"{version}.tar.gz").read_bytes()).hexdigest()
    assert meta["python_home"] and meta["installer"] == "pip"
    assert meta["extra_artifacts"] == GRAPHS
    assert '"gamma 1.0"' in (folder / "pipdeptree.dot").read_text()
    assert "graph LR" in (folder / "pipdeptree.mmd").read_text()

    installed = json.loads((folder / "installed_packages.json").read_text())
    assert installed == meta["installed_packages"]
    assert (folder / "installed_packages.txt").read_text().splitlines() == installed
    tree = json.loads((folder / "pipdeptree.json").read_text())
    assert {e["package"]["key"] for e in tree} >= {"alpha", "beta", "gamma"}
    assert "gamma==1.0\n└── alpha [required: Any, installed: 1.0]" in (folder / "pipdeptree.txt").read_text()

    [record] = records_in(store)
    assert record.name == f"{version}.json" and record.parent.name == f"dt={meta['created_at'][:10]}"
    assert record.read_text() == raw

    with tarfile.open(folder / f"{version}.tar.gz") as tar:
        names = tar.getnames()
        assert names[0] == "venv" and "venv/bin/python" in names and "venv/pyvenv.cfg" in names
        assert names[-2:] == ["venv/.venvbuild", "venv/.venvbuild/build.json"], "the build record comes last"
        body = [n for n in names[:-2] if not n.endswith(".dist-info/RECORD")]
        assert body == sorted(body, key=lambda n: n.split("/"))
        assert {m.mtime for m in tar.getmembers()} == {315532800} and {m.uid for m in tar.getmembers()} == {0}
    assert f"{version}  env demo" in done.stdout


def test_uv_zst_build_and_a_built_venv_that_works(tmp_path, requirements):
    zstandard = pytest.importorskip("zstandard")
    store, work = tmp_path / "store", tmp_path / "work"
    done = venvbuild(
        "build",
        "--requirements",
        requirements("alpha==1.0", "beta==1.0"),
        "--env-name",
        "demo.uv_1",
        "--store",
        store,
        "--installer",
        "uv",
        "--compression",
        "zst",
        "--work-dir",
        work,
    )
    assert done.returncode == 0, done.stderr
    [version] = builds_in(store)
    meta = json.loads((store / "venv-builds" / version / "metadata.json").read_text())
    assert meta["installer"] == "uv" and meta["venv_archive"].endswith(f"/{version}.tar.zst")
    assert "pip==" not in " ".join(meta["installed_packages"])
    with (
        open(store / "venv-builds" / version / f"{version}.tar.zst", "rb") as fh,
        zstandard.ZstdDecompressor().stream_reader(fh) as raw,
        tarfile.open(fileobj=raw, mode="r|") as tar,
    ):
        assert "venv/pyvenv.cfg" in [m.name for m in tar]
    run = subprocess.run(
        [work / "venv" / "bin" / "python", "-c", "import alpha, beta; print(beta.__version__)"],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    assert run.stdout.strip() == "1.0"


def test_conflict_fails_with_fail_on_conflicts_and_stores_nothing(tmp_path, requirements):
    store, work = tmp_path / "store", tmp_path / "work"
    # --no-deps (through pip's environment) installs what the resolver would refuse: a real conflict.
    done = venvbuild(
        "build",
        "--requirements",
        requirements("alpha==1.0", "beta==2.0"),
        "--env-name",
        "demo",
        "--store",
        store,
        "--work-dir",
        work,
        "--fail-on-conflicts",
        env={"PIP_NO_DEPS": "1"},
    )
    assert done.returncode == 4, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "venvbuild: error: 1 dependency conflict(s), first: alpha 1.0 requires beta<2, but beta 2.0 is installed"
    )
    assert builds_in(store) == [] and records_in(store) == []
    assert json.loads((work / "artifacts" / "pipdeptree.json").read_text())


def test_conflict_without_the_flag_is_stored_as_not_conflict_free(tmp_path, requirements):
    store = tmp_path / "store"
    done = venvbuild(
        "build",
        "--requirements",
        requirements("alpha==1.0", "beta==2.0"),
        "--env-name",
        "demo",
        "--store",
        store,
        env={"PIP_NO_DEPS": "1"},
    )
    assert done.returncode == 0, done.stderr
    [record] = records_in(store)
    meta = json.loads(record.read_text())
    assert meta["is_conflict_free"] is False
    assert meta["conflicts"] == ["alpha 1.0 requires beta<2, but beta 2.0 is installed"]
    assert meta["conflict_details"] == [
        {
            "kind": "version",
            "package": "beta",
            "requirement": "beta<2",
            "installed_version": "2.0",
            "required_by": "alpha 1.0",
        }
    ]
    folder = store / "venv-builds" / meta["venv_version"]
    assert '"alpha" -> "beta" [label="<2", color="#d62728"' in (folder / "pipdeptree.dot").read_text()


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_resolver_refusal_names_the_clashing_requirements(tmp_path, requirements, installer):
    store = tmp_path / "store"
    done = venvbuild(
        "build",
        "--requirements",
        requirements("alpha==1.0", "beta==2.0"),
        "--env-name",
        "demo",
        "--store",
        store,
        "--installer",
        installer,
    )
    assert done.returncode == 5, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "install failed: requirements clash:" in last
    assert "alpha" in last and "beta" in last and ("beta<2" in last or "beta>=2" in last or "beta==2.0" in last)
    assert builds_in(store) == []


def test_credentials_in_an_index_url_never_reach_logs_or_stored_files(tmp_path, wheelhouse):
    store, work = tmp_path / "store", tmp_path / "work"
    req = tmp_path / "requirements.txt"
    # An unreachable index on 127.0.0.1 with credentials; the package comes from the wheelhouse.
    req.write_text(f"--extra-index-url https://builder:s3cr3t-token@127.0.0.1:9/simple\n--find-links {wheelhouse}\nbeta==1.0\n")
    done = venvbuild(
        "build",
        "--requirements",
        req,
        "--env-name",
        "demo",
        "--store",
        store,
        "--work-dir",
        work,
        env={"PIP_RETRIES": "0", "PIP_TIMEOUT": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1:9" in (work / "install.log").read_text(), "the index URL is logged, redacted"
    places = [done.stdout, done.stderr] + [
        p.read_text(errors="replace") for p in work.rglob("*") if p.is_file() and p.suffix in (".txt", ".json", ".log")
    ]
    places += [p.read_text() for p in store.rglob("*") if p.suffix in (".txt", ".json")]
    assert not [p for p in places if "s3cr3t" in p or "builder:" in p or "builder@" in p]


@pytest.mark.parametrize("name", ["a;rm -rf /", "../x", "-x", "", "x" * 65, "$(id)", "demo env", "1demo"])
def test_bad_env_names_are_refused_before_anything_runs(tmp_path, requirements, name):
    store = tmp_path / "store"
    done = venvbuild("build", "--requirements", requirements("beta==1.0"), f"--env-name={name}", "--store", store)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"venvbuild: error: --env-name {name!r} is not valid: letters, digits, '-', '_' and '.'; starts with a letter; at most 64 characters"
    ]
    assert not store.exists()


@pytest.mark.parametrize("version", ["3", "python3.11", "3.11; ls", "3.11.7"])
def test_bad_python_versions_are_refused(tmp_path, requirements, version):
    done = venvbuild(
        "build", "--requirements", requirements("beta==1.0"), "--env-name", "demo", "--store", tmp_path / "s", "--python", version
    )
    assert done.returncode == 2 and f"--python {version!r} is not valid" in done.stderr


def test_python_version_that_is_not_installed(tmp_path, requirements):
    done = venvbuild(
        "build", "--requirements", requirements("beta==1.0"), "--env-name", "demo", "--store", tmp_path / "s", "--python", "3.99"
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("venvbuild: error: --python 3.99: no Python 3.99 interpreter found")
    assert "found 3." in line


def test_requested_python_version_is_the_one_built(tmp_path, requirements):
    from venvbuild.build import interpreter

    other = next((v for v in ("3.12", "3.13", "3.10") if v != "{}.{}".format(*sys.version_info[:2])), None)
    try:
        found = interpreter.find(other)
    except Exception:
        pytest.skip(f"no Python {other} on this machine")
    store = tmp_path / "store"
    done = venvbuild(
        "build",
        "--requirements",
        requirements("beta==1.0"),
        "--env-name",
        "demo",
        "--store",
        store,
        "--python",
        other,
        "--installer",
        "uv",
    )
    assert done.returncode == 0, done.stderr
    [record] = records_in(store)
    meta = json.loads(record.read_text())
    assert meta["python_version"] == other and meta["python_full_version"] == found.version


@pytest.mark.parametrize(
    "content, code, message",
    [
        ("beta\n", 3, "requirements.txt:1: beta (no version specifier)"),
        ("", 2, "requirements.txt: no requirements in the file"),
        (b"beta==1.0\n\xff\n", 2, "requirements.txt:2: not UTF-8 text"),
    ],
)
def test_bad_requirements_files(tmp_path, content, code, message):
    req = tmp_path / "requirements.txt"
    req.write_bytes(content if isinstance(content, bytes) else content.encode())
    done = venvbuild("build", "--requirements", req, "--env-name", "demo", "--store", tmp_path / "s")
    assert done.returncode == code
    assert message in done.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "s").exists()


def test_missing_requirements_file(tmp_path):
    done = venvbuild("build", "--requirements", tmp_path / "nope.txt", "--env-name", "demo", "--store", tmp_path / "s")
    assert done.returncode == 2
    assert done.stderr.strip() == f"venvbuild: error: {tmp_path / 'nope.txt'}: requirements file not found"


def test_allow_unpinned_warns_and_builds(tmp_path, requirements):
    store = tmp_path / "store"
    done = venvbuild(
        "build",
        "--requirements",
        requirements("beta"),
        "--env-name",
        "demo",
        "--store",
        store,
        "--allow-unpinned",
        "--installer",
        "uv",
    )
    assert done.returncode == 0, done.stderr
    assert "warning:" in done.stderr and "beta (no version specifier)" in done.stderr
    assert len(records_in(store)) == 1


def test_work_dir_that_is_not_empty_is_refused(tmp_path, requirements):
    work = tmp_path / "work"
    work.mkdir()
    (work / "something").write_text("x")
    done = venvbuild(
        "build", "--requirements", requirements("beta==1.0"), "--env-name", "demo", "--store", tmp_path / "s", "--work-dir", work
    )
    assert done.returncode == 2 and "--work-dir" in done.stderr and "not empty" in done.stderr


def test_help_lists_the_exit_codes():
    done = venvbuild("--help")
    assert done.returncode == 0
    for line in (
        "0  ok",
        "2  bad usage or bad input",
        "3  unpinned requirements",
        "4  dependency conflicts with --fail-on-conflicts",
        "5  install failed",
        "6  store/publish failed",
    ):
        assert line in done.stdout


def test_stage_commands_one_by_one_as_jenkins_runs_them(tmp_path, requirements):
    work = tmp_path / "work"
    req = requirements("gamma==1.0", "alpha==1.0", "beta==1.0")
    assert venvbuild("install", "--work-dir", work).returncode == 2, "a stage before validate is refused"
    steps = [
        ("validate", "--requirements", req, "--env-name", "demo", "--installer", "uv"),
        ("install",),
        ("inspect", "--fail-on-conflicts"),
        ("package",),
        ("metadata",),
    ]
    for step in steps:
        done = venvbuild(step[0], "--work-dir", work, *step[1:])
        assert done.returncode == 0, (step, done.stderr)
    artifacts = work / "artifacts"
    meta = json.loads((artifacts / "metadata.json").read_text())
    assert {p.name for p in artifacts.iterdir()} == SEVEN | set(GRAPHS) | {f"{meta['venv_version']}.tar.gz"}
    assert meta["extra_artifacts"] == GRAPHS
    assert meta["venv_archive"] == (artifacts / f"{meta['venv_version']}.tar.gz").as_uri()
    store = tmp_path / "store"
    assert venvbuild("publish", artifacts, "--store", store).returncode == 0
    assert len(records_in(store)) == 1
    again = venvbuild("publish", artifacts, "--store", store)
    assert again.returncode == 6 and "already published" in again.stderr


def test_build_without_store_uses_the_default_store(tmp_path, requirements):
    done = venvbuild(
        "build",
        "--requirements",
        requirements("beta==1.0"),
        "--env-name",
        "demo",
        "--installer",
        "uv",
        cwd=tmp_path,
        env={"VENVBUILD_STORE": ""},
    )
    assert done.returncode == 0, done.stderr
    assert len(records_in(tmp_path / "venvbuild-store")) == 1


def test_build_publishes_to_s3_and_refuses_the_same_version_twice(tmp_path, requirements, s3_server, aws_env):
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="builds")
    work = tmp_path / "work"
    done = venvbuild(
        "build",
        "--requirements",
        requirements("beta==1.0"),
        "--env-name",
        "demo",
        "--installer",
        "uv",
        "--store",
        "s3://builds/venv-builds",
        "--endpoint-url",
        s3_server,
        "--work-dir",
        work,
    )
    assert done.returncode == 0, done.stderr
    meta = json.loads((work / "artifacts" / "metadata.json").read_text())
    version = meta["venv_version"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="builds")["Contents"]}
    assert keys == {f"venv-builds/{version}/{name}" for name in SEVEN | set(GRAPHS) | {f"{version}.tar.gz"}} | {
        f"venv-builds-metadata/dt={meta['created_at'][:10]}/{version}.json",
        f"venv-builds-metadata/_claims/{version}",
        f"venv-builds-reuse/keys/demo/{meta['build_key']}.json",
    }  # the first build of these inputs
    assert meta["venv_archive"] == f"s3://builds/venv-builds/{version}/{version}.tar.gz"
    stored = s3.get_object(Bucket="builds", Key=f"venv-builds/{version}/metadata.json")["Body"].read().decode()
    assert json.loads(stored) == meta
    again = venvbuild("publish", work / "artifacts", "--store", "s3://builds/venv-builds", "--endpoint-url", s3_server)
    assert again.returncode == 6 and "already published" in again.stderr


def test_version_allocation_skips_a_second_the_store_already_holds(tmp_path):
    from datetime import datetime, timezone

    from venvbuild.build.stages import allocate_version, version_of
    from venvbuild.store.local import LocalStore

    store = LocalStore(tmp_path)
    now = datetime(2025, 7, 22, 16, 30, 0, tzinfo=timezone.utc)
    (tmp_path / "venv-builds" / "venv_20250722_163000").mkdir(parents=True)
    (tmp_path / "venv-builds" / "venv_20250722_163001").mkdir()
    assert version_of(allocate_version(now, store)) == "venv_20250722_163002"
    assert version_of(allocate_version(now, None)) == "venv_20250722_163000"


def test_work_dir_that_cannot_be_created_is_one_line(tmp_path, requirements):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = venvbuild(
        "build",
        "--requirements",
        requirements("beta==1.0"),
        "--env-name",
        "demo",
        "--store",
        tmp_path / "s",
        "--work-dir",
        blocker / "work",
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"venvbuild: error: --work-dir {blocker / 'work'}: cannot create it: Not a directory"
    ]


@pytest.mark.parametrize("store, message", [("", "--store is empty"), ("{file}", "not a directory")])
def test_a_store_that_is_no_directory_is_bad_input(tmp_path, build_dir_factory, store, message):
    afile = tmp_path / "afile"
    afile.write_text("x")
    done = venvbuild("publish", build_dir_factory(), "--store", store.format(file=afile))
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_refused_publish_leaves_the_build_folder_as_it_was(tmp_path, build_dir_factory):
    build = build_dir_factory()
    store = tmp_path / "store"
    assert venvbuild("publish", build, "--store", store).returncode == 0
    before = (build / "metadata.json").read_bytes()
    assert venvbuild("publish", build, "--store", tmp_path / "other").returncode == 0  # another store rewrites URLs
    after_other = (build / "metadata.json").read_bytes()
    assert after_other != before
    refused = venvbuild("publish", build, "--store", store)
    assert refused.returncode == 6
    assert (build / "metadata.json").read_bytes() == after_other


def test_a_dependency_cycle_is_recorded_and_warned_about_but_is_no_conflict(tmp_path, requirements):
    store = tmp_path / "store"
    done = venvbuild(
        "build",
        "--requirements",
        requirements("delta==1.0", "epsilon==1.0"),
        "--env-name",
        "demo",
        "--store",
        store,
        "--installer",
        "uv",
        "--fail-on-conflicts",
    )
    assert done.returncode == 0, done.stderr
    assert "venvbuild: warning: dependency cycle: delta -> epsilon -> delta" in done.stderr
    [record] = records_in(store)
    meta = json.loads(record.read_text())
    assert meta["is_conflict_free"] is True and meta["conflicts"] == []
    assert meta["conflict_details"] == [
        {
            "kind": "cycle",
            "package": "delta",
            "requirement": "delta -> epsilon -> delta",
            "installed_version": "1.0",
            "required_by": "epsilon 1.0",
        }
    ]
    dot = (store / "venv-builds" / meta["venv_version"] / "pipdeptree.dot").read_text()
    assert '"delta" -> "epsilon" [color="#ff7f0e"' in dot and '"epsilon" -> "delta" [color="#ff7f0e"' in dot


def test_the_temporary_work_folder_goes_after_a_build_and_stays_without_its_venv_after_a_failed_publish(tmp_path, requirements):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    wanted = requirements("alpha==1.0")
    done = venvbuild(
        "build", "--requirements", wanted, "--env-name", "demo", "--store", tmp_path / "store", env={"TMPDIR": str(scratch)}
    )
    assert done.returncode == 0, done.stderr
    assert [p.name for p in scratch.iterdir() if p.name.startswith("venvbuild-work-")] == []

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "venv-builds-metadata").write_text("a file where the store keeps its claims and records\n")
    failed = venvbuild("build", "--requirements", wanted, "--env-name", "demo", "--store", broken, env={"TMPDIR": str(scratch)})

    assert failed.returncode == 6, failed.stderr
    [work] = [p for p in scratch.iterdir() if p.name.startswith("venvbuild-work-")]
    assert f"reports and logs kept in {work}" in failed.stderr
    assert not (work / "venv").exists(), "the venv went once its archive was written"
    kept = {p.name for p in (work / "artifacts").iterdir()}
    assert {"metadata.json", "pipdeptree.json"} <= kept and any(n.endswith(".tar.gz") for n in kept)


def test_stages_after_validate_use_the_requirements_validate_read_not_the_file_now(tmp_path, requirements):
    """The requirements file is read once, by validate: a file changed between the stages (Jenkins runs
    them as separate steps) changes neither what is installed, nor the reuse check, nor the stored copy."""
    work = tmp_path / "work"
    req = requirements("beta==1.0")
    assert venvbuild("validate", "--work-dir", work, "--requirements", req, "--env-name", "demo").returncode == 0
    stored = (work / "artifacts" / "requirements.txt").read_text()
    req.write_text(req.read_text().replace("beta==1.0", "beta==2.0\nalpha  # unpinned, and no longer beta 1.0"))
    for stage in ("install", "inspect", "package", "metadata"):
        done = venvbuild(stage, "--work-dir", work)
        assert done.returncode == 0, (stage, done.stderr)
    meta = json.loads((work / "artifacts" / "metadata.json").read_text())
    assert [p for p in meta["installed_packages"] if not p.startswith(("pip==", "setuptools=="))] == ["beta==1.0"]
    assert meta["fully_pinned"] is True, "the reuse check reads validate's requirements, which pin beta"
    assert (work / "artifacts" / "requirements.txt").read_text() == stored and "beta==2.0" not in stored


def test_requirements_with_credentials_changed_after_validate_are_refused_by_install(tmp_path, wheelhouse):
    """Credentials are never copied into the work folder, so such a file is installed from where it is:
    only while it still says what validate read."""
    work, req = tmp_path / "work", tmp_path / "requirements.txt"
    req.write_text(
        f"--extra-index-url https://builder:s3cr3t@127.0.0.1:9/simple\n--no-index\n--find-links {wheelhouse}\nbeta==1.0\n"
    )
    assert venvbuild("validate", "--work-dir", work, "--requirements", req, "--env-name", "demo").returncode == 0
    assert "s3cr3t" not in (work / "state.json").read_text()
    req.write_text(req.read_text().replace("beta==1.0", "beta==2.0"))
    done = venvbuild("install", "--work-dir", work)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"venvbuild: error: {req}: changed since the validate stage read it (it holds credentials, which are "
        "never copied, so it is installed from where it is); run validate again"
    ]
    assert not (work / "venv").exists()
