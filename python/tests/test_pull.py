"""Using what was built: reproducible archives, `venvbuild pull` to any folder, `venvbuild verify`.

Builds are real (`venvbuild build`, offline from a wheelhouse made here); pulled venvs are run for real.
"""

import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import zlib
from pathlib import Path

import pytest

from tests._support.processes import run, venvbuild, wait
from tests._support.records import builds_in, make_build_dir
from tests._support.wheelhouse import make_wheelhouse
from venvbuild.build import archive, interpreter
from venvbuild.consume import extract
from venvbuild.record import metadata
from venvbuild.store.local import LocalStore

pytestmark = pytest.mark.build  # real builds with pip or uv

BASE = interpreter.find(None)
BASE_HOME = str(Path(BASE.executable).parent)
MINOR = BASE.minor


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    return make_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="module")
def requirements_file(tmp_path_factory, wheelhouse):
    path = tmp_path_factory.mktemp("inputs") / "requirements.txt"
    path.write_text(f"--no-index\n--find-links {wheelhouse}\nzeta==1.0\nalpha==1.0\nbeta==1.0\n")
    return path


def _build(requirements_file, store, work, *extra, env_name="demo"):
    done = venvbuild(
        "build", "--requirements", requirements_file, "--env-name", env_name, "--store", store, "--work-dir", work, *extra
    )
    assert done.returncode == 0, done.stderr
    return json.loads((Path(work) / "artifacts" / "metadata.json").read_text())


@pytest.fixture(scope="module")
def store(tmp_path_factory, requirements_file):
    """A local store with two pip builds of demo, a uv build of demo-uv and one of other."""
    root = tmp_path_factory.mktemp("store")
    work = tmp_path_factory.mktemp("work")
    builds = {
        "first": _build(requirements_file, root, work / "1"),
        "uv": _build(requirements_file, root, work / "2", "--installer", "uv", "--compression", "zst", env_name="demo-uv"),
        "other": _build(requirements_file, root, work / "3", env_name="other"),
    }
    time.sleep(1)
    builds["latest"] = _build(requirements_file, root, work / "4")
    return root, builds


def _one_error_line(done, *fragments):
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("venvbuild: error: "), done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _leftovers(folder: Path):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("options", [(), ("--installer", "uv", "--compression", "zst")], ids=["pip-gz", "uv-zst"])
def test_two_builds_in_different_folders_give_the_same_archive(tmp_path, requirements_file, options):
    a = _build(requirements_file, tmp_path / "store", tmp_path / "w", *options)
    time.sleep(1.1)
    b = _build(requirements_file, tmp_path / "store", tmp_path / "a-much-longer-work-folder" / "nested", *options)
    assert a["venv_version"] != b["venv_version"]
    assert a["archive_sha256"] == b["archive_sha256"]
    assert a["relocation"] == b["relocation"]
    with open(urlpath(a["venv_archive"]), "rb") as fh, extract._open(fh, metadata.compression_of(a)) as tar:
        names = [member.name for member in tar]
    assert "venv/bin/zeta" in names and not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]


def urlpath(url: str) -> str:
    assert url.startswith("file://")
    return url[len("file://") :]


def _run(*command, **kwargs):
    return run(command, **kwargs)


@pytest.mark.parametrize("where", ["with space/env", "x" * 130 + "/env"], ids=["space", "long"])
@pytest.mark.parametrize("build", ["latest", "uv"])
def test_pulled_venv_runs_anywhere_without_activation(tmp_path, store, where, build):
    root, builds = store
    meta = builds[build]
    dest = tmp_path / where
    done = venvbuild("pull", meta["venv_version"], "--store", root, "--dest", dest)
    assert done.returncode == 0, done.stderr
    assert str(dest) in done.stdout

    assert _run(dest / "bin" / "python", "-c", "import alpha, beta, zeta").returncode == 0
    for script in ("zeta", "zeta-tool"):
        ran = _run(dest / "bin" / script)
        assert ran.returncode == 0 and ran.stdout == "zeta 1.0\n", ran.stderr
    first_line = (dest / "bin" / "zeta").read_bytes().split(b"\n")[0]
    assert first_line == b"#!/bin/sh", "a space, or over 127 bytes: pip's /bin/sh form"

    activated = _run(
        "bash",
        "-c",
        '. "$DEST/bin/activate" && echo "$VIRTUAL_ENV" && command -v python',
        env={"DEST": str(dest), "PATH": "/usr/bin:/bin"},
    )
    assert activated.stdout.splitlines() == [str(dest), str(dest / "bin" / "python")], activated.stderr

    if meta["installer"] == "pip":
        assert _run(dest / "bin" / "pip", "--version").stdout.startswith("pip ")
        listed = _run(dest / "bin" / "python", "-m", "pip", "list", "--format", "json", "--disable-pip-version-check")
        pins = sorted(f"{p['name']}=={p['version']}" for p in json.loads(listed.stdout))
        assert pins == sorted(meta["installed_packages"])

    receipt = json.loads((dest / ".venvbuild" / "pulled.json").read_text())
    assert receipt["venv_version"] == meta["venv_version"] and receipt["archive_sha256"] == meta["archive_sha256"]
    assert receipt["dest"] == str(dest) and receipt["store"] == str(root.resolve())
    assert venvbuild("verify", dest).returncode == 0, "running the scripts above wrote only bytecode caches"
    assert _leftovers(dest.parent) == [dest.name], "no temporary folder left beside it"


def test_verify_lists_changed_added_and_missing_files(tmp_path, store):
    root, builds = store
    dest = tmp_path / "env"
    assert venvbuild("pull", builds["first"]["venv_version"], "--store", root, "--dest", dest).returncode == 0
    with open(dest / "bin" / "zeta", "ab") as fh:
        fh.write(b"# edited\n")
    (dest / "lib" / f"python{MINOR}" / "site-packages" / "planted.py").write_text("x = 1\n")
    (dest / "lib" / f"python{MINOR}" / "site-packages" / "alpha" / "__init__.py").unlink()
    done = venvbuild("verify", dest)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "changed: bin/zeta",
        f"missing: lib/python{MINOR}/site-packages/alpha/__init__.py",
        f"added: lib/python{MINOR}/site-packages/planted.py",
    ]


def test_verify_of_a_folder_that_was_not_pulled_is_one_line(tmp_path):
    done = venvbuild("verify", tmp_path)
    _one_error_line(done, str(tmp_path), "pulled.json")
    assert done.returncode == 2


def test_latest_picks_the_newest_build_of_that_env(tmp_path, store):
    root, builds = store
    done = venvbuild("pull", "--env-name", "demo", "--latest", "--store", root, "--dest", tmp_path / "env", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["venv_version"] == builds["latest"]["venv_version"]


def test_pull_by_tag(tmp_path, store):
    root, builds = store
    copy = _copy_store(root, tmp_path)
    tagged = venvbuild("tag", builds["first"]["venv_version"], "stable", "--store", copy)
    assert tagged.returncode == 0, tagged.stderr
    done = venvbuild("pull", "--tag", "stable", "--env-name", "demo", "--store", copy, "--dest", tmp_path / "env", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["venv_version"] == builds["first"]["venv_version"]


def test_cache_dir_pulls_once_even_when_two_pulls_race(tmp_path, store):
    root, builds = store
    version, sha = builds["first"]["venv_version"], builds["first"]["archive_sha256"]
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "venvbuild", "pull", version, "--store", str(root), "--cache-dir", str(cache), "--json"]
    racers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(wait(p), p.stdout.read(), p.stderr.read()) for p in racers]
    assert [code for code, _, _ in results] == [0, 0], results
    assert {json.loads(out)["dest"] for _, out, _ in results} == {str(cache / sha)}
    assert _leftovers(cache) == [".venvbuild-locks", sha], "the entry and its locks, no temporary folder"
    again = venvbuild("pull", version, "--store", root, "--cache-dir", cache, "--json")
    assert json.loads(again.stdout)["reused"] is True
    assert _run(cache / sha / "bin" / "zeta").stdout == "zeta 1.0\n"


def _copy_store(root: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(root, copy)
    return copy


def test_tampered_archive_is_refused_before_extraction(tmp_path, store):
    root, builds = store
    meta = builds["first"]
    copy = _copy_store(root, tmp_path)
    archive_path = copy / "venv-builds" / meta["venv_version"] / f"{meta['venv_version']}.tar.gz"
    data = bytearray(archive_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive_path.write_bytes(bytes(data))
    dest = tmp_path / "out" / "env"
    done = venvbuild("pull", meta["venv_version"], "--store", copy, "--dest", dest)
    assert done.returncode == 6
    _one_error_line(done, archive_path.name, "sha256", "nothing extracted")
    assert not (tmp_path / "out").exists(), "not even the parent folder the pull made"


def test_truncated_archive_is_refused(tmp_path, store):
    root, builds = store
    meta = builds["first"]
    copy = _copy_store(root, tmp_path)
    archive_path = copy / "venv-builds" / meta["venv_version"] / f"{meta['venv_version']}.tar.gz"
    archive_path.write_bytes(archive_path.read_bytes()[:1000])
    done = venvbuild("pull", meta["venv_version"], "--store", copy, "--dest", tmp_path / "env")
    assert done.returncode == 6
    _one_error_line(done, "1000 bytes")
    assert _leftovers(tmp_path) == ["store"]


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["venv_20200101_000000"], ["venv_20200101_000000", "no such build"]),
        (["--env-name", "nobody", "--latest"], ["--env-name nobody", "no build"]),
        (["not-a-version"], ["VERSION 'not-a-version'"]),
        (["--env-name", "demo"], ["VERSION, --env-name NAME --latest, or --tag TAG"]),
        (["venv_20200101_000000", "--latest", "--env-name", "demo"], ["one of VERSION, --latest and --tag"]),
        (["--tag", "stable"], ["--tag stable: no build is tagged stable"]),
    ],
)
def test_unknown_builds_are_one_line_and_exit_2(tmp_path, store, args, fragments):
    root, _ = store
    done = venvbuild("pull", *args, "--store", root, "--dest", tmp_path / "env")
    assert done.returncode == 2
    _one_error_line(done, *fragments)
    assert not (tmp_path / "env").exists()


def test_destination_problems_are_one_line_and_exit_2(tmp_path, store):
    root, builds = store
    version = builds["first"]["venv_version"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    done = venvbuild("pull", version, "--store", root, "--dest", a_file)
    _one_error_line(done, str(a_file), "not a folder")
    done = venvbuild("pull", version, "--store", root, "--dest", a_file / "below")
    _one_error_line(done, "not a writable folder")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    done = venvbuild("pull", version, "--store", root, "--dest", full)
    assert done.returncode == 2
    _one_error_line(done, str(full), "--force")
    assert (full / "keep.txt").read_text() == "mine"
    done = venvbuild("pull", version, "--store", root, "--dest", tmp_path / 'quote"d')
    _one_error_line(done, "--dest", "quotes")
    empty = venvbuild("pull", version, "--store", root, "--dest", "")
    _one_error_line(empty, "--dest is empty")
    refused = venvbuild("pull", version, "--store", root, "--dest", full, "--force")
    assert refused.returncode == 2
    _one_error_line(refused, "--force replaces only a venv that venvbuild pulled")
    assert (full / "keep.txt").read_text() == "mine"
    assert _leftovers(tmp_path) == ["file", "full"]


def test_force_replaces_an_earlier_pull(tmp_path, store):
    root, builds = store
    dest = tmp_path / "env"
    assert venvbuild("pull", builds["first"]["venv_version"], "--store", root, "--dest", dest).returncode == 0
    (dest / "planted.txt").write_text("left by someone")
    forced = venvbuild("pull", builds["uv"]["venv_version"], "--store", root, "--dest", dest, "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["venv_version"] == builds["uv"]["venv_version"]
    assert not (dest / "planted.txt").exists() and _run(dest / "bin" / "zeta").stdout == "zeta 1.0\n"
    assert _leftovers(tmp_path) == ["env"]


def test_long_destination_with_shell_characters_and_a_long_name(tmp_path, store):
    root, builds = store
    version = builds["first"]["venv_version"]
    odd = tmp_path / ("x" * 120) / "a&b(c);d"
    long_name = tmp_path / ("n" * 245)
    for dest in (odd, long_name):
        done = venvbuild("pull", version, "--store", root, "--dest", dest)
        assert done.returncode == 0, done.stderr
        ran = _run(dest / "bin" / "zeta")
        assert ran.stdout == "zeta 1.0\n", ran.stderr


def _publish_handmade(tmp_path: Path, archive_bytes: bytes, **fields) -> Path:
    """A store holding one build whose archive is archive_bytes, its metadata matching those bytes."""
    from venvbuild.build import publish

    relocation = {"placeholder": "/__venvbuild_prefix__", "files": [], "binary_files": []}
    meta_fields = {
        "archive_format": 2,
        "relocation": relocation,
        "python_home": BASE_HOME,
        "python_version": MINOR,
        "python_full_version": BASE.version,
        **fields,
    }
    build_dir = make_build_dir(tmp_path / "builds", archive_bytes=archive_bytes, **meta_fields)
    store = LocalStore(tmp_path / "handmade-store")
    publish.publish(build_dir, store)
    return store.root


def _tar_gz(members) -> bytes:
    """A gzip'd tar of (TarInfo, bytes or None) members, in order."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return raw.getvalue()


def _member(name, kind=tarfile.REGTYPE, data=b"x", link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, 0o644
    return info, (data if kind == tarfile.REGTYPE else None)


def _dir(name):
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info, None


CRAFTED = {
    "absolute name": [_dir("venv"), _member("/tmp/venvbuild-crafted-absolute")],
    "dot-dot": [_dir("venv"), _member("venv/../../escaped")],
    "outside the venv folder": [_dir("venv"), _member("other/file")],
    "link outside": [_dir("venv"), _member("venv/lib", tarfile.SYMTYPE, link="../../outside")],
    "absolute link": [_dir("venv"), _dir("venv/bin"), _member("venv/bin/tool", tarfile.SYMTYPE, link="/etc/passwd")],
    "python link to another folder": [
        _dir("venv"),
        _dir("venv/bin"),
        _member("venv/bin/python", tarfile.SYMTYPE, link="/tmp/evil/python3"),
    ],
    "write through a link": [_dir("venv"), _member("venv/inside", tarfile.SYMTYPE, link="."), _member("venv/inside/file")],
    "write through the python link": [
        _dir("venv"),
        _dir("venv/bin"),
        _member("venv/bin/python3", tarfile.SYMTYPE, link=BASE_HOME + "/python3"),
        _member("venv/bin/python3/planted"),
    ],
    "hard link": [_dir("venv"), _member("venv/passwd", tarfile.LNKTYPE, link="/etc/passwd")],
    "device": [_dir("venv"), _member("venv/null", tarfile.CHRTYPE)],
    "fifo": [_dir("venv"), _member("venv/pipe", tarfile.FIFOTYPE)],
    "twice": [_dir("venv"), _member("venv/file", data=b"one"), _member("venv/file", data=b"two")],
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_crafted_archive_is_refused_and_writes_nothing_outside(tmp_path, case):
    root = _publish_handmade(tmp_path, _tar_gz(CRAFTED[case]))
    dest = tmp_path / "pulls" / "env"
    done = venvbuild("pull", "venv_20250722_163000", "--store", root, "--dest", dest)
    assert done.returncode == 2
    _one_error_line(done, "refusing to extract")
    assert not (tmp_path / "pulls").exists()
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()
    assert not Path("/tmp/venvbuild-crafted-absolute").exists()
    assert not (Path(BASE_HOME) / "python3" / "planted").exists()


def _with_record(members, files=None, relocation=None):
    """members, then the build record listing files (default: none) with relocation."""
    relocation = relocation or {"placeholder": "/__venvbuild_prefix__", "files": [], "binary_files": []}
    record = json.dumps({"archive_format": 2, "relocation": relocation, "files": files or {}}).encode()
    return [*members, _dir("venv/.venvbuild"), _member("venv/.venvbuild/build.json", data=record)], relocation


def _escape_cases(victim: Path):
    outside = os.path.relpath(victim, "/")
    return {
        "relocation names a path outside": _with_record(
            [_dir("venv")],
            relocation={
                "placeholder": "/__venvbuild_prefix__",
                "binary_files": [],
                "files": [{"path": "../../../../../../../../" + outside, "kind": "text"}],
            },
        ),
        "relocation names a device": _with_record(
            [_dir("venv")],
            relocation={
                "placeholder": "/__venvbuild_prefix__",
                "binary_files": [],
                "files": [{"path": "/dev/zero", "kind": "text"}],
            },
        ),
        "a chain of links": _with_record(
            [
                _dir("venv"),
                _member("venv/d", tarfile.SYMTYPE, link="."),
                _member("venv/L", tarfile.SYMTYPE, link="d/d/d/d/../../../.."),
            ],
            files={"d": {"type": "symlink", "target": "."}, "L": {"type": "symlink", "target": "d/d/d/d/../../../.."}},
        ),
        "the receipt as a link": _with_record(
            [
                _dir("venv"),
                _dir("venv/.venvbuild"),
                _member("venv/.venvbuild/pulled.json", tarfile.SYMTYPE, link="../../" + victim.name),
            ]
        ),
        "a python link that climbs": _with_record(
            [_dir("venv"), _dir("venv/bin"), _member("venv/bin/python_x", tarfile.SYMTYPE, link=BASE_HOME + "/..")]
        ),
        "a python that is a script": _with_record(
            [
                _dir("venv"),
                _dir("venv/bin"),
                _member("venv/bin/python", data=b"#!/bin/sh\ntouch /tmp/ran\n"),
                _member("venv/pyvenv.cfg", data=f"home = {BASE_HOME}\n".encode()),
            ],
            files={
                "bin": {"type": "dir"},
                "bin/python": {"type": "file", "mode": "644", "size": 0, "sha256": ""},
                "pyvenv.cfg": {"type": "file", "mode": "644", "size": 0, "sha256": ""},
            },
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "relocation names a path outside",
        "relocation names a device",
        "a chain of links",
        "the receipt as a link",
        "a python link that climbs",
        "a python that is a script",
    ],
)
def test_archive_that_would_escape_through_its_own_record_or_links_is_refused(tmp_path, case):
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched /__venvbuild_prefix__\n")
    members, relocation = _escape_cases(victim)[case]
    root = _publish_handmade(tmp_path, _tar_gz(members), relocation=relocation)
    dest = tmp_path / "pulls" / "env"
    done = venvbuild("pull", "venv_20250722_163000", "--store", root, "--dest", dest)
    assert done.returncode == 2
    _one_error_line(done, "refusing")
    assert victim.read_text() == "untouched /__venvbuild_prefix__\n"
    assert not (tmp_path / "pulls").exists()


def test_huge_header_extension_is_refused_without_reading_it(tmp_path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("venv/" + "n" * (4 << 20))  # a 4 MiB GNU long name
        tar.addfile(info, io.BytesIO(b""))
    root = _publish_handmade(tmp_path, raw.getvalue())
    done = venvbuild("pull", "venv_20250722_163000", "--store", root, "--dest", tmp_path / "env")
    assert done.returncode == 2
    _one_error_line(done, "not a readable venv archive", "header extension")


def test_latest_skips_a_damaged_newer_record_and_an_unpublished_build(tmp_path, store):
    root, builds = store
    copy = _copy_store(root, tmp_path)
    unpublished = copy / "venv-builds" / "venv_20991231_000000"  # a publish stopped before its record
    unpublished.mkdir()
    (unpublished / "metadata.json").write_text(
        (root / "venv-builds" / builds["latest"]["venv_version"] / "metadata.json").read_text()
    )
    damaged = copy / "venv-builds-metadata" / "dt=2099-12-30" / "venv_20991230_000000.json"
    damaged.parent.mkdir()
    damaged.write_text("{not json")
    done = venvbuild("pull", "--env-name", "demo", "--latest", "--store", copy, "--dest", tmp_path / "env", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["venv_version"] == builds["latest"]["venv_version"]
    assert "venv_20991230_000000.json skipped" in done.stderr


def test_verify_sees_a_moved_venv_a_changed_mode_and_a_changed_record(tmp_path, store):
    root, builds = store
    dest = tmp_path / "env"
    assert venvbuild("pull", builds["first"]["venv_version"], "--store", root, "--dest", dest).returncode == 0
    os.chmod(dest / "bin" / "zeta", 0o4777)
    record = dest / ".venvbuild" / "build.json"
    record.write_text(record.read_text().replace('"mode":"755"', '"mode":"777"', 1))
    moved = tmp_path / "moved"
    dest.rename(moved)
    lines = venvbuild("verify", moved).stdout.splitlines()
    assert lines[0].startswith(f"moved: pulled to {dest}")
    assert "changed: .venvbuild/build.json" in lines and "changed: bin/zeta" in lines


def test_missing_base_interpreter_is_named(tmp_path):
    root = _publish_handmade(tmp_path, _tar_gz([_dir("venv")]), python_home="/opt/nowhere/bin", python_full_version="3.11.99")
    done = venvbuild("pull", "venv_20250722_163000", "--store", root, "--dest", tmp_path / "env")
    assert done.returncode == 2
    _one_error_line(done, "needs Python 3.11.99 at /opt/nowhere/bin")
    assert not (tmp_path / "env").exists()


def test_build_from_before_relocation_is_refused(tmp_path):
    from venvbuild.build import publish

    build_dir = make_build_dir(tmp_path / "builds", archive_bytes=_tar_gz([_dir("venv")]))
    store = LocalStore(tmp_path / "old-store")
    publish.publish(build_dir, store)
    done = venvbuild("pull", "venv_20250722_163000", "--store", store.root, "--dest", tmp_path / "env")
    assert done.returncode == 2
    _one_error_line(done, "not relocatable", "rebuild")


def test_sigterm_mid_pull_leaves_no_destination(tmp_path):
    venv = tmp_path / "big" / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / f"python{MINOR}").symlink_to(BASE.executable)
    (venv / "pyvenv.cfg").write_text(f"home = {BASE_HOME}\n")
    for i in range(4):
        (venv / f"blob{i}").write_bytes(bytes(range(256)) * (1 << 18))  # 64 MiB, quick to (de)compress
    target = tmp_path / "a.tar.gz"
    packed = archive.write(venv, target, "gz")
    root = _publish_handmade(tmp_path, target.read_bytes(), relocation=packed.relocation)
    pulls = tmp_path / "pulls"
    pulls.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "venvbuild",
            "pull",
            "venv_20250722_163000",
            "--store",
            str(root),
            "--dest",
            str(pulls / "new" / "env"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(pulls.glob("new/.venvbuild-pull-*/venv/blob0")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the pull ended before it could be interrupted"
    (pulls / "new" / "another-pulls-venv").mkdir()  # made meanwhile by another pull into the new folder
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143  # 128 + SIGTERM, exit_codes.json
    assert err.strip().splitlines() == ["venvbuild: error: terminated by SIGTERM; stopped and cleaned up"]
    assert _leftovers(pulls / "new") == ["another-pulls-venv"], "the folder it made stays while not empty"


def test_pull_from_s3(tmp_path, store, s3_server, aws_env):
    import boto3

    root, builds = store
    meta = builds["first"]
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket="pulls")
    build_dir = tmp_path / "build"
    shutil.copytree(root / "venv-builds" / meta["venv_version"], build_dir)
    s3 = ["--store", "s3://pulls/envs", "--endpoint-url", s3_server]
    published = venvbuild("publish", build_dir, *s3)
    assert published.returncode == 0, published.stderr
    done = venvbuild("pull", "--env-name", "demo", "--latest", *s3, "--dest", tmp_path / "env", "--json")
    assert done.returncode == 0, done.stderr
    receipt = json.loads(done.stdout)
    assert receipt["archive_url"].startswith("s3://pulls/envs/") and receipt["venv_version"] == meta["venv_version"]
    assert _run(tmp_path / "env" / "bin" / "zeta").stdout == "zeta 1.0\n"
    missing = venvbuild("pull", "venv_20200101_000000", *s3, "--dest", tmp_path / "env2")
    assert missing.returncode == 2
    _one_error_line(missing, "no such build", "s3://pulls/envs")


def test_metadata_records_relocation_and_old_records_still_validate(store):
    _, builds = store
    meta = builds["first"]
    kinds = {f["path"]: f["kind"] for f in meta["relocation"]["files"]}
    assert kinds["bin/zeta"] == "shebang" and kinds["bin/activate"] == "text" and kinds["pyvenv.cfg"] == "text"
    assert meta["archive_format"] == archive.FORMAT_VERSION and meta["relocation"]["binary_files"] == []
    old = {k: v for k, v in meta.items() if k not in ("relocation", "archive_format")}
    assert metadata.problems(old) == []


def test_records_from_before_relocation_still_index_and_search(tmp_path):
    from venvbuild.build import publish

    store = LocalStore(tmp_path / "mixed-store")
    old = make_build_dir(tmp_path / "builds", "venv_20250101_000000", installed_packages=["kedro==0.19.1"])
    new = make_build_dir(
        tmp_path / "builds",
        "venv_20250102_000000",
        installed_packages=["kedro==0.19.2"],
        archive_format=2,
        relocation={
            "placeholder": "/__venvbuild_prefix__",
            "binary_files": [],
            "files": [{"path": "bin/activate", "kind": "text"}],
        },
    )
    for build_dir in (old, new):
        publish.publish(build_dir, store)
    found = venvbuild("search", "kedro", "--store", store.root, "--json")
    assert found.returncode == 0, found.stderr
    assert sorted(json.loads(line)["venv_version"] for line in found.stdout.splitlines()) == [
        "venv_20250101_000000",
        "venv_20250102_000000",
    ]
    counted = venvbuild(
        "sql", "SELECT venv_version, archive_format FROM venv_builds_metadata ORDER BY 1", "--store", store.root, "--json"
    )
    assert counted.returncode == 0, counted.stderr
    assert [json.loads(line) for line in counted.stdout.splitlines()] == [
        {"venv_version": "venv_20250101_000000", "archive_format": None},
        {"venv_version": "venv_20250102_000000", "archive_format": 2},
    ]


def test_the_benchmark_stack_pulled_to_a_spaced_path_imports_and_runs(tmp_path):
    """The reference set (kedro, pandas, numpy, scikit-learn, requests), from bench/'s wheelhouse
    (downloaded from PyPI once into bench/.cache/), built, pulled to a folder with a space, run as is."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import bench_build

    folder = bench_build.wheelhouse(sys.executable)
    store, dest = tmp_path / "store", tmp_path / "bench envs" / "env"
    done = venvbuild(
        "build",
        "--requirements",
        bench_build.local_requirements(folder),
        "--env-name",
        "bench",
        "--store",
        store,
        env=bench_build.offline_env(folder),
    )
    assert done.returncode == 0, done.stderr
    [version] = builds_in(store)
    assert venvbuild("pull", version, "--store", store, "--dest", dest).returncode == 0
    imported = _run(dest / "bin" / "python", "-c", "import kedro, numpy, pandas, requests, sklearn; print('ok')")
    assert imported.stdout == "ok\n", imported.stderr
    for script in ("kedro", "normalizer", "pip", "f2py"):
        ran = _run(dest / "bin" / script, "--version", env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"})
        assert ran.returncode == 0, (script, ran.stderr)


def _small_venv(tmp_path: Path, blobs=(), name="small") -> Path:
    """A venv folder a pull accepts (its python the base interpreter), holding blobs (bytes) as blob0, blob1..."""
    venv = tmp_path / name / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / f"python{MINOR}").symlink_to(BASE.executable)
    (venv / "bin" / "python").symlink_to(BASE.executable)
    (venv / "pyvenv.cfg").write_text(f"home = {BASE_HOME}\n")
    (venv / "tool.py").write_text("print('tool')\n")
    for i, data in enumerate(blobs):
        (venv / f"blob{i}").write_bytes(data)
    return venv


def _archived(tmp_path: Path, venv: Path, edit_record=None) -> Path:
    """A store holding venv's archive; edit_record(files) may change its build record's file list first."""
    target = tmp_path / f"{venv.parent.name}.tar.gz"
    packed = archive.write(venv, target, "gz")
    data = target.read_bytes()
    if edit_record is not None:
        members = []
        with tarfile.open(target, "r:gz") as tar:
            for info in tar:
                body = tar.extractfile(info).read() if info.isreg() else None
                if info.name == "venv/.venvbuild/build.json":
                    record = json.loads(body)
                    edit_record(record["files"])
                    body = json.dumps(record).encode()
                members.append((info, body))
        data = _tar_gz(members)
    return _publish_handmade(tmp_path, data, relocation=packed.relocation)


@pytest.mark.parametrize("lie", ["sha256", "size", "mode"])
def test_an_archive_whose_build_record_lies_is_refused_before_the_rename(tmp_path, lie):
    """A file whose sha256, size or mode is not what build.json lists stops the pull: one line, nothing at
    --dest, nothing beside it (verify would otherwise report the venv as changed right after the pull)."""

    def edit(files):
        entry = files["tool.py"]
        if lie == "sha256":
            entry["sha256"] = "0" * 64
        elif lie == "size":
            entry["size"] += 1
        else:
            entry["mode"] = "755"

    root = _archived(tmp_path, _small_venv(tmp_path), edit)
    dest = tmp_path / "pulls" / "env"
    done = venvbuild("pull", "venv_20250722_163000", "--store", root, "--dest", dest)
    assert done.returncode == 2
    _one_error_line(done, "tool.py", "build.json", "refusing")
    assert not (tmp_path / "pulls").exists()


def _bomb(tmp_path: Path, declared_size: int) -> Path:
    """A gzip'd tar of ~1 MiB holding venv/blob of 1 GiB of zeros (one compressed MiB repeated), with a
    build record that declares blob declared_size bytes long."""

    def member(info, data=b""):
        return info.tobuf(tarfile.GNU_FORMAT) + data + tarfile.NUL * (-len(data) % tarfile.BLOCKSIZE)

    def gz(data):
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        return c.compress(data) + c.flush()

    venv_dir, blob = tarfile.TarInfo("venv"), tarfile.TarInfo("venv/blob")
    venv_dir.type, venv_dir.mode = tarfile.DIRTYPE, 0o755
    blob.size, blob.mode = 1 << 30, 0o644
    relocation = {"placeholder": "/__venvbuild_prefix__", "files": [], "binary_files": []}
    record = json.dumps(
        {
            "archive_format": 2,
            "relocation": relocation,
            "files": {"blob": {"type": "file", "mode": "644", "size": declared_size, "sha256": "0" * 64}},
        }
    ).encode()
    record_dir, record_file = tarfile.TarInfo("venv/.venvbuild"), tarfile.TarInfo("venv/.venvbuild/build.json")
    record_dir.type, record_dir.mode = tarfile.DIRTYPE, 0o755
    record_file.size, record_file.mode = len(record), 0o644
    zeros = gz(b"\0" * (1 << 20))
    data = (
        gz(member(venv_dir) + member(blob))
        + zeros * 1024
        + gz(member(record_dir) + member(record_file, record) + tarfile.NUL * 2 * tarfile.BLOCKSIZE)
    )
    return _publish_handmade(tmp_path, data, relocation=relocation)


def _limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 << 20, 32 << 20))  # a larger write kills the pull (SIGXFSZ)


@pytest.mark.parametrize("declared", [1 << 30, 10], ids=["declared", "undeclared"])
def test_a_compression_bomb_is_refused_before_it_writes(tmp_path, declared):
    """A 1 MiB archive that decompresses to 1 GiB, whether its build record declares that or not, is refused
    in one line having written no file larger than 32 MiB (the child's file size limit) and leaving nothing."""
    root = _bomb(tmp_path, declared)
    dest = tmp_path / "pulls" / "env"
    done = venvbuild("pull", "venv_20250722_163000", "--store", root, "--dest", dest, preexec_fn=_limit_file_size)
    assert done.returncode == 2, done.stderr
    _one_error_line(done, "decompresses to more than", "refusing")
    assert not (tmp_path / "pulls").exists()


def test_free_space_is_checked_before_anything_is_extracted(tmp_path):
    """A venv larger than the destination's free space (a small tmpfs) is refused in one line naming the
    sizes, before extraction, rather than failing half-way with a full disk."""
    small = tmp_path / "small-disk"
    small.mkdir()
    if (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(small)], capture_output=True, timeout=30).returncode
        != 0
    ):
        pytest.skip("needs root with mount rights for a small tmpfs")
    try:
        root = _archived(tmp_path, _small_venv(tmp_path, [os.urandom(16 << 10) * 2048]))  # 32 MiB, ~1% of it stored
        done = venvbuild("pull", "venv_20250722_163000", "--store", root, "--dest", small / "env")
        assert done.returncode == 2, done.stderr
        _one_error_line(done, "needs", "are free in", "nothing extracted")
        assert _leftovers(small) == []
    finally:
        subprocess.run(["umount", str(small)], capture_output=True, timeout=30)


def test_a_pull_killed_outright_leaves_a_folder_the_next_pull_removes(tmp_path):
    """SIGKILL gives a pull no chance to clean up: its temporary folder beside --dest stays, and the next pull
    to the same place removes it (its process is dead) while leaving a live pull's folder alone."""
    root = _archived(tmp_path, _small_venv(tmp_path, [bytes(range(256)) * (1 << 18)] * 4, name="big"))
    pulls = tmp_path / "pulls"
    pulls.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "venvbuild", "pull", "venv_20250722_163000", "--store", str(root), "--dest", str(pulls / "env")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not list(pulls.glob(".venvbuild-pull-*/venv/blob0")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the pull ended before it could be killed"
    proc.kill()
    wait(proc)
    [stray] = list(pulls.glob(".venvbuild-pull-*"))
    live = pulls / f".venvbuild-pull-{socket.gethostname().replace('-', '_')}-{os.getpid()}-0000"
    live.mkdir()  # a pull in progress in this (live) process
    done = venvbuild("pull", "venv_20250722_163000", "--store", root, "--dest", pulls / "env")
    assert done.returncode == 0, done.stderr
    assert not stray.exists()
    assert _leftovers(pulls) == sorted(["env", live.name])


def test_dest_inside_the_store_is_refused(tmp_path, store):
    """A pull never writes into the store it reads (nor replaces a folder holding it): one line, nothing made."""
    root, builds = store
    copy = _copy_store(root, tmp_path)
    before = sorted(str(p) for p in copy.rglob("*"))
    for dest in (copy / "venv-builds" / "env", copy, tmp_path):
        done = venvbuild("pull", builds["first"]["venv_version"], "--store", copy, "--dest", dest, "--force")
        assert done.returncode == 2
        _one_error_line(done, "--dest", "the store", str(copy))
    assert sorted(str(p) for p in copy.rglob("*")) == before


def test_a_dest_that_is_not_utf8_is_named_as_such(tmp_path, store):
    """A --dest with bytes that are not UTF-8 is refused as that, in one line showing the bytes."""
    root, builds = store
    dest = os.fsencode(tmp_path) + b"/caf\xe9/env"
    done = subprocess.run(
        [
            sys.executable.encode(),
            b"-m",
            b"venvbuild",
            b"pull",
            builds["first"]["venv_version"].encode(),
            b"--store",
            os.fsencode(root),
            b"--dest",
            dest,
        ],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 2
    lines = done.stderr.decode("utf-8").strip().splitlines()
    assert (
        len(lines) == 1
        and lines[0].startswith("venvbuild: error: --dest ")
        and "caf\\xe9" in lines[0]
        and "not valid UTF-8" in lines[0]
    ), lines
    assert _leftovers(tmp_path) == []


def test_verify_reports_a_folder_whose_mode_changed(tmp_path, store):
    """A folder made writable for everyone lets anyone plant code in it: verify reports it, the venv's own
    folder included."""
    root, builds = store
    dest = tmp_path / "env"
    assert venvbuild("pull", builds["first"]["venv_version"], "--store", root, "--dest", dest).returncode == 0
    site = dest / "lib" / f"python{MINOR}" / "site-packages"
    os.chmod(site, 0o777)
    os.chmod(dest, 0o775)
    done = venvbuild("verify", dest)
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["changed: .", f"changed: lib/python{MINOR}/site-packages"]


def test_verify_accepts_bytecode_python_wrote_and_reports_a_crafted_pyc(tmp_path, store):
    """A .pyc that Python wrote on first import is what compiling its source gives: accepted. One crafted
    with the header Python checks (the source's mtime and size) is imported instead of the source: reported."""
    from importlib._bootstrap_external import _code_to_timestamp_pyc  # type: ignore[attr-defined]

    root, builds = store
    dest = tmp_path / "env"
    assert venvbuild("pull", builds["first"]["venv_version"], "--store", root, "--dest", dest).returncode == 0
    package = dest / "lib" / f"python{MINOR}" / "site-packages" / "alpha"
    writes_bytecode = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    assert _run(dest / "bin" / "python", "-c", "import alpha", env=writes_bytecode).returncode == 0
    [pyc] = list((package / "__pycache__").glob("__init__.*.pyc"))
    benign = venvbuild("verify", dest)
    assert benign.returncode == 0, benign.stdout

    source = (package / "__init__.py").stat()
    planted = compile("print('planted')\n", str(package / "__init__.py"), "exec", dont_inherit=True)
    pyc.write_bytes(bytes(_code_to_timestamp_pyc(planted, int(source.st_mtime), source.st_size)))
    assert _run(dest / "bin" / "python", "-c", "import alpha", env=writes_bytecode).stdout == "planted\n", "Python runs it"
    crafted = venvbuild("verify", dest)
    assert crafted.returncode == 1
    assert crafted.stdout.splitlines() == [f"added: {pyc.relative_to(dest)}"]
    (package / "__pycache__" / "notes.txt").write_text("x")
    assert f"added: {(package / '__pycache__' / 'notes.txt').relative_to(dest)}" in venvbuild("verify", dest).stdout
