"""Finding the base interpreter for a requested `3.N`, and asking an interpreter what it really is."""

import glob
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

from venvbuild.errors import UsageError

_PROBE = """
import json, os, platform, sys, sysconfig
try:
    import ensurepip
    bundled_pip = ensurepip.version()
except Exception:  # a distribution that leaves ensurepip out
    bundled_pip = None
print(json.dumps({
    "version": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable,
    "base_executable": getattr(sys, "_base_executable", sys.executable), "platform": sysconfig.get_platform(),
    # What venvbuild.build.build_key needs besides, asked in the same run: one interpreter start less per build.
    "identity": {
        "implementation": sys.implementation.name, "version": platform.python_version(),
        "release": list(sys.version_info[3:]), "abi": sysconfig.get_config_var("SOABI") or sys.implementation.cache_tag,
        "executable": os.path.realpath(sys.executable), "platform": sysconfig.get_platform(),
        "bundled_pip": bundled_pip,
    },
}))
"""


@dataclass(frozen=True)
class Interpreter:
    executable: str  # the interpreter itself, not a pyenv shim nor a venv's link to it
    version: str  # full, e.g. 3.11.7
    platform: str
    identity: dict | None = field(default=None, compare=False, hash=False)  # for venvbuild.build.build_key

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def probe(executable) -> Interpreter | None:
    """What executable really is, or None when it does not run (a pyenv shim without that version, say)."""
    try:
        done = subprocess.run([str(executable), "-c", _PROBE], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        info = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    # A venv's python (the helper's own, say) stands for its base interpreter: a venv made from it
    # records the base, and so does the `command` line of its pyvenv.cfg.
    real = info.get("base_executable") or info["executable"]
    return Interpreter(executable=real, version=info["version"], platform=info["platform"], identity=info.get("identity"))


def _candidates(minor: str) -> list[str]:
    names = [f"python{minor}"]
    found = [shutil.which(name) for name in names]
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found += sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{minor}.*", "bin", f"python{minor}")), reverse=True)
    found += [shutil.which("python3"), sys.executable]
    unique = []
    for path in found:
        if path and path not in unique:
            unique.append(path)
    return unique


def find(minor: str | None) -> Interpreter:
    """The interpreter for `3.N`; without a request, the one running the helper."""
    if minor is None:
        current = probe(sys.executable)
        if current is None:
            raise UsageError(f"cannot run the helper's own interpreter {sys.executable}")
        return current
    seen = []
    for path in _candidates(minor):
        interpreter = probe(path)
        if interpreter is None:
            continue
        if interpreter.minor == minor:
            return interpreter
        seen.append(f"{interpreter.version} ({path})")
    found = ", ".join(seen) if seen else "no working python3"
    raise UsageError(f"--python {minor}: no Python {minor} interpreter found on PATH or in pyenv; found {found}")
