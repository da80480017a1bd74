import hashlib
import tempfile
from pathlib import Path


class ObjectExists(Exception):
    """A create-only write found the key already there."""


class ObjectStore:
    """The few operations publishing needs; keys are '/'-separated and relative to the store's root."""

    #: The builds' prefix, `venv-builds` by default; every key derived from it is in venvbuild.store.layout.
    prefix: str

    def url(self, key: str) -> str:
        raise NotImplementedError

    def checksum(self, key: str) -> str | None:
        """The sha256 (hex) of the object at key, or None when there is none."""
        raise NotImplementedError

    def put_new(self, key: str, path: Path, sha256: str, movable: bool = False) -> None:
        """Store the file at key only if key is absent (create-only); raise ObjectExists otherwise.
        movable: the caller never writes to path again, so a store may keep the file itself, not a copy."""
        raise NotImplementedError

    def any_under(self, key_prefix: str) -> bool:
        """Whether any object's key starts with key_prefix."""
        raise NotImplementedError

    def read(self, key: str) -> bytes | None:
        """The object at key, or None when there is none (for small objects: metadata.json)."""
        raise NotImplementedError

    def fetch(self, key: str, scratch: Path) -> Path | None:
        """A local file holding the object at key, or None when there is none: the store's own file for a
        local store, else a download to scratch (which the caller removes)."""
        raise NotImplementedError

    def versions(self) -> list[str]:
        """The names of the folders under the builds' prefix (each a venv_version, maybe incomplete)."""
        raise NotImplementedError

    def keys_under(self, key_prefix: str) -> list:
        """Every key that starts with key_prefix (a folder ending in '/', or any start of a key), sorted."""
        raise NotImplementedError

    def last_change(self, key_prefix: str) -> float | None:
        """When an object under key_prefix (a key, or a folder without its trailing '/') was last written, as
        seconds since the epoch, writes under way included where the backend shows them; None when none is."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        """Remove the object at key; an absent key is no error (a resumed collection deletes again)."""
        raise NotImplementedError

    def put_new_bytes(self, key: str, data: bytes) -> None:
        """put_new for a small object held in memory; raise ObjectExists when key is taken."""
        with tempfile.TemporaryDirectory(prefix="venvbuild-put-") as tmp:
            path = Path(tmp, "object")
            path.write_bytes(data)
            self.put_new(key, path, hashlib.sha256(data).hexdigest())

    def describe(self) -> str:
        """How to name this store in a message."""
        return self.url(self.prefix)
