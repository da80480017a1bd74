"""A local package index for the Jenkins steps' default helper install, as the Groovy end-to-end tests
use it: the venvbuild wheel built from this tree (as .ci/release-helper builds it), the lock's
dependencies for this Python and platform (downloaded once into a cache, hash-checked by pip), laid out
as a PEP 503 simple index, and the lock with the venvbuild entry pinned to this tree's wheel.

    PYTHONPATH=python python -m tests._support.helper_index --cache build/helper-index-cache --out DIR
    python -m http.server --bind 127.0.0.1 --directory DIR 0      # index: http://127.0.0.1:PORT/simple/
"""

import argparse
import hashlib
import html
import importlib.machinery
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from tests._support.processes import CHILD_TIMEOUT_S
from venvbuild_release import helper_lock

ROOT = Path(__file__).resolve().parents[3]


def release_module():
    loader = importlib.machinery.SourceFileLoader("release_helper", str(ROOT / ".ci" / "release-helper"))
    spec = importlib.util.spec_from_loader("release_helper", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def download_dependencies(lock_text: str, cache: Path) -> None:
    """pip download of every non-venvbuild entry, --require-hashes, wheels only, into cache."""
    cache.mkdir(parents=True, exist_ok=True)
    requirements = cache / "dependencies.txt"
    requirements.write_text(helper_lock.without_helper(lock_text), encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--require-hashes",
            "-r",
            str(requirements),
            "-d",
            str(cache),
        ],
        check=True,
        timeout=CHILD_TIMEOUT_S,
    )


def project_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return canonicalize_name(parse_wheel_filename(filename)[0])
    return canonicalize_name(parse_sdist_filename(filename)[0])


def write_index(files: Path, out: Path) -> None:
    projects = {}
    for path in sorted(files.iterdir()):
        if path.suffix in (".whl", ".gz", ".zip"):
            projects.setdefault(project_of(path.name), []).append(path)
    simple = out / "simple"
    for project, paths in projects.items():
        links = "".join(
            f'<a href="../../files/{html.escape(p.name)}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}">'
            f"{html.escape(p.name)}</a><br>\n"
            for p in paths
        )
        (simple / project).mkdir(parents=True, exist_ok=True)
        (simple / project / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    listing = "".join(f'<a href="{p}/">{p}</a><br>\n' for p in projects)
    (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{listing}</body></html>\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    lock_text = (ROOT / "resources" / "venvbuild" / "helper-lock.txt").read_text(encoding="utf-8")
    files = args.out / "files"
    files.mkdir(parents=True, exist_ok=True)
    wheel = release_module().build_wheel(files)
    tree_lock = helper_lock.with_helper_hash(lock_text, hashlib.sha256(wheel.read_bytes()).hexdigest())
    download_dependencies(lock_text, args.cache)
    for path in args.cache.iterdir():
        if path.suffix == ".whl":
            shutil.copyfile(path, files / path.name)
    write_index(files, args.out)
    (args.out / "helper-lock.txt").write_text(tree_lock, encoding="utf-8")
    print(args.out / "helper-lock.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
