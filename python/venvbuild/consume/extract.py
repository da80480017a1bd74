"""Extracting a venv archive without trusting it: whatever its members say, nothing is written or read
outside the target folder.

Refused: absolute names, `..`, names outside the archive's root folder, a name given twice, hard links,
devices, FIFOs and sparse files, header extensions (long names, pax) larger than a path can be,
anything behind a symlink, and symlinks that resolve outside the target once all are in place (chains
included) — except `bin/python*` pointing straight at the base interpreter's folder, which a venv needs.
Files are created with O_EXCL | O_NOFOLLOW and given exact modes (0644, or 0755 when executable).

Two passes over the archive. scan() reads it through, writing nothing: every member is checked as above
and the build record (the archive's last entry) is kept, so the caller can hold the headers against it
and check free space before a byte is written. extract() then writes, each file's size held to its header
and its sha256 to the build record as it is written. Both stop at the first decompressed byte past
MAX_RATIO times the archive's size: a small archive cannot make either read (or write) gigabytes.
"""

import gzip
import hashlib
import os
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Dict, Tuple

from venvbuild.build.archive import BUILD_RECORD, RECORD_DIR
from venvbuild.errors import UsageError

ROOT = "venv"
MAX_RATIO = 200  # decompressed bytes per archive byte; a venv's tar compresses 3 to 10 times
_MIN_BOUND = 16 << 20  # what even a tiny archive may decompress to
_COPY = 1 << 20
_MAX_HEADER = 64 << 10  # a GNU long name or pax header larger than this is no path
_MAX_RECORD = 256 << 20  # a build record larger than this lists no venv


class UnsafeArchive(UsageError):
    """The archive holds a member that could write outside the target."""


class _BoundedTarInfo(tarfile.TarInfo):
    """tarfile reads a long-name or pax header whole, at whatever size it claims: bound it."""

    def _proc_gnulong(self, tarfile_):
        self._bound()
        return super()._proc_gnulong(tarfile_)  # type: ignore[misc]  # private, not in typeshed

    def _proc_pax(self, tarfile_):
        self._bound()
        return super()._proc_pax(tarfile_)  # type: ignore[misc]

    def _bound(self):
        if self.size > _MAX_HEADER:
            raise tarfile.HeaderError(f"a {self.size}-byte header extension")


class _Bounded:
    """A decompressed stream that ends the extraction at its first byte past bound."""

    def __init__(self, stream, bound: int, source: str, size: int):
        self.stream, self.bound, self.source, self.size, self.read_so_far = stream, bound, source, size, 0

    def read(self, n: int = -1) -> bytes:
        data = self.stream.read(n if n is not None and n >= 0 else _COPY)
        self.read_so_far += len(data)
        if self.read_so_far > self.bound:
            raise UnsafeArchive(
                f"{self.source}: decompresses to more than {self.bound} bytes, {MAX_RATIO} times "
                f"its {self.size} bytes (a compression bomb?); refusing to extract"
            )
        return data


def bound_of(archive: Path) -> int:
    """How many bytes the archive may decompress to."""
    return max(MAX_RATIO * archive.stat().st_size, _MIN_BOUND)


def _open(fh: BinaryIO, compression: str, source: str = "", bound: int | None = None):
    if compression == "zst":
        from venvbuild.build.archive import check_zstd

        stream = check_zstd().ZstdDecompressor().stream_reader(fh, read_size=_COPY)
    else:
        stream = gzip.GzipFile(fileobj=fh, mode="rb")  # reads our multi-member gzip
    if bound is not None:
        stream = _Bounded(stream, bound, source, os.fstat(fh.fileno()).st_size)
    return tarfile.open(fileobj=stream, mode="r|", tarinfo=_BoundedTarInfo)


@dataclass(frozen=True)
class Member:
    """A member as its header describes it: what it will be once extracted."""

    kind: str  # file, dir, symlink
    size: int = 0
    mode: str = ""  # a file's, as extracted and as the build record writes it: "755" or "644"
    target: str = ""  # a symlink's


def _relative(member: tarfile.TarInfo, source: str) -> str:
    """The member's path under the root folder, '' for the root itself; UnsafeArchive when it is not there."""
    name = member.name
    parts = name[:-1].split("/") if name.endswith("/") else name.split("/")
    if name.startswith("/") or ".." in parts or "" in parts or "." in parts or parts[0] != ROOT:
        raise UnsafeArchive(f"{source}: member {name!r} is outside the archive's {ROOT}/ folder; refusing to extract")
    return "/".join(parts[1:])


def is_base_interpreter_link(rel: str, target: str, base_home: str) -> bool:
    """The one link allowed to leave the venv: bin/python* straight to a file in the base interpreter's folder."""
    return (
        posixpath.dirname(rel) == "bin"
        and posixpath.basename(rel).startswith("python")
        and target.startswith("/")
        and posixpath.normpath(target) == target
        and "/.." not in target
        and posixpath.dirname(target) == posixpath.normpath(base_home)
    )


def _check_link_text(member: tarfile.TarInfo, rel: str, base_home: str, source: str) -> None:
    target = member.linkname
    if is_base_interpreter_link(rel, target, base_home):
        return
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
        raise UnsafeArchive(f"{source}: member {member.name!r} links to {target!r}, outside the venv; refusing to extract")


def _check_links_resolve_inside(target: Path, links: Dict[str, str], base_home: str, source: str) -> None:
    """Once every link is in place: each resolves inside target (a chain of links too)."""
    root = os.path.realpath(target)
    interpreters = {os.path.realpath(link) for rel, link in links.items() if is_base_interpreter_link(rel, link, base_home)}
    for rel in links:
        resolved = os.path.realpath(target / rel)
        if resolved not in interpreters and resolved != root and not resolved.startswith(root + os.sep):
            raise UnsafeArchive(f"{source}: member {ROOT}/{rel} resolves to {resolved}, outside the venv; refusing to extract")


def scan(archive: Path, compression: str, base_home: str, source: str) -> Tuple[Dict[str, Member], bytes | None]:
    """The first pass: every member checked as extract() checks it, nothing written. Returns the members by
    venv-relative path and the build record's bytes (None when the archive has none)."""
    members: Dict[str, Member] = {}
    links: Dict[str, str] = {}
    record = None
    with _reading(archive, compression, source) as tar:
        for member in tar:
            rel = _check_member(member, base_home, source, links, members)
            if not rel:
                continue
            if member.issym():
                links[rel] = member.linkname
                members[rel] = Member("symlink", target=member.linkname)
            elif member.isdir():
                members[rel] = Member("dir")
            else:
                members[rel] = Member("file", member.size, _mode_of(member))
                if rel == BUILD_RECORD:
                    if member.size > _MAX_RECORD:
                        raise UnsafeArchive(f"{source}: its {BUILD_RECORD} is {member.size} bytes; refusing to extract")
                    data = tar.extractfile(member)
                    assert data is not None  # a regular file
                    record = data.read()
    return members, record


def extract(archive: Path, compression: str, target: Path, base_home: str, source: str, sha256: Dict[str, str]) -> Dict[str, str]:
    """Extract archive's venv/ folder into target, an empty folder that exists. source names the archive
    in messages; sha256: each file's, as the build record lists it (a file whose bytes differ stops the
    extraction there). Returns what was extracted: venv-relative path -> 'file', 'dir' or 'symlink'."""
    links: Dict[str, str] = {}
    made: Dict[str, str] = {}
    with _reading(archive, compression, source, target) as tar:
        for member in tar:
            rel = _extract_member(tar, member, target, base_home, source, links, made, sha256)
            if rel:
                made[rel] = "symlink" if member.issym() else "dir" if member.isdir() else "file"
    _check_links_resolve_inside(target, links, base_home, source)
    return made


class _reading:
    """The archive's tar stream, bounded; its errors as one line naming the archive (or the file written)."""

    def __init__(self, archive: Path, compression: str, source: str, target: Path | None = None):
        self.archive, self.compression, self.source, self.target = archive, compression, source, target

    def __enter__(self):
        self.fh = open(self.archive, "rb")
        try:
            self.tar = _open(self.fh, self.compression, self.source, bound_of(self.archive))
        except Exception as exc:
            self.fh.close()
            raise self._translated(exc) from None
        return self.tar

    def __exit__(self, kind, exc, tb):
        try:
            self.tar.close()
        except Exception:  # a damaged stream's close: the error that matters is the one below
            pass
        self.fh.close()
        if isinstance(exc, Exception) and not isinstance(exc, UsageError):
            raise self._translated(exc) from None
        return False

    def _translated(self, exc: Exception) -> Exception:
        if isinstance(exc, UsageError):
            return exc
        if isinstance(exc, OSError):
            if exc.filename is not None and self.target is not None:  # writing into target
                return UsageError(f"{self.source}: cannot extract {_inside(exc.filename, self.target)}: {exc.strerror}")
            return UsageError(f"{self.source}: not a readable venv archive ({exc})")
        # tarfile's, zlib's and zstandard's errors for a damaged stream
        return UsageError(f"{self.source}: not a readable venv archive ({exc.__class__.__name__}: {exc})")


def _inside(path, target: Path) -> str:
    return os.path.relpath(path, target) if str(path).startswith(str(target)) else str(path)


def _check_member(member, base_home: str, source: str, links: dict, seen) -> str:
    """The member's venv-relative path, once every check that needs no file system passed."""
    rel = _relative(member, source)
    if rel in seen:
        raise UnsafeArchive(f"{source}: member {member.name!r} appears twice; refusing to extract")
    parents = rel.split("/")[:-1]
    if any("/".join(parents[: i + 1]) in links for i in range(len(parents))):
        raise UnsafeArchive(f"{source}: member {member.name!r} lies behind a symlink; refusing to extract")
    if rel.split("/")[0] == RECORD_DIR and not (
        (rel == RECORD_DIR and member.isdir()) or (rel == BUILD_RECORD and member.isreg())
    ):
        raise UnsafeArchive(
            f"{source}: member {member.name!r}: {ROOT}/{RECORD_DIR}/ holds only the build record; refusing to extract"
        )
    if member.issym():
        _check_link_text(member, rel, base_home, source)
    elif not member.isdir() and not (member.isreg() and member.type != tarfile.GNUTYPE_SPARSE and not member.sparse):
        what = (
            "hard link"
            if member.islnk()
            else "sparse file"
            if member.type == tarfile.GNUTYPE_SPARSE
            else "device, FIFO or special file"
        )
        raise UnsafeArchive(f"{source}: member {member.name!r} is a {what}; refusing to extract")
    return rel


def _extract_member(
    tar, member, target: Path, base_home: str, source: str, links: dict, made: dict, sha256: Dict[str, str]
) -> str:
    rel = _check_member(member, base_home, source, links, made)
    path = target / rel if rel else target
    if member.isdir():
        if rel:
            os.mkdir(path)
            os.chmod(path, 0o755)
    elif member.issym():
        os.symlink(member.linkname, path)
        links[rel] = member.linkname
    else:
        if rel not in sha256:
            raise UnsafeArchive(f"{source}: member {member.name!r} is not in its {BUILD_RECORD}; refusing to extract")
        if _write(tar, member, path) != sha256[rel]:
            raise UnsafeArchive(
                f"{source}: member {member.name!r}: its sha256 is not the one its {BUILD_RECORD} lists; refusing to extract"
            )
    return rel


def _mode_of(member: tarfile.TarInfo) -> str:
    return "755" if member.mode & 0o111 else "644"  # no setuid, setgid, sticky or group/other write


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> str:
    """Write the member's bytes (as many as its header says, no more); their sha256."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), int(_mode_of(member), 8))  # exactly, whatever the umask: verify compares modes
        data = tar.extractfile(member)
        assert data is not None  # a regular file
        while True:
            chunk = data.read(_COPY)
            if not chunk:
                break
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()
