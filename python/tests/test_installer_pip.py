"""pip mode installs with the helper's own pip when it is the pip the venv would get anyway
(installer.helper_pip_serves), else with the venv's own: the same files either way."""

import importlib.metadata
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests._support.processes import CHILD_TIMEOUT_S
from venvbuild.build import archive, installer, interpreter

HELPER_PIP = importlib.metadata.version("pip")
HELPER_FACTS = {
    "implementation": sys.implementation.name,
    "bundled_pip": HELPER_PIP,
    "abi": sysconfig.get_config_var("SOABI") or sys.implementation.cache_tag,
}


def _build(tmp_path, requirements, name, helper_pip):
    venv, log = tmp_path / name / "venv", tmp_path / f"{name}.log"
    venv.parent.mkdir()
    installer.create_venv(sys.executable, venv, "pip", log, prompt="demo", helper_pip=helper_pip)
    installer.install(venv, requirements("zeta==1.0"), "pip", log, helper_pip=helper_pip)
    return venv, [line for line in log.read_text().splitlines() if line.startswith("$ ")]


def _serving():
    if not installer._bundled_wheels(sys.executable):
        pytest.skip("this Python has no ensurepip wheels (Debian's): pip mode runs `python -m venv` as it is")
    if not installer.helper_pip_serves(interpreter.probe(sys.executable).identity):
        pytest.skip(f"this Python bundles another pip than the helper's {HELPER_PIP}, or the helper's is too old")


def test_the_helpers_pip_and_the_venvs_own_install_the_same_files(tmp_path, requirements):
    _serving()
    helper_venv, helper_commands = _build(tmp_path, requirements, "helper", helper_pip=True)
    own_venv, own_commands = _build(tmp_path, requirements, "own", helper_pip=False)

    pip_runs = [c for c in helper_commands if " install " in c]
    assert len(pip_runs) == 2  # pip and setuptools, then the requirements
    assert all(c.startswith(f"$ {sys.executable} -I -m pip --python {helper_venv}/bin/python install ") for c in pip_runs)
    assert not any(" --python " in c for c in own_commands)
    assert any(".whl/pip install" in c for c in own_commands)  # by ensurepip's pip wheel
    assert any(c.startswith(f"$ {own_venv}/bin/python -m pip install ") for c in own_commands)

    for venv in (helper_venv, own_venv):
        assert (
            subprocess.run([venv / "bin" / "zeta"], capture_output=True, text=True, timeout=CHILD_TIMEOUT_S).stdout
            == "zeta 1.0\n"
        )
        own_pip = subprocess.run(
            [venv / "bin" / "pip", "--version"], capture_output=True, text=True, check=True, timeout=CHILD_TIMEOUT_S
        )
        assert own_pip.stdout.startswith(f"pip {HELPER_PIP} from {venv}/")
    ours = archive.write(helper_venv, tmp_path / "helper.tar.gz", "gz")
    theirs = archive.write(own_venv, tmp_path / "own.tar.gz", "gz")
    assert ours.sha256 == theirs.sha256  # which of the two ran changes nothing in the archive


@pytest.mark.parametrize(
    "differs",
    [
        {"bundled_pip": "1.0"},  # the base bundles another pip: it installs, as the build key says
        {"implementation": "pypy"},
        {"abi": "cpython-311d-x86_64-linux-gnu"},  # a debug build reads other bytecode
    ],
)
def test_the_helpers_pip_serves_only_as_the_pip_the_venv_would_get_on_the_helpers_abi(differs):
    _serving()
    assert installer.helper_pip_serves(HELPER_FACTS)
    assert not installer.helper_pip_serves({**HELPER_FACTS, **differs})


def test_an_inherited_pip_subprocess_marker_cannot_send_the_install_into_the_helper(tmp_path, requirements, monkeypatch):
    # pip sets it for the interpreter it re-runs under --python; inherited, pip would skip --python.
    _serving()
    monkeypatch.setenv("_PIP_RUNNING_IN_SUBPROCESS", "1")
    monkeypatch.setenv("PIP_PYTHON", sys.executable)  # pip reads it as --python
    venv, _ = _build(tmp_path, requirements, "marked", helper_pip=True)
    assert (venv / "bin" / "zeta").exists()
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version("zeta")  # not in the helper's env


def test_an_aborted_install_stops_the_installers_children_too(tmp_path, monkeypatch):
    """`pip --python` runs pip in a child of the pip we start, as build backends are: an abort (SIGTERM
    turned into an exception, Ctrl-C) stops every process under the installer, not only the one venvbuild
    started."""
    import time

    seen = []

    def abort_on_the_childs_pid(text):
        if text.strip().isdigit():  # the installer's first line of output (the command is redacted first)
            seen.append(text)
            raise KeyboardInterrupt
        return text

    monkeypatch.setattr(installer, "redact", abort_on_the_childs_pid)
    with pytest.raises(KeyboardInterrupt):
        installer._run(["sh", "-c", "sleep 300 & echo $!; wait"], tmp_path / "install.log", failure=None)
    child = int(seen[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return
        if "State:\tZ" in status:  # killed, not yet reaped by its new parent
            return
        time.sleep(0.05)
    pytest.fail(f"the installer's child {child} was still running after the abort")
