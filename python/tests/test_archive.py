import os
import subprocess
import tarfile

import pytest

from venvbuild import archive


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "venv"
    (root / "bin").mkdir(parents=True)
    (root / "lib" / "site-packages" / "pkg").mkdir(parents=True)
    (root / "lib" / "site-packages" / "pkg" / "__init__.py").write_text("x = 1\n")
    (root / "bin" / "tool").write_text("#!/bin/sh\necho hi\n")
    (root / "bin" / "tool").chmod(0o755)
    (root / "bin" / "python").symlink_to("/usr/bin/python3")
    (root / "lib64").symlink_to("lib")
    os.link(root / "bin" / "tool", root / "bin" / "tool-link")
    # More than one compression chunk, so the gzip stream has several members.
    (root / "lib" / "big.bin").write_bytes(os.urandom(1 << 20) * 20)
    return root


@pytest.mark.parametrize("compression", ["gz", "zst"])
def test_same_tree_same_bytes(tmp_path, tree, compression):
    if compression == "zst":
        pytest.importorskip("zstandard")
    first = archive.write(tree, tmp_path / f"a.tar.{compression}", compression)
    os.utime(tree / "bin" / "tool", (0, 1_700_000_000))  # mtimes must not matter
    second = archive.write(tree, tmp_path / f"b.tar.{compression}", compression)
    assert first == second
    assert (tmp_path / f"a.tar.{compression}").read_bytes() == (tmp_path / f"b.tar.{compression}").read_bytes()
    assert first[1] == (tmp_path / f"a.tar.{compression}").stat().st_size


def test_gzip_archive_is_read_by_tar_with_links_and_modes(tmp_path, tree):
    target = tmp_path / "venv_x.tar.gz"
    archive.write(tree, target, "gz")
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["tar", "-xzf", str(target), "-C", str(out)], check=True)
    assert (out / "venv" / "lib" / "big.bin").read_bytes() == (tree / "lib" / "big.bin").read_bytes()
    assert os.readlink(out / "venv" / "bin" / "python") == "/usr/bin/python3"
    assert os.readlink(out / "venv" / "lib64") == "lib"
    assert os.access(out / "venv" / "bin" / "tool", os.X_OK)
    with tarfile.open(target) as tar:
        link = tar.getmember("venv/bin/tool-link")
        assert link.isreg() and link.size == len("#!/bin/sh\necho hi\n")
        names = tar.getnames()
        assert names == sorted(names, key=lambda n: n.split("/"))
        assert not [n for n in names if n.startswith("venv/lib64/")], "a symlinked folder is not followed"
