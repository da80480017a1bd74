"""Child processes of the tests, each with a time limit: a hung child fails its test with one line
naming the command, instead of holding CI until its own limit.

pytest-timeout (pyproject.toml) bounds every test as a whole; these bound each child inside one.
"""

import os
import subprocess
import sys

import pytest

CHILD_TIMEOUT_S = 300.0  # a real build with uv or pip on a loaded 2-core machine takes well under a minute


def run(command, timeout: float = CHILD_TIMEOUT_S, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run with a timeout; text and captured output unless the caller says otherwise."""
    kwargs.setdefault("text", True)
    if "stdout" not in kwargs and "stderr" not in kwargs:
        kwargs.setdefault("capture_output", True)
    command = [str(part) for part in command]
    try:
        return subprocess.run(command, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired:
        pytest.fail(f"child process hung: {' '.join(command)} did not end within {timeout:g} s", pytrace=False)


def venvbuild(*args, env=None, timeout: float = CHILD_TIMEOUT_S, **kwargs) -> subprocess.CompletedProcess:
    """A real `venvbuild ARGS...` process (arguments may be paths); env: variables added to this one's."""
    return run([sys.executable, "-m", "venvbuild", *args], timeout=timeout, env={**os.environ, **(env or {})}, **kwargs)


def wait(process: subprocess.Popen, timeout: float = CHILD_TIMEOUT_S) -> int:
    """process.wait with a timeout; a process that outlives it is killed and fails the test."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
        pytest.fail(f"child process hung: {' '.join(map(str, process.args))} did not end within {timeout:g} s", pytrace=False)
