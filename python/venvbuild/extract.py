"""Extracting a venv archive without trusting it: whatever its members say, nothing is written outside
the target folder.

Refused: absolute names, `..`, names outside the archive's root folder, a name given twice, hard links,
devices and FIFOs, a symlink that leads outside the target (except `bin/python*` pointing at the base
interpreter's folder, which a venv needs), and anything written through a symlink. Files are created
with O_EXCL | O_NOFOLLOW, so not even a race with another process can make a write follow a link.
"""

import gzip
import os
import posixpath
import tarfile
from pathlib import Path
from typing import BinaryIO, Set

from venvbuild.errors import UsageError

ROOT = "venv"
_COPY = 1 << 20


class UnsafeArchive(UsageError):
    """The archive holds a member that could write outside the target."""


def _open(fh: BinaryIO, compression: str):
    if compression == "zst":
        from venvbuild.archive import check_zstd

        stream = check_zstd().ZstdDecompressor().stream_reader(fh, read_size=_COPY)
    else:
        stream = gzip.GzipFile(fileobj=fh, mode="rb")  # reads our multi-member gzip
    return tarfile.open(fileobj=stream, mode="r|")


def _relative(member: tarfile.TarInfo, source: str) -> str:
    """The member's path under the root folder, '' for the root itself; UnsafeArchive when it is not there."""
    name = member.name
    parts = name.rstrip("/").split("/")
    if name.startswith("/") or ".." in parts or "" in parts or "." in parts[1:] or parts[0] != ROOT:
        raise UnsafeArchive(f"{source}: member {name!r} is outside the archive's {ROOT}/ folder; refusing to extract")
    return "/".join(parts[1:])


def _check_link(member: tarfile.TarInfo, rel: str, base_home: str, source: str) -> None:
    target = member.linkname
    if target.startswith("/"):
        allowed = (posixpath.dirname(rel) == "bin" and posixpath.basename(rel).startswith("python")
                   and posixpath.normpath(posixpath.dirname(target)) == posixpath.normpath(base_home))
        if not allowed:
            raise UnsafeArchive(f"{source}: member {member.name!r} links to {target!r}, outside the venv; refusing to extract")
        return
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    if resolved == ".." or resolved.startswith("../") or resolved.startswith("/"):
        raise UnsafeArchive(f"{source}: member {member.name!r} links to {target!r}, outside the venv; refusing to extract")


def extract(archive: Path, compression: str, target: Path, base_home: str) -> None:
    """Extract archive's venv/ folder into target, an empty folder that exists."""
    source = str(archive)
    links: Set[str] = set()
    seen: Set[str] = set()
    with open(archive, "rb") as fh, _open(fh, compression) as tar:
        try:
            for member in tar:
                rel = _relative(member, source)
                if rel in seen:
                    raise UnsafeArchive(f"{source}: member {member.name!r} appears twice; refusing to extract")
                seen.add(rel)
                parents = rel.split("/")[:-1]
                if any("/".join(parents[: i + 1]) in links for i in range(len(parents))):
                    raise UnsafeArchive(f"{source}: member {member.name!r} lies behind a symlink; refusing to extract")
                path = target / rel if rel else target
                if member.isdir():
                    if rel:
                        os.mkdir(path, 0o755)
                elif member.issym():
                    _check_link(member, rel, base_home, source)
                    os.symlink(member.linkname, path)
                    links.add(rel)
                elif member.isreg():
                    _write(tar, member, path)
                else:
                    what = "hard link" if member.islnk() else "device, FIFO or special file"
                    raise UnsafeArchive(f"{source}: member {member.name!r} is a {what}; refusing to extract")
        except UsageError:
            raise
        except OSError as exc:
            if exc.filename is not None:  # writing into target
                raise UsageError(f"{exc.filename}: cannot write it: {exc.strerror}") from None
            raise UsageError(f"{source}: not a readable venv archive ({exc})") from None
        except Exception as exc:  # tarfile's, zlib's and zstandard's errors for a damaged stream
            raise UsageError(f"{source}: not a readable venv archive ({exc.__class__.__name__}: {exc})") from None


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> None:
    mode = 0o755 if member.mode & 0o111 else 0o644  # no setuid, setgid, sticky or group/other write
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as out:
        data = tar.extractfile(member)
        while True:
            chunk = data.read(_COPY)
            if not chunk:
                break
            out.write(chunk)
