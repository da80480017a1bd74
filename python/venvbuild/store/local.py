import errno
import os
import shutil
from pathlib import Path

from venvbuild._util import atomic
from venvbuild._util.checksum import sha256_file
from venvbuild.errors import StoreError, UsageError
from venvbuild.store import layout
from venvbuild.store.base import ObjectExists, ObjectStore

DEFAULT_PREFIX = "venv-builds"


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
        return self.root.joinpath(*key.split("/"))

    def url(self, key: str) -> str:
        return self._path(key).as_uri()

    def checksum(self, key: str) -> str | None:
        path = self._path(key)
        return sha256_file(path) if path.is_file() else None

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
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot read {key}: {exc.strerror or exc}") from exc

    def fetch(self, key: str, scratch: Path) -> Path | None:
        # A copy, as from S3: what is checked is what is extracted, whatever happens to the store meanwhile.
        try:
            shutil.copyfile(self._path(key), scratch)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot read {key}: {exc.strerror or exc}") from exc
        return scratch

    def versions(self) -> list[str]:
        try:
            return sorted(os.listdir(self._path(layout.builds_prefix(self).rstrip("/"))))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot list {self.prefix}: {exc.strerror or exc}") from exc

    def any_under(self, key_prefix: str) -> bool:
        path = self._path(key_prefix.rstrip("/"))
        return path.exists()

    def keys_under(self, key_prefix: str) -> list:
        folder, _, start = key_prefix.rpartition("/")
        base = self._path(folder) if folder else self.root
        found = []
        try:
            for dirpath, _dirnames, filenames in os.walk(base, onerror=_raise):
                relative = Path(dirpath).relative_to(self.root).as_posix()
                for name in filenames:
                    key = f"{relative}/{name}" if relative != "." else name
                    if key.startswith(key_prefix) and not name.startswith(atomic.PART):
                        found.append(key)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot list {key_prefix}: {exc.strerror or exc}") from exc
        return sorted(found)

    def delete(self, key: str) -> None:
        path = self._path(key)
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


def _raise(error: OSError) -> None:
    raise error


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

