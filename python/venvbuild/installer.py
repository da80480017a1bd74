"""Creating the virtual environment and installing the requirements into it, with pip or uv.

The installer's output reaches the console (stderr) and install.log line by line, credentials redacted.
"""

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

from packaging.version import InvalidVersion, Version

from venvbuild import resolution
from venvbuild.errors import InstallError, UsageError
from venvbuild.redact import redact

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


def create_venv(base_python: str, venv: Path, installer: str, log: Path, prompt: str) -> None:
    """A venv whose prompt is the env's name (not the build folder's). In pip mode it gets the pip (and,
    before 3.12, setuptools) that ensurepip would give it, installed without bytecode: ensurepip compiles
    every module, which is slow and stamps each .pyc with the time of the build."""
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
    run_pip = _pip_command(venv) or [str(venv_python(venv)), f"{pip_wheel}/pip"]
    _run([*run_pip, "install", "--no-compile", "--no-index", "--no-deps",
          "--find-links", str(Path(pip_wheel).parent), "--disable-pip-version-check", "--no-cache-dir", "--quiet",
          *pins], log, failure, hermetic=True)


# pip's --python: run this pip's code with another interpreter, installing into that interpreter's env.
_PIP_WITH_PYTHON = Version("22.3")


def helper_pip(minor: str) -> Optional[str]:
    """The version of the helper's own pip when pip mode installs with it into a venv of Python `minor`,
    else None (then the venv's own pip installs, the one its base interpreter bundles).

    A pip run from a wheel file, or freshly installed without bytecode, compiles its hundreds of modules
    on every run: over a second of each build. The helper's pip was compiled once, when the helper was
    installed, for the helper's Python: it serves venvs of that same minor version."""
    if ".".join(map(str, sys.version_info[:2])) != minor:
        return None
    try:
        found = importlib.metadata.version("pip")
        return found if Version(found) >= _PIP_WITH_PYTHON else None
    except (importlib.metadata.PackageNotFoundError, InvalidVersion):
        return None


def _pip_command(venv: Path) -> Optional[List[str]]:
    """The helper's pip, run by venv's interpreter (`pip --python`), when helper_pip allows it."""
    minor = _venv_minor(venv)
    if minor is None or helper_pip(minor) is None:
        return None
    return [sys.executable, "-m", "pip", "--python", str(venv_python(venv))]


def _venv_minor(venv: Path) -> Optional[str]:
    """`3.N` from the venv's pyvenv.cfg (`version = 3.11.7`, `version_info` in uv's), without starting it."""
    try:
        lines = (venv / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            return ".".join(value.strip().split(".")[:2])
    return None


def _bundled_wheels(base_python: str) -> list[str]:
    """The wheels `python -m ensurepip` installs, from the base interpreter's own ensurepip."""
    probe = ("import ensurepip, glob, os; "
             "print('\\n'.join(sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', '*.whl')))))")
    try:
        done = subprocess.run([base_python, "-c", probe], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    wheels = done.stdout.splitlines() if done.returncode == 0 else []
    return wheels if any(Path(w).name.startswith("pip-") for w in wheels) else []


def install(venv: Path, requirements: Path, installer: str, log: Path) -> None:
    python = str(venv_python(venv))
    if installer == "uv":
        command = [find_uv(), "pip", "install", "--python", python, "-r", str(requirements)]
    else:
        # --no-compile: bytecode is most of pip's time and not part of a reproducible archive;
        # the interpreter writes it on first import.
        run_pip = _pip_command(venv) or [python, "-m", "pip"]
        command = [*run_pip, "install", "--no-compile", "--disable-pip-version-check", "-r", str(requirements)]
    output = _run(command, log, failure=None)
    if output is not None:
        clash = resolution.explain(output)
        detail = f"requirements clash: {clash}" if clash else _last_error(output)
        raise InstallError(f"{requirements}: {installer} install failed: {detail} (full log: {log})")


def _run(command: List[str], log: Path, failure, hermetic: bool = False):
    """Run command, teeing redacted output to the console and log. Returns None on success,
    the captured output on failure (or raises InstallError(failure) when failure is given).
    hermetic: without the user's PIP_* settings (for what venvbuild itself installs)."""
    env = {k: v for k, v in os.environ.items() if not (hermetic and k.startswith("PIP_"))}
    env.update({"PYTHONUNBUFFERED": "1", "PIP_NO_INPUT": "1"})
    env.pop("PYTHONPATH", None)
    captured = []
    with open(log, "a", encoding="utf-8") as out:
        out.write("$ " + redact(" ".join(command)) + "\n")
        try:
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                    text=True, errors="replace", bufsize=1)
        except OSError as exc:
            raise InstallError(f"cannot run {command[0]}: {exc.strerror}") from None
        assert proc.stdout is not None  # stdout=PIPE
        try:
            for line in proc.stdout:
                line = redact(line)
                captured.append(line)
                out.write(line)
                sys.stderr.write(line)  # progress: stdout carries only the command's result
        except BaseException:  # aborted (SIGTERM, Ctrl-C) or the log cannot be written: stop the installer too
            proc.kill()
            proc.wait()
            raise
        proc.wait()
    sys.stderr.flush()
    if proc.returncode == 0:
        return None
    if failure:
        raise InstallError(f"{failure}: {_last_error(captured)} (full log: {log})")
    return captured


def _last_error(lines: List[str]) -> str:
    return resolution.error_line(lines)
