"""The stored requirements.txt reproduces the build's inputs: real `pip install --dry-run
--report`, offline from a local wheelhouse, on the user's files and on the stored copy, installs the same."""

import json
import os
import subprocess
import sys

import pytest

from tests._support.wheelhouse import make_wheelhouse, write_wheel
from venvbuild.cli import main

pytestmark = pytest.mark.build  # real builds with pip or uv


def pip_would_install(requirements, cwd, report):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--quiet",
            "--no-input",
            "--disable-pip-version-check",
            "--report",
            str(report),
            "-r",
            str(requirements),
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    installs = json.loads(report.read_text())["install"]
    return sorted(f"{i['metadata']['name']}=={i['metadata']['version']}" for i in installs)


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_pip_installs_from_the_stored_copy_what_it_installs_from_the_inputs(tmp_path):
    wheels = make_wheelhouse(tmp_path / "wheels")
    write_wheel(wheels, "omega", "1.0")
    write_wheel(wheels, "omega", "2.0")
    write_wheel(wheels, "psi", "1.0", ["omega"])
    write_wheel(wheels, "zeta", "1.0")
    inputs = tmp_path / "inputs"
    # A relative --find-links, an include in a subfolder, a constraint that picks a version (omega<2), one
    # on a package nothing needs (zeta: must stay uninstalled) and a -r inside the constraints file.
    top = write(inputs, "requirements.txt", "--no-index\n--find-links ../wheels\n-r sub/app.txt\n-c constraints.txt\n")
    write(inputs, "sub/app.txt", "gamma==1.0  # gamma needs alpha, alpha needs beta<2\npsi==1.0\n")
    write(inputs, "constraints.txt", "omega<2\nzeta==1.0\n-r extra.txt\n")
    write(inputs, "extra.txt", "delta==1.0\n")

    work = tmp_path / "work"
    assert main(["validate", "--work-dir", str(work), "--requirements", str(top), "--env-name", "demo"]) == 0
    stored = work / "artifacts" / "requirements.txt"
    assert sorted(p.name for p in stored.parent.iterdir()) == ["constraints.txt", "requirements.txt"]
    assert "-r " not in stored.read_text() and "-c " not in (work / "artifacts" / "constraints.txt").read_text()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    from_inputs = pip_would_install(top, inputs, tmp_path / "inputs.json")
    from_stored = pip_would_install(stored, elsewhere, tmp_path / "stored.json")
    assert from_inputs == ["alpha==1.0", "beta==1.0", "delta==1.0", "epsilon==1.0", "gamma==1.0", "omega==1.0", "psi==1.0"]
    assert from_stored == from_inputs


def test_without_constraints_the_stored_copy_is_one_file(tmp_path):
    wheels = make_wheelhouse(tmp_path / "wheels")
    inputs = tmp_path / "inputs"
    top = write(inputs, "requirements.txt", f"--no-index\n--find-links {wheels}\n-r more.txt\nalpha==1.0\n")
    write(inputs, "more.txt", "gamma==1.0\n")
    work = tmp_path / "work"
    assert main(["validate", "--work-dir", str(work), "--requirements", str(top), "--env-name", "demo"]) == 0
    assert sorted(p.name for p in (work / "artifacts").iterdir()) == ["requirements.txt"]
    stored = work / "artifacts" / "requirements.txt"
    from_stored = pip_would_install(stored, tmp_path, tmp_path / "r.json")
    assert from_stored == pip_would_install(top, inputs, tmp_path / "i.json")


def test_a_build_with_constraints_publishes_constraints_txt_as_an_extra_artifact(tmp_path):
    wheels = make_wheelhouse(tmp_path / "wheels")
    top = write(tmp_path, "requirements.txt", f"--no-index\n--find-links {wheels}\ngamma==1.0\n-c constraints.txt\n")
    write(tmp_path, "constraints.txt", "beta==1.0\n")
    store = tmp_path / "store"
    assert (
        main(
            [
                "build",
                "--requirements",
                str(top),
                "--env-name",
                "demo",
                "--store",
                str(store),
                "--work-dir",
                str(tmp_path / "work"),
            ]
        )
        == 0
    )
    [folder] = (store / "venv-builds").iterdir()
    assert (folder / "constraints.txt").read_text() == f"# from {tmp_path / 'constraints.txt'}\nbeta==1.0\n"
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["extra_artifacts"][0] == "constraints.txt"
    assert (folder / "requirements.txt").read_text().startswith("-c constraints.txt  # sha256:")
    assert pip_would_install(folder / "requirements.txt", tmp_path, tmp_path / "r.json") == [
        "alpha==1.0",
        "beta==1.0",
        "gamma==1.0",
    ]
