"""What reaches the error line when the installer fails: the cause, not just "failed"."""

import pytest

from tests._support.processes import venvbuild
from tests._support.wheelhouse import make_wheelhouse
from venvbuild.build.install_failure import error_line

pytestmark = pytest.mark.build  # real builds with pip or uv

WRONG = "0" * 64


@pytest.mark.parametrize("installer, cause", [("uv", "Hash mismatch for `beta==1.0`"), ("pip", "DO NOT MATCH THE HASHES")])
def test_a_hash_mismatch_says_so_on_the_error_line(tmp_path, installer, cause):
    wheels = make_wheelhouse(tmp_path / "wheels")
    req = tmp_path / "requirements.txt"
    req.write_text(f"--no-index\n--find-links {wheels}\nbeta==1.0 --hash=sha256:{WRONG}\n")
    done = venvbuild(
        "build", "--requirements", req, "--env-name", "demo", "--installer", installer,
        "--store", tmp_path / "store", "--work-dir", tmp_path / "w", env={"UV_NO_CACHE": "1"},
    )  # fmt: skip
    assert done.returncode == 5, done.stderr
    [line] = [text for text in done.stderr.splitlines() if text.startswith("venvbuild: error: ")]
    assert cause in line, line


def test_uv_causes_in_either_spelling_join_the_error_line():
    older = [
        "Resolved 1 package in 2ms\n",
        "error: Failed to download `beta==1.0`\n",
        "  Caused by: Hash mismatch for `beta==1.0`\n",
        "\n",
        "Expected:\n",
    ]
    newer = [
        "error: Failed to download `beta==1.0`\n",
        "  cause: Hash mismatch for `beta==1.0`\n",
        "\n",
        "         Expected:\n",
        "           sha256:00\n",
    ]
    for lines in (older, newer):
        assert error_line(lines) == "error: Failed to download `beta==1.0`: Hash mismatch for `beta==1.0`"
    assert error_line(["Collecting x\n", "something broke\n", "\n"]) == "something broke"
