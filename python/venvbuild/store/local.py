import os
import shutil
import tempfile
from pathlib import Path
from typing import List, Optional

from venvbuild.checksum import sha256_file
from venvbuild.errors import StoreError, UsageError
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

    def checksum(self, key: str) -> Optional[str]:
        path = self._path(key)
        return sha256_file(path) if path.is_file() else None

    def put_new(self, key: str, path: Path, sha256: str) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write aside, then hard-link into place: the link fails if the key exists (create-only),
            # and a reader never sees a partly written file.
            fd, tmp = tempfile.mkstemp(prefix=".part-", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                try:
                    os.link(tmp, target)
                except FileExistsError:
                    raise ObjectExists(key) from None
            finally:
                os.unlink(tmp)
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot write {key}: {exc.strerror or exc}") from exc

    def read(self, key: str) -> Optional[bytes]:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot read {key}: {exc.strerror or exc}") from exc

    def fetch(self, key: str, scratch: Path) -> Optional[Path]:
        # A copy, as from S3: what is checked is what is extracted, whatever happens to the store meanwhile.
        try:
            shutil.copyfile(self._path(key), scratch)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot read {key}: {exc.strerror or exc}") from exc
        return scratch

    def versions(self) -> List[str]:
        try:
            return sorted(os.listdir(self._path(self.prefix)))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"--store {self.root}: cannot list {self.prefix}: {exc.strerror or exc}") from exc

    def any_under(self, key_prefix: str) -> bool:
        path = self._path(key_prefix.rstrip("/"))
        return path.exists()

    def keys_under(self, key_prefix: str) -> list:
        top = self._path(key_prefix.rstrip("/"))
        found = []
        for folder, _, files in os.walk(top):
            relative = Path(folder).relative_to(self.root).as_posix()
            # `.part-*` files are publishes in progress, not objects yet.
            found.extend(f"{relative}/{name}" for name in files if not name.startswith(".part-"))
        return found

    def describe(self) -> str:
        return str(self.root)
