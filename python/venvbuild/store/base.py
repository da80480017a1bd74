from pathlib import Path
from typing import List, Optional


class ObjectExists(Exception):
    """A create-only write found the key already there."""


class ObjectStore:
    """The few operations publishing needs; keys are '/'-separated and relative to the store's root."""

    #: The builds' prefix, `venv-builds` by default; records go under `<prefix>-metadata/`.
    prefix: str

    def url(self, key: str) -> str:
        raise NotImplementedError

    def checksum(self, key: str) -> Optional[str]:
        """The sha256 (hex) of the object at key, or None when there is none."""
        raise NotImplementedError

    def put_new(self, key: str, path: Path, sha256: str) -> None:
        """Store the file at key only if key is absent (create-only); raise ObjectExists otherwise."""
        raise NotImplementedError

    def any_under(self, key_prefix: str) -> bool:
        """Whether any object's key starts with key_prefix."""
        raise NotImplementedError

    def read(self, key: str) -> Optional[bytes]:
        """The object at key, or None when there is none (for small objects: metadata.json)."""
        raise NotImplementedError

    def fetch(self, key: str, scratch: Path) -> Optional[Path]:
        """A local file holding the object at key, or None when there is none: the store's own file for a
        local store, else a download to scratch (which the caller removes)."""
        raise NotImplementedError

    def versions(self) -> List[str]:
        """The names of the folders under the builds' prefix (each a venv_version, maybe incomplete)."""
        raise NotImplementedError

    def keys_under(self, key_prefix: str) -> list:
        """Every key that starts with key_prefix (a folder, ending in '/'), in no particular order."""
        raise NotImplementedError

    def describe(self) -> str:
        """How to name this store in a message."""
        return self.url(self.prefix)

    # Layout, shared by every backend.
    def build_key(self, version: str, name: str) -> str:
        return f"{self.prefix}/{version}/{name}"

    def metadata_prefix(self) -> str:
        return f"{self.prefix}-metadata"

    def record_key(self, version: str, created_at: str) -> str:
        return f"{self.metadata_prefix()}/dt={created_at[:10]}/{version}.json"
