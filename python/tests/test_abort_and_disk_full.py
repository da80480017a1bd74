"""A Jenkins abort (SIGTERM) and a full disk, on real processes."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests._support.processes import run, venvbuild
from tests._support.wheelhouse import make_wheelhouse

pytestmark = pytest.mark.build  # real builds with pip or uv


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    return make_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture
def requirements(tmp_path, wheelhouse):
    path = tmp_path / "requirements.txt"
    path.write_text(f"--no-index\n--find-links {wheelhouse}\nalpha==1.0\nbeta==1.0\n")
    return path


def processes_mentioning(text: str) -> list:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text.encode() in cmdline.read_bytes():
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


def test_sigterm_during_the_install_stops_with_one_line_and_removes_the_work_folder(tmp_path, requirements):
    temp, store = tmp_path / "tmp", tmp_path / "store"
    temp.mkdir()
    build = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "venvbuild",
            "build",
            "--requirements",
            str(requirements),
            "--env-name",
            "demo",
            "--store",
            str(store),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    # Wait until the installer is running, as when a user aborts a long pip install.
    deadline = time.monotonic() + 120
    while not any(" install " in log.read_text() for log in temp.glob("venvbuild-work-*/install.log")):
        assert build.poll() is None and time.monotonic() < deadline, "the build ended before the installer ran"
        time.sleep(0.01)

    build.send_signal(signal.SIGTERM)
    out, err = build.communicate(timeout=60)

    assert build.returncode == 143, err
    assert out == ""
    errors = [line for line in err.splitlines() if line.startswith("venvbuild: error:")]
    assert errors == ["venvbuild: error: terminated by SIGTERM; stopped and cleaned up"], err
    assert err.splitlines()[-1] == errors[0]
    assert list(temp.iterdir()) == [], "the temporary work folder is gone"
    assert not (store / "venv-builds").exists() or not list((store / "venv-builds").iterdir())
    assert processes_mentioning(str(temp)) == [], "no installer left running"


def _stages_up_to_inspect(work, requirements):
    for stage in (["validate", "--requirements", requirements, "--env-name", "demo"], ["install"], ["inspect"]):
        done = venvbuild(stage[0], "--work-dir", work, *stage[1:])
        assert done.returncode == 0, done.stderr


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """Mounts a 64 KiB tmpfs on a folder (root only); unmounted afterwards."""
    mounted = []

    def mount(folder: Path):
        if os.geteuid() != 0 or not shutil.which("mount"):
            pytest.skip("mounting a tmpfs needs root")
        kept = tmp_path / "kept"
        shutil.copytree(folder, kept)
        done = run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", folder], timeout=60)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(folder)
        for item in kept.iterdir():
            shutil.copy2(item, folder / item.name)

    yield mount
    for folder in mounted:
        run(["umount", folder], timeout=60, check=True)


@pytest.mark.parametrize("how", ["tmpfs", "dev-full"])
def test_a_full_disk_in_the_package_stage_is_the_stages_exit_code_naming_the_file(tmp_path, requirements, tiny_tmpfs, how):
    work = tmp_path / "work"
    _stages_up_to_inspect(work, requirements)
    [version] = [line.split('"')[3] for line in (work / "state.json").read_text().splitlines() if '"venv_version"' in line]
    archive = work / "artifacts" / f"{version}.tar.gz"
    env = None
    if how == "tmpfs":
        tiny_tmpfs(work / "artifacts")  # far smaller than the venv's archive
    else:
        # The archive is written aside, then renamed: the file being written fails with ENOSPC, from the kernel.
        # Its temporary name is random; the child is told to use <archive>.part, which leads to /dev/full.
        hook = tmp_path / "hook"
        hook.mkdir()
        (hook / "sitecustomize.py").write_text(
            "from pathlib import Path\nfrom venvbuild._util import atomic\n"
            "atomic.temp_beside = lambda target, part=atomic.PART: Path(str(target) + '.part')\n"
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hook), *sys.path])}
        archive.with_name(archive.name + ".part").symlink_to("/dev/full")

    done = venvbuild("package", "--work-dir", work, env=env)

    assert done.returncode == 5, done.stderr
    assert done.stderr.splitlines() == [f"venvbuild: error: package stage: {archive}: No space left on device"]
    assert not archive.exists() and not archive.is_symlink(), "no half-written archive left"
    assert [p.name for p in (work / "artifacts").iterdir() if ".part" in p.name] == [], "nor the file it was written to"
    assert venvbuild("metadata", "--work-dir", work).returncode == 2, "the next stage sees that package did not run"
