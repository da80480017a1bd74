"""pip mode installs with the helper's own pip when it can (installer.helper_pip), else with the venv's."""

import importlib.metadata
import subprocess
import sys

import pytest

from venvbuild import archive, build_key, installer

MINOR = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _build(tmp_path, requirements, name):
    venv, log = tmp_path / name / "venv", tmp_path / f"{name}.log"
    venv.parent.mkdir()
    installer.create_venv(sys.executable, venv, "pip", log, prompt="demo")
    installer.install(venv, requirements("zeta==1.0"), "pip", log)
    return venv, log.read_text()


def _commands(log):
    return [line for line in log.splitlines() if line.startswith("$ ")]


def test_the_helpers_pip_installs_into_a_venv_of_its_own_minor(tmp_path, requirements):
    venv, log = _build(tmp_path, requirements, "helper")
    commands = _commands(log)
    pip_runs = [c for c in commands if " install " in c and "venv --without-pip" not in c]
    assert pip_runs and all(f"{sys.executable} -m pip --python {venv}/bin/python install" in c for c in pip_runs)
    assert subprocess.run([venv / "bin" / "zeta"], capture_output=True, text=True).stdout == "zeta 1.0\n"
    own_pip = subprocess.run([venv / "bin" / "pip", "--version"], capture_output=True, text=True, check=True)
    assert own_pip.stdout.startswith("pip ") and str(venv) in own_pip.stdout


def test_without_the_helpers_pip_the_venvs_own_installs_the_same_files(tmp_path, requirements, monkeypatch):
    helper_venv, _ = _build(tmp_path, requirements, "helper")
    monkeypatch.setattr(installer, "helper_pip", lambda minor: None)
    own_venv, log = _build(tmp_path, requirements, "own")
    commands = _commands(log)
    assert not any(" --python " in c for c in commands)
    assert any(".whl/pip install" in c for c in commands)  # pip and setuptools, by the bundled pip wheel
    assert any(f"{own_venv}/bin/python -m pip install" in c for c in commands)
    bundled = next(c for c in commands if ".whl/pip install" in c).split("pip-")[1].split("-")[0]
    if bundled != importlib.metadata.version("pip"):
        pytest.skip(f"the helper's pip is not the bundled {bundled}: their console scripts may differ")
    ours = archive.write(helper_venv, tmp_path / "helper.tar.gz", "gz")
    theirs = archive.write(own_venv, tmp_path / "own.tar.gz", "gz")
    assert ours.sha256 == theirs.sha256  # which pip ran changes nothing in the archive


def test_the_helpers_pip_serves_only_its_own_minor_and_the_build_key_names_the_pip_that_installs():
    assert installer.helper_pip(MINOR) == importlib.metadata.version("pip")
    assert installer.helper_pip("3.99") is None
    facts = {"version": f"{MINOR}.0", "bundled_pip": "1.0"}
    assert build_key.installer_version("pip", facts) == importlib.metadata.version("pip")
    assert build_key.installer_version("pip", {**facts, "version": "3.99.0"}) == "1.0"
