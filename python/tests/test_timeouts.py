"""No test can hold CI: a test that hangs fails in pytest-timeout's limit, and a child process that hangs
fails its test with one line naming the command (processes.py). Each runs a real pytest in a child."""

import sys
import time
from pathlib import Path

from tests._support.processes import run

PYTHON_DIR = Path(__file__).resolve().parents[1]  # where the tests package is


def pytest_in_child(tmp_path, body, *options):
    (tmp_path / "test_hang.py").write_text(body)
    started = time.monotonic()
    done = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            tmp_path,
            "-c",
            tmp_path / "empty.ini",
            *options,
            tmp_path / "test_hang.py",
        ],
        timeout=120,
        cwd=tmp_path,
    )
    return done, time.monotonic() - started


def test_a_hanging_test_fails_in_its_timeout(tmp_path):
    (tmp_path / "empty.ini").write_text("[pytest]\n")
    done, took = pytest_in_child(tmp_path, "import time\n\ndef test_sleeps_forever():\n    time.sleep(600)\n", "--timeout", "3")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Timeout" in done.stdout and "test_sleeps_forever" in done.stdout, done.stdout
    assert took < 60


def test_a_hung_child_fails_its_test_naming_the_command(tmp_path):
    (tmp_path / "empty.ini").write_text("[pytest]\n")
    body = (
        f"import sys\nsys.path.insert(0, {str(PYTHON_DIR)!r})\nfrom tests._support.processes import run\n\n"
        "def test_child_hangs():\n"
        "    run([sys.executable, '-c', 'import time; time.sleep(600)'], timeout=2)\n"
    )
    done, took = pytest_in_child(tmp_path, body, "--timeout", "60")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "child process hung:" in done.stdout and "time.sleep(600)" in done.stdout, done.stdout
    assert took < 50
