"""stdout carries only results: `venvbuild build ... > result.txt` gets the summary alone."""

import json
import subprocess
import sys

import pytest

from tests._support.processes import CHILD_TIMEOUT_S
from tests._support.wheelhouse import make_wheelhouse

pytestmark = pytest.mark.build  # real builds with pip or uv


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    return make_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_build_redirected_to_a_file_gets_the_summary_alone(tmp_path, wheelhouse, installer):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--no-index\n--find-links {wheelhouse}\nalpha==1.0\nbeta==1.0\n")
    store = tmp_path / "store"
    result = tmp_path / "result.txt"
    with open(result, "w") as out:  # a real file on the descriptor, as the shell's `>` gives it
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "venvbuild",
                "build",
                "--requirements",
                str(requirements),
                "--env-name",
                "demo",
                "--installer",
                installer,
                "--store",
                str(store),
            ],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=CHILD_TIMEOUT_S,
        )
    assert done.returncode == 0, done.stderr

    [record] = list((store / "venv-builds-metadata").glob("dt=*/*.json"))
    meta = json.loads(record.read_text())
    assert result.read_text().splitlines() == [
        f"{meta['venv_version']}  env demo  python {meta['python_full_version']}  "
        f"{len(meta['installed_packages'])} packages  conflict-free",
        f"archive {meta['venv_archive']}  sha256 {meta['archive_sha256']}  {meta['archive_size']} bytes",
    ]
    # The installer still talks to the person at the console, on stderr.
    assert "alpha" in done.stderr and ("Successfully installed" in done.stderr or "Installed" in done.stderr)
