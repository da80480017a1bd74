"""The pull cache an agent's jobs share: every use checked against the pull's seal, a changed entry pulled
again; concurrent pulls of different builds each get their own venv; `--python` with `--latest`; and
`venvbuild cache prune` evicting what is old, too much or abandoned, never what a live process uses.

Builds are real (`venvbuild build`, offline from a wheelhouse made here); pulled venvs are run for real.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._support.processes import run, venvbuild, wait
from tests._support.records import make_build_dir
from tests._support.wheelhouse import make_wheelhouse
from venvbuild._util import tempnames
from venvbuild.build import interpreter, publish
from venvbuild.consume import cache
from venvbuild.store.local import LocalStore

BASE = interpreter.find(None)
MINOR = BASE.minor
AS_ROOT = os.geteuid() == 0  # root writes into read-only folders: the seal's check still sees it


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A local store with a build of demo and one of other (different archives)."""
    wheels = make_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))
    inputs = tmp_path_factory.mktemp("inputs")
    root = tmp_path_factory.mktemp("store")
    builds = {}
    for env_name, packages in (("demo", "zeta==1.0\nalpha==1.0\nbeta==1.0\n"), ("other", "gamma==1.0\nalpha==1.0\nbeta==1.0\n")):
        requirements = inputs / f"{env_name}.txt"
        requirements.write_text(f"--no-index\n--find-links {wheels}\n{packages}")
        work = inputs / f"work-{env_name}"
        done = venvbuild("build", "--requirements", requirements, "--env-name", env_name, "--store", root, "--work-dir", work)
        assert done.returncode == 0, done.stderr
        builds[env_name] = json.loads((work / "artifacts" / "metadata.json").read_text())
    assert builds["demo"]["archive_sha256"] != builds["other"]["archive_sha256"]
    return root, builds


def _pull(root, version, cache_dir, *extra):
    done = venvbuild("pull", version, "--store", root, "--cache-dir", cache_dir, "--json", *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def _writable(path: Path) -> None:
    os.chmod(path, os.stat(path).st_mode | 0o200)


@pytest.mark.build
def test_an_edited_cache_entry_is_pulled_again_and_the_next_use_runs_the_original_bytes(tmp_path, store):
    root, builds = store
    version = builds["demo"]["venv_version"]
    first, _ = _pull(root, version, tmp_path / "cache")
    dest = Path(first["dest"])
    script = dest / "bin" / "zeta"
    assert run([script]).stdout == "zeta 1.0\n"

    # What a job's body does to a shared venv: its files made writable again and changed, with the
    # script's mtime put back as it was; and `pip install` planting a module.
    site = dest / "lib" / f"python{MINOR}" / "site-packages"
    before = os.stat(script)
    _writable(script)
    script.write_text("#!/bin/sh\necho zeta EDITED\n")
    os.utime(script, ns=(before.st_atime_ns, before.st_mtime_ns))
    _writable(site)
    (site / "planted.py").write_text("x = 1\n")
    assert run([script]).stdout == "zeta EDITED\n"

    second, stderr = _pull(root, version, tmp_path / "cache")
    assert second["reused"] is False and second["dest"] == str(dest)
    assert f"{dest}: changed since it was pulled (changed: bin/zeta)" in stderr
    assert run([script]).stdout == "zeta 1.0\n"
    assert not (site / "planted.py").exists()
    assert venvbuild("verify", dest).returncode == 0
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [cache.LOCKS, builds["demo"]["archive_sha256"]]

    third, _ = _pull(root, version, tmp_path / "cache")
    assert third["reused"] is True


@pytest.mark.build
def test_a_cache_entry_is_read_only_and_a_private_dest_is_not(tmp_path, store):
    root, builds = store
    pulled, _ = _pull(root, builds["demo"]["venv_version"], tmp_path / "cache")
    dest = Path(pulled["dest"])
    modes = {p: os.lstat(p).st_mode for p in [dest, *dest.rglob("*")] if not p.is_symlink()}
    assert modes and all(not mode & 0o222 for mode in modes.values())
    if not AS_ROOT:
        pip = run([dest / "bin" / "python", "-m", "pip", "install", "--no-index", "--no-deps", "nothing-here"])
        assert pip.returncode != 0
        with pytest.raises(PermissionError):
            (dest / "planted.txt").write_text("x")

    private = tmp_path / "workspace@tmp" / "venv"
    done = venvbuild("pull", builds["demo"]["venv_version"], "--store", root, "--dest", private)
    assert done.returncode == 0, done.stderr
    assert os.stat(private / "bin").st_mode & 0o200
    (private / "lib" / f"python{MINOR}" / "site-packages" / "mine.py").write_text("x = 1\n")


@pytest.mark.build
def test_an_entry_without_a_seal_is_checked_in_full_then_sealed(tmp_path, store):
    root, builds = store
    pulled, _ = _pull(root, builds["demo"]["venv_version"], tmp_path / "cache")
    dest = Path(pulled["dest"])
    _as_an_older_helper_left_it(dest)
    again, _ = _pull(root, builds["demo"]["venv_version"], tmp_path / "cache")
    assert again["reused"] is True and (dest / cache.SEAL).is_file()
    assert cache.change(dest) is None

    _as_an_older_helper_left_it(dest)
    with open(dest / "bin" / "zeta", "ab") as fh:
        fh.write(b"# edited\n")
    repaired, stderr = _pull(root, builds["demo"]["venv_version"], tmp_path / "cache")
    assert repaired["reused"] is False and "(changed: bin/zeta)" in stderr


def _as_an_older_helper_left_it(dest: Path) -> None:
    """Writable, without a seal."""
    for path in [dest, *dest.rglob("*")]:
        if not path.is_symlink():
            _writable(path)
    (dest / cache.SEAL).unlink()


@pytest.mark.build
def test_two_pulls_of_different_builds_into_one_cache_at_once_each_run_their_own(tmp_path, store):
    root, builds = store
    cache_dir = tmp_path / "cache"
    racers = {
        env: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "venvbuild",
                "pull",
                meta["venv_version"],
                "--store",
                str(root),
                "--cache-dir",
                str(cache_dir),
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env, meta in builds.items()
    }
    results = {env: (wait(p), p.stdout.read(), p.stderr.read()) for env, p in racers.items()}
    for env, (code, out, err) in results.items():
        assert code == 0, err
        receipt = json.loads(out)
        assert receipt["env_name"] == env and receipt["dest"] == str(cache_dir / builds[env]["archive_sha256"])
        ran = run([Path(receipt["dest"]) / "bin" / "python", "-c", "import sys; print(sys.prefix)"])
        assert ran.stdout.strip() == receipt["dest"]
    pythons = [Path(json.loads(out)["dest"]) / "bin" / "python" for _, out, _ in results.values()]
    found = [run([python, "-c", "import gamma"]).returncode == 0 for python in pythons]
    assert found == [False, True], "demo has no gamma, other has"


def _publish_python_builds(tmp_path: Path, root: Path, versions) -> Path:
    """A copy of root with more builds of demo (metadata only), one per (venv_version, python_version)."""
    copy = tmp_path / "store"
    shutil.copytree(root, copy)
    for venv_version, python in versions:
        build_dir = make_build_dir(
            tmp_path / "builds", venv_version, env_name="demo", python_version=python, python_full_version=f"{python}.14"
        )
        publish.publish(build_dir, LocalStore(copy))
    return copy


@pytest.mark.build
def test_latest_of_an_env_built_for_several_pythons_needs_python(tmp_path, store):
    root, builds = store
    other = "3.10" if MINOR != "3.10" else "3.12"
    copy = _publish_python_builds(tmp_path, root, [("venv_20990101_000000", other)])

    done = venvbuild("pull", "--env-name", "demo", "--latest", "--store", copy, "--cache-dir", tmp_path / "c")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "venvbuild: error: --env-name demo: its builds are for several Python versions"
    ), done.stderr
    assert f"({', '.join(sorted([other, MINOR]))})" in lines[0] and "give --python" in lines[0]

    pulled, _ = _pull(copy, "--latest", tmp_path / "c", "--env-name", "demo", "--python", MINOR)
    assert pulled["venv_version"] == builds["demo"]["venv_version"], "the newest build for that Python"

    none = venvbuild("pull", "--env-name", "demo", "--latest", "--python", "3.99", "--store", copy, "--dest", tmp_path / "d")
    assert none.returncode == 2 and "no build of that env for that Python" in none.stderr
    wrong = venvbuild("pull", builds["demo"]["venv_version"], "--python", other, "--store", copy, "--dest", tmp_path / "d")
    assert wrong.returncode == 2 and f"not for --python {other}" in wrong.stderr


@pytest.mark.build
def test_latest_with_python_picks_the_newest_build_for_that_python(tmp_path, store):
    root, builds = store
    other = "3.10" if MINOR != "3.10" else "3.12"
    copy = _publish_python_builds(tmp_path, root, [("venv_20990101_000000", other), ("venv_20000101_000000", MINOR)])
    pulled, _ = _pull(copy, "--latest", tmp_path / "c", "--env-name", "demo", "--python", MINOR)
    assert pulled["venv_version"] == builds["demo"]["venv_version"]


# ---- prune ---------------------------------------------------------------------------------------------


def _entry(cache_dir: Path, name: str, size: int, days_unused: float) -> Path:
    """A sealed-looking cache entry: read-only folders and files, its lease file last touched days ago."""
    entry = cache_dir / (name * 64)[:64]
    (entry / "lib" / "deep").mkdir(parents=True)
    (entry / "lib" / "deep" / "data.bin").write_bytes(b"x" * size)
    for path in (entry / "lib" / "deep" / "data.bin", entry / "lib" / "deep", entry / "lib", entry):
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    lease = cache.lock_path(cache_dir, f"{entry.name}.lease")
    lease.parent.mkdir(exist_ok=True)
    lease.touch()
    then = time.time() - days_unused * 86400
    os.utime(lease, (then, then))
    return entry


def _prune(cache_dir, *args):
    done = venvbuild("cache", "prune", "--cache-dir", cache_dir, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait(child)
    return child.pid


def test_prune_evicts_old_then_least_recently_used_entries_and_dead_strays(tmp_path):
    cache_dir = tmp_path / "cache"
    old = _entry(cache_dir, "a", 1000, days_unused=30)
    used_2_days_ago = _entry(cache_dir, "b", 1000, days_unused=2)
    fresh = _entry(cache_dir, "c", 1000, days_unused=0)
    host = tempnames.aside(cache_dir, cache.PULL_TEMP).name.split("-")[-3]
    dead = cache_dir / f"{cache.PULL_TEMP}{host}-{_dead_pid()}-0badf00d"
    live = cache_dir / f"{cache.PULL_TEMP}{host}-{os.getpid()}-0badf00d"
    for stray in (dead, live):
        (stray / "replaced").mkdir(parents=True)
        os.chmod(stray / "replaced", 0o555)

    result = _prune(cache_dir, "--keep-days", "7", "--max-bytes", "1500")

    assert [(r["kind"], r["path"], r["reason"]) for r in result["removed"]] == [
        ("stray", str(dead), "left by a pull or prune that is no longer running"),
        ("env", str(old), "unused for over --keep-days"),
        ("env", str(used_2_days_ago), "over --max-bytes"),
    ]
    assert not old.exists() and not used_2_days_ago.exists() and not dead.exists()
    assert fresh.is_dir() and live.is_dir()
    assert result["kept_bytes"] == 1000 and result["in_use"] == []
    assert not cache.lock_path(cache_dir, f"{old.name}.lease").exists()


@pytest.mark.build
def test_prune_skips_an_entry_a_live_process_holds_until_it_lets_go(tmp_path, store):
    root, builds = store
    cache_dir = tmp_path / "cache"
    lease_file = tmp_path / "workspace" / ".venvbuild-logs" / "call-1" / "lease"
    held, _ = _pull(root, builds["demo"]["venv_version"], cache_dir, "--hold-while", lease_file)
    idle, _ = _pull(root, builds["other"]["venv_version"], cache_dir)
    assert lease_file.is_file()

    result = _prune(cache_dir, "--max-bytes", "0")
    assert result["in_use"] == [held["dest"]] and Path(held["dest"]).is_dir()
    assert [r["path"] for r in result["removed"]] == [idle["dest"]] and not Path(idle["dest"]).exists()

    lease_file.unlink()  # the withVenv body ended
    deadline = time.monotonic() + 30
    while (free := cache.take(cache.lock_path(cache_dir, f"{Path(held['dest']).name}.lease"), True, False)) is None:
        assert time.monotonic() < deadline, "the holder did not let go"
        time.sleep(0.2)
    os.close(free)
    result = _prune(cache_dir, "--max-bytes", "0")
    assert [r["path"] for r in result["removed"]] == [held["dest"]] and not Path(held["dest"]).exists()


def test_prune_removes_helper_tools_unused_for_keep_days_but_not_one_in_use(tmp_path):
    tools = tmp_path / "helpers"
    old, busy, recent = (tools / f"venvbuild-0.1.0-{key}" for key in ("old1", "busy", "new1"))
    for tool in (old, busy, recent):
        (tool / "bin").mkdir(parents=True)
        (tool / "bin" / "venvbuild-run").write_text("#!/bin/sh\n")
        os.chmod(tool / "bin", 0o555)
        then = time.time() - (0 if tool == recent else 30 * 86400)
        os.utime(tool, (then, then))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from venvbuild.consume import cache; "
            "fd = cache.take(cache.lock_path(Path(sys.argv[1]), sys.argv[2] + '.lease'), False); "
            "print('held', flush=True); time.sleep(60)",
            str(tools),
            busy.name,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        os.utime(cache.lock_path(tools, f"{busy.name}.lease"), (time.time() - 30 * 86400,) * 2)
        result = _prune(tmp_path / "no-cache", "--keep-days", "7", "--helpers-dir", tools)
    finally:
        holder.kill()
        wait(holder)
    assert [(r["kind"], r["path"]) for r in result["removed"]] == [("helper", str(old))]
    assert result["in_use"] == [str(busy)] and busy.is_dir() and recent.is_dir() and not old.exists()


def test_prune_needs_a_limit_and_is_one_line(tmp_path):
    done = venvbuild("cache", "prune", "--cache-dir", tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "venvbuild: error: give --max-bytes N, --keep-days D or both: what to keep"
