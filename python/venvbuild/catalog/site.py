"""Writing the catalog folder: only changed files written, the whole swapped in at once.

The new site is assembled in a temporary folder beside --out: files whose content is unchanged are hard
links to the current site's (no rewrite), the rest are written; then the current folder is renamed away
and the new one renamed into place. A failure before the swap leaves --out as it was. A marker file
(MARKER) lists what the catalog wrote, with each file's sha256 and, for pages, the digest of what they
were made from (so an unchanged page is not even rendered again); a non-empty --out without it is
refused, never overwritten.
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from venvbuild.errors import UsageError

MARKER = ".venvbuild-catalog.json"
# The records the catalog was made from, one JSON line each, so an update reads only new ones from the store.
RECORDS = ".venvbuild-catalog-records.jsonl"
KIND = "venvbuild catalog"


class Previous:
    """What the current catalog holds: path -> sha256, and path -> digest of its inputs."""

    def __init__(self, files=None, inputs=None):
        self.files = dict(files or {})
        self.inputs = dict(inputs or {})

    def unchanged(self, relative: str, inputs: str) -> bool:
        """Whether the page at relative was made from the same inputs (and is still there)."""
        return relative in self.files and self.inputs.get(relative) == inputs


def parse_marker(data: bytes, where: str) -> Previous:
    try:
        recorded = json.loads(data)
        if not isinstance(recorded, dict) or recorded.get("kind") != KIND or not isinstance(recorded.get("files"), dict):
            raise ValueError("not a catalog marker")
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"--out {where}: {MARKER} is damaged ({exc}); give an empty or new location") from None
    return Previous(recorded["files"], recorded.get("inputs") or {})


def marker(digests: dict, inputs: dict) -> bytes:
    return json.dumps({"kind": KIND, "files": digests, "inputs": inputs}, sort_keys=True).encode("utf-8")


class LocalSite:
    """A folder as the catalog's target (the S3 one is s3_site.S3Site)."""

    def __init__(self, out: Path):
        self.out = Path(out).absolute()
        self.where = str(out)

    def previous(self) -> Previous:
        """The catalog in out; empty when out is absent or empty; refuses any other folder."""
        if not self.out.exists():
            return Previous()
        if not self.out.is_dir():
            raise UsageError(f"--out {self.where}: not a folder")
        path = self.out / MARKER
        if not path.is_file():
            if any(self.out.iterdir()):
                raise UsageError(
                    f"--out {self.where}: the folder is not empty and was not written by venvbuild "
                    f"catalog (no {MARKER}); give an empty or new folder"
                )
            return Previous()
        return parse_marker(path.read_bytes(), self.where)

    def writer(self, previous: Previous) -> "_FolderWriter":
        return _FolderWriter(self.out, previous)

    def read(self, relative: str):
        try:
            return self.out.joinpath(*relative.split("/")).read_bytes()
        except FileNotFoundError:
            return None


class Writer:
    """What every target's writer keeps: each file's sha256 and inputs, and the counts to report."""

    def __init__(self, previous: Previous):
        self.previous = previous
        self.digests: dict = {}
        self.inputs: dict = {}
        self.counts = {"written": 0, "kept": 0, "removed": 0}

    def _note(self, relative: str, digest: str, inputs) -> None:
        self.digests[relative] = digest
        if inputs:
            self.inputs[relative] = inputs

    def _kept(self, relative: str, inputs) -> bool:
        self._note(relative, self.previous.files[relative], inputs)
        self.counts["kept"] += 1
        return True


class _FolderWriter(Writer):
    def __init__(self, out: Path, previous: Previous):
        super().__init__(previous)
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        self._folders: set = set()

    def _target(self, relative: str) -> Path:
        target = self.tmp.joinpath(*relative.split("/"))
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        return target

    def add(self, relative: str, data: bytes, inputs: str | None = None) -> None:
        digest = hashlib.sha256(data).hexdigest()
        self._note(relative, digest, inputs)
        target = self._target(relative)
        if self.previous.files.get(relative) == digest and _link(self.out.joinpath(*relative.split("/")), target):
            self.counts["kept"] += 1
            return
        try:
            handle = open(target, "xb")  # noqa: SIM115 (closed by the with below)
        except FileExistsError:  # linked from the current site a moment ago: never write through the link
            target.unlink()
            handle = open(target, "xb")  # noqa: SIM115
        with handle:
            handle.write(data)
        self.counts["written"] += 1

    def keep(self, relative: str, inputs: str | None = None) -> bool:
        """Take relative as it is from the current site; False when it cannot (then add it instead)."""
        if not _link(self.out.joinpath(*relative.split("/")), self._target(relative)):
            return False
        return self._kept(relative, inputs)

    def commit(self) -> dict:
        (self.tmp / MARKER).write_bytes(marker(self.digests, self.inputs))
        os.chmod(self.tmp, 0o755)  # mkdtemp's 0700 would hide the site from a web server's user
        _swap(self.tmp, self.out)
        self.counts["removed"] = len(set(self.previous.files) - set(self.digests))
        return self.counts

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def _link(existing: Path, target: Path) -> bool:
    try:
        os.link(existing, target)
        return True
    except OSError:  # gone, or another file system
        return False


def _swap(new: Path, out: Path) -> None:
    if not out.exists():
        os.rename(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, old / "site")
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old / "site", out)
        raise
    shutil.rmtree(old, ignore_errors=True)
