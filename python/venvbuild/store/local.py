"""A directory as a store. One rule for every operation: nothing below the store's root is reached through a
symbolic link. A store holds no links (publish never makes one), so a link where a build folder, a record
or any object belongs is damage or a plant: listings leave it out with one warning line naming it, an
operation on a key whose path passes through it is refused (read, write) or skipped with that warning
(delete), and nothing is ever deleted through it. The store's root itself may be a link (it is resolved once).
"""

import errno
import os
import shutil
import stat
from pathlib import Path
from typing import Iterator, List, Tuple

from venvbuild._util import atomic
from venvbuild._util.checksum import sha256_file
from venvbuild._util.console import say
from venvbuild.errors import StoreError, UsageError
from venvbuild.store import layout
from venvbuild.store.base import ObjectExists, ObjectStore

DEFAULT_PREFIX = "venv-builds"
_warned: set = set()


class LinkInStore(StoreError):
    """A key's path passes through a symbolic link below the store's root."""

    def __init__(self, path: Path):
        super().__init__(f"{path}: a symbolic link in the store; not followed (a store holds no links: remove it)")
        self.path = path


def warn_link(path) -> None:
    """The one line that reports a link in a store, once per path and process."""
    if str(path) not in _warned:
        _warned.add(str(path))
        say(
            f"warning: {path}: a symbolic link in the store, left alone (never followed or deleted through; "
            "a store holds no links: remove it)"
        )


def listing(folder) -> List[os.DirEntry]:
    """The entries of a store's folder, sorted by name, links left out (each warned about once); [] when the
    folder is absent or is itself a link."""
    if os.path.islink(folder):
        warn_link(folder)
        return []
    try:
        with os.scandir(folder) as entries:
            found = []
            for entry in entries:
                if entry.is_symlink():
                    warn_link(entry.path)
                else:
                    found.append(entry)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(found, key=lambda e: e.name)


def read_file(path) -> bytes:
    """path's bytes, never through a link at its last step (ELOOP if it is one)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def walk(folder) -> Iterator[Tuple[str, List[os.DirEntry]]]:
    """(folder path, its files) for folder and every folder below it, without following a link."""
    entries = listing(folder)
    yield str(folder), [e for e in entries if e.is_file(follow_symlinks=False)]
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from walk(entry.path)


class LocalStore(ObjectStore):
    """A directory laid out like the S3 bucket: `<root>/venv-builds/venv_<version>/...`."""

    def __init__(self, root, prefix: str = DEFAULT_PREFIX):
        if not str(root).strip():
            raise UsageError("--store is empty: give a directory or s3://BUCKET/PREFIX")
        self.root = Path(root).expanduser().resolve()
        self.prefix = prefix
        if self.root.exists() and not self.root.is_dir():
            raise UsageError(f"--store {root}: not a directory")

    def _path(self, key: str) -> Path:
        """key's path; LinkInStore when it, or a folder on the way to it, is a symbolic link."""
        path = self.root
        for part in key.split("/"):
            path = path / part
            try:
                mode = os.lstat(path).st_mode
            except (FileNotFoundError, NotADirectoryError):
                return self.root.joinpath(*key.split("/"))
            if stat.S_ISLNK(mode):
                raise LinkInStore(path)
        return path

    def url(self, key: str) -> str:
        return self._path(key).as_uri()

    def checksum(self, key: str) -> str | None:
        path = self._path(key)
        return sha256_file(path) if path.is_file() else None

    def last_change(self, key_prefix: str) -> float | None:
        # The folder's own time too: a file being written aside (.part-) changes it when it is created.
        path = self._path(key_prefix.rstrip("/"))
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        times = [st.st_mtime]
        if stat.S_ISDIR(st.st_mode):
            for folder, files in walk(path):
                times += [os.lstat(folder).st_mtime] + [entry.stat(follow_symlinks=False).st_mtime for entry in files]
        return max(times)

    def put_new(self, key: str, path: Path, sha256: str, movable: bool = False) -> None:
        target = self._path(key)
        try:
            _make_dirs(target.parent)
            if movable and _link_in_place(path, target, key):
                return
            # Create-only: the name is linked to a finished copy and fails if the key exists; a reader
            # never sees a partly written file. 0o666 less the umask, like any file the user's tools
            # write: a store shared by a group stays readable.
            atomic.copy_file(path, target, replace=False, mode=0o666)
        except FileExistsError:
            raise ObjectExists(key) from None
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot write {key}: {exc.strerror or exc}") from exc

    def read(self, key: str) -> bytes | None:
        try:
            return read_file(self._path(key))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot read {key}: {exc.strerror or exc}") from exc

    def fetch(self, key: str, scratch: Path) -> Path | None:
        # A copy, as from S3: what is checked is what is extracted, whatever happens to the store meanwhile.
        try:
            fd = os.open(self._path(key), os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as src, open(scratch, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot read {key}: {exc.strerror or exc}") from exc
        return scratch

    def versions(self) -> list[str]:
        try:
            return [entry.name for entry in listing(self._path(layout.builds_prefix(self).rstrip("/")))]
        except LinkInStore as exc:
            warn_link(exc.path)
            return []
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot list {self.prefix}: {exc.strerror or exc}") from exc

    def any_under(self, key_prefix: str) -> bool:
        try:
            return os.path.lexists(self._path(key_prefix.rstrip("/")))
        except LinkInStore:
            return True  # a link holds the name: it is taken

    def keys_under(self, key_prefix: str) -> list:
        folder, _, start = key_prefix.rpartition("/")
        found = []
        try:
            base = self._path(folder) if folder else self.root
            for dirpath, files in walk(base):
                relative = Path(dirpath).relative_to(self.root).as_posix()
                for entry in files:
                    key = f"{relative}/{entry.name}" if relative != "." else entry.name
                    if key.startswith(key_prefix) and not entry.name.startswith(atomic.PART):
                        found.append(key)
        except LinkInStore as exc:
            warn_link(exc.path)
            return []
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot list {key_prefix}: {exc.strerror or exc}") from exc
        return sorted(found)

    def delete(self, key: str) -> None:
        try:
            path = self._path(key)
        except LinkInStore as exc:
            warn_link(exc.path)
            return
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot delete {key}: {exc.strerror or exc}") from exc
        # Empty folders are no objects in S3 either; a build folder left empty would still claim its version.
        for parent in path.parents:
            if parent == self.root:
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def describe(self) -> str:
        return str(self.root)


def _link_in_place(path: Path, target: Path, key: str) -> bool:
    """Link a file the caller gives up (a temporary build's archive) into place instead of copying it:
    the archive is not written to disk twice. False when the store is on another file system (or one
    without hard links): then it is copied."""
    try:
        atomic.link_new(path, target)
    except FileExistsError:
        raise ObjectExists(key) from None
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            return False
        raise
    return True


def _make_dirs(folder: Path) -> None:
    """mkdir -p, each new folder's entry made durable in its parent."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir()
        except FileExistsError:
            continue
        atomic.fsync_dir(new.parent)
