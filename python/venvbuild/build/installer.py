"""Creating the virtual environment and installing the requirements into it, with pip or uv.

The installer's output reaches the console (stderr) and install.log line by line, credentials redacted.
"""

import importlib.metadata
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import List

from packaging.version import InvalidVersion, Version

from venvbuild._util.redact import redact
from venvbuild._util.terminal import printable
from venvbuild.build import install_failure
from venvbuild.errors import InstallError, UsageError

INSTALLERS = ("pip", "uv")


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def find_uv() -> str:
    path = shutil.which("uv")
    if path:
        return path
    try:
        from uv import find_uv_bin
    except ImportError:
        raise UsageError("--installer uv: no uv on PATH; install it, or pip install 'venvbuild[uv]'") from None
    return find_uv_bin()


def create_venv(base_python: str, venv: Path, installer: str, log: Path, prompt: str, helper_pip: bool = False) -> None:
    """A venv whose prompt is the env's name (not the build folder's). In pip mode it gets the pip (and,
    before 3.12, setuptools) that ensurepip would give it, installed without bytecode: ensurepip compiles
    every module, which is slow and stamps each .pyc with the time of the build. helper_pip: installed by
    the helper's own pip (helper_pip_serves)."""
    failure = f"creating the venv with {base_python} failed"
    if installer == "uv":
        _run([find_uv(), "venv", "--python", base_python, "--no-project", "--prompt", prompt, str(venv)], log, failure)
        return
    wheels = _bundled_wheels(base_python)
    if not wheels:  # a distribution that strips ensurepip's wheels (Debian's python3-venv has its own)
        _run([base_python, "-m", "venv", "--prompt", prompt, str(venv)], log, failure)
        return
    _run([base_python, "-m", "venv", "--without-pip", "--prompt", prompt, str(venv)], log, failure)
    pip_wheel = next(w for w in wheels if Path(w).name.startswith("pip-"))
    # By name from the wheels' folder, as ensurepip does: installed from a file path, pip would record a
    # direct_url.json and `pip freeze --all` would print `pip @ file:///...`.
    pins = ["==".join(Path(w).name.split("-")[:2]) for w in wheels]
    run_pip = _helper_pip_command(venv) if helper_pip else [str(venv_python(venv)), f"{pip_wheel}/pip"]
    _run(
        [
            *run_pip,
            "install",
            "--no-compile",
            "--no-index",
            "--no-deps",
            "--find-links",
            str(Path(pip_wheel).parent),
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--quiet",
            *pins,
        ],
        log,
        failure,
        hermetic=True,
    )


# pip's --python: run this pip's code with another interpreter, installing into that interpreter's env.
_PIP_WITH_PYTHON = Version("22.3")


def helper_pip_serves(facts: dict) -> bool:
    """Whether pip mode installs with the helper's own pip into a venv of the base interpreter described
    by facts (interpreter.probe's identity): the same pip version the venv would get (the one the base
    bundles, so the installer and the archive bytes are the same either way), pip 22.3 or later, and the
    same implementation and ABI as the helper, whose bytecode the base interpreter then reads.

    A pip run from ensurepip's wheel file, or freshly installed without bytecode, compiles its hundreds of
    modules on every run: over a second of each build. The helper's pip was compiled when it was installed."""
    try:
        pip = importlib.metadata.distribution("pip")
        found = pip.version
        usable = Version(found) >= _PIP_WITH_PYTHON
    except (importlib.metadata.PackageNotFoundError, InvalidVersion):
        return False
    # The pip `-I -m pip` runs: the helper env's own, not one found through PYTHONPATH or the user site.
    if Path(str(pip.locate_file(""))).resolve() != Path(sysconfig.get_paths()["purelib"]).resolve():
        return False
    helper_abi = sysconfig.get_config_var("SOABI") or sys.implementation.cache_tag
    return (
        usable
        and found == facts.get("bundled_pip")
        and facts.get("implementation") == sys.implementation.name
        and facts.get("abi") == helper_abi
    )


def _helper_pip_command(venv: Path) -> List[str]:
    # -I: the workspace (the current folder) is not on sys.path, so a pip.py there cannot stand in for pip.
    return [sys.executable, "-I", "-m", "pip", "--python", str(venv_python(venv))]


def _bundled_wheels(base_python: str) -> list[str]:
    """The wheels `python -m ensurepip` installs, from the base interpreter's own ensurepip."""
    probe = (
        "import ensurepip, glob, os; "
        "print('\\n'.join(sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', '*.whl')))))"
    )
    try:
        done = subprocess.run([base_python, "-c", probe], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    wheels = done.stdout.splitlines() if done.returncode == 0 else []
    return wheels if any(Path(w).name.startswith("pip-") for w in wheels) else []


def install(
    venv: Path, requirements: Path, installer: str, log: Path, helper_pip: bool = False, named: Path | None = None
) -> None:
    """Install requirements into venv; named: the file to name in a failure (the user's, of which
    requirements is a copy)."""
    python = str(venv_python(venv))
    if installer == "uv":
        command = [find_uv(), "pip", "install", "--python", python, "-r", str(requirements)]
    else:
        # --no-compile: bytecode is most of pip's time and not part of a reproducible archive;
        # the interpreter writes it on first import.
        run_pip = _helper_pip_command(venv) if helper_pip else [python, "-m", "pip"]
        command = [*run_pip, "install", "--no-compile", "--disable-pip-version-check", "-r", str(requirements)]
    output = _run(command, log, failure=None)
    if output is not None:
        clash = install_failure.explain(output)
        detail = f"requirements clash: {clash}" if clash else _last_error(output)
        raise InstallError(f"{named or requirements}: {installer} install failed: {detail} (full log: {log})")


def _run(command: List[str], log: Path, failure, hermetic: bool = False):
    """Run command, teeing redacted output to the console and log. Returns None on success,
    the captured output on failure (or raises InstallError(failure) when failure is given).
    hermetic: without the user's PIP_* settings (for what venvbuild itself installs)."""
    env = {k: v for k, v in os.environ.items() if not (hermetic and k.startswith("PIP_"))}
    env.update({"PYTHONUNBUFFERED": "1", "PIP_NO_INPUT": "1"})
    env.pop("PYTHONPATH", None)
    # Each would send pip's install elsewhere than the venv: the helper's env, another interpreter's.
    env.pop("_PIP_RUNNING_IN_SUBPROCESS", None)
    env.pop("PIP_PYTHON", None)
    captured = []
    with open(log, "a", encoding="utf-8") as out:
        out.write("$ " + redact(" ".join(command)) + "\n")
        try:
            proc = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, errors="replace", bufsize=1
            )
        except OSError as exc:
            raise InstallError(f"cannot run {command[0]}: {exc.strerror}") from None
        assert proc.stdout is not None  # stdout=PIPE
        try:
            for line in proc.stdout:
                line = redact(line)
                captured.append(line)
                out.write(line)
                sys.stderr.write(printable(line))  # progress: stdout carries only the command's result
            proc.wait()
        except BaseException:  # aborted (SIGTERM, Ctrl-C) or the log cannot be written: stop the installer too
            _kill_tree(proc)
            raise
    sys.stderr.flush()
    if proc.returncode == 0:
        return None
    if failure:
        raise InstallError(f"{failure}: {_last_error(captured)} (full log: {log})")
    return captured


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill the installer and every process under it (`pip --python` runs pip in a child, pip runs build
    backends): killing only the process we started leaves them running. They stay in our process group,
    so a terminal prompt (git's, ssh's) and a Ctrl-C still reach them."""
    for pid in [*_descendants(proc.pid), proc.pid]:  # all found before any dies and is re-parented
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:  # gone already
            pass
    proc.wait()


def _descendants(pid: int) -> List[int]:
    """The processes under pid, from /proc (none found without it: then only pid is killed)."""
    children: dict = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command name, which may hold ")"
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _last_error(lines: List[str]) -> str:
    return install_failure.error_line(lines)
