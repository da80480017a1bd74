"""Extracting a venv archive without trusting it: whatever its members say, nothing is written or read
outside the target folder.

Refused: absolute names, `..`, names outside the archive's root folder, a name given twice, hard links,
devices, FIFOs and sparse files, header extensions (long names, pax) larger than a path can be,
anything behind a symlink, and symlinks that resolve outside the target once all are in place (chains
included) — except `bin/python*` pointing straight at the base interpreter's folder, which a venv needs.
Files are created with O_EXCL | O_NOFOLLOW and given exact modes (0644, or 0755 when executable).
"""

import gzip
import os
import posixpath
import tarfile
from pathlib import Path
from typing import BinaryIO, Dict

from venvbuild.build.archive import BUILD_RECORD, RECORD_DIR
from venvbuild.errors import UsageError

ROOT = "venv"
_COPY = 1 << 20
_MAX_HEADER = 64 << 10  # a GNU long name or pax header larger than this is no path


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


def _open(fh: BinaryIO, compression: str):
    if compression == "zst":
        from venvbuild.build.archive import check_zstd

        stream = check_zstd().ZstdDecompressor().stream_reader(fh, read_size=_COPY)
    else:
        stream = gzip.GzipFile(fileobj=fh, mode="rb")  # reads our multi-member gzip
    return tarfile.open(fileobj=stream, mode="r|", tarinfo=_BoundedTarInfo)


def _relative(member: tarfile.TarInfo, source: str) -> str:
    """The member's path under the root folder, '' for the root itself; UnsafeArchive when it is not there."""
    name = member.name
    parts = name[:-1].split("/") if name.endswith("/") else name.split("/")
    if name.startswith("/") or ".." in parts or "" in parts or "." in parts or parts[0] != ROOT:
        raise UnsafeArchive(f"{source}: member {name!r} is outside the archive's {ROOT}/ folder; refusing to extract")
    return "/".join(parts[1:])


def is_base_interpreter_link(rel: str, target: str, base_home: str) -> bool:
    """The one link allowed to leave the venv: bin/python* straight to a file in the base interpreter's folder."""
    return (posixpath.dirname(rel) == "bin" and posixpath.basename(rel).startswith("python")
            and target.startswith("/") and posixpath.normpath(target) == target and "/.." not in target
            and posixpath.dirname(target) == posixpath.normpath(base_home))


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
    interpreters = {os.path.realpath(link) for rel, link in links.items()
                    if is_base_interpreter_link(rel, link, base_home)}
    for rel in links:
        resolved = os.path.realpath(target / rel)
        if resolved not in interpreters and resolved != root and not resolved.startswith(root + os.sep):
            raise UnsafeArchive(f"{source}: member {ROOT}/{rel} resolves to {resolved}, outside the venv; "
                                "refusing to extract")


def extract(archive: Path, compression: str, target: Path, base_home: str, source: str) -> Dict[str, str]:
    """Extract archive's venv/ folder into target, an empty folder that exists. source names the archive
    in messages. Returns what was extracted: venv-relative path -> 'file', 'dir' or 'symlink'."""
    links: Dict[str, str] = {}
    made: Dict[str, str] = {}
    with open(archive, "rb") as fh:
        try:
            with _open(fh, compression) as tar:
                for member in tar:
                    rel = _extract_member(tar, member, target, base_home, source, links, made)
                    if rel:
                        made[rel] = "symlink" if member.issym() else "dir" if member.isdir() else "file"
        except UsageError:
            raise
        except OSError as exc:
            if exc.filename is not None:  # writing into target
                raise UsageError(f"{source}: cannot extract {_inside(exc.filename, target)}: {exc.strerror}") from None
            raise UsageError(f"{source}: not a readable venv archive ({exc})") from None
        except Exception as exc:  # tarfile's, zlib's and zstandard's errors for a damaged stream
            raise UsageError(f"{source}: not a readable venv archive ({exc.__class__.__name__}: {exc})") from None
    _check_links_resolve_inside(target, links, base_home, source)
    return made


def _inside(path, target: Path) -> str:
    return os.path.relpath(path, target) if str(path).startswith(str(target)) else str(path)


def _extract_member(tar, member, target: Path, base_home: str, source: str, links: dict, made: dict) -> str:
    rel = _relative(member, source)
    if rel in made:
        raise UnsafeArchive(f"{source}: member {member.name!r} appears twice; refusing to extract")
    parents = rel.split("/")[:-1]
    if any("/".join(parents[: i + 1]) in links for i in range(len(parents))):
        raise UnsafeArchive(f"{source}: member {member.name!r} lies behind a symlink; refusing to extract")
    if rel.split("/")[0] == RECORD_DIR and not ((rel == RECORD_DIR and member.isdir())
                                                or (rel == BUILD_RECORD and member.isreg())):
        raise UnsafeArchive(f"{source}: member {member.name!r}: {ROOT}/{RECORD_DIR}/ holds only the build record; "
                            "refusing to extract")
    path = target / rel if rel else target
    if member.isdir():
        if rel:
            os.mkdir(path)
            os.chmod(path, 0o755)
    elif member.issym():
        _check_link_text(member, rel, base_home, source)
        os.symlink(member.linkname, path)
        links[rel] = member.linkname
    elif member.isreg() and member.type != tarfile.GNUTYPE_SPARSE and not member.sparse:
        _write(tar, member, path)
    else:
        what = ("hard link" if member.islnk() else "sparse file" if member.type == tarfile.GNUTYPE_SPARSE
                else "device, FIFO or special file")
        raise UnsafeArchive(f"{source}: member {member.name!r} is a {what}; refusing to extract")
    return rel


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> None:
    mode = 0o755 if member.mode & 0o111 else 0o644  # no setuid, setgid, sticky or group/other write
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(out.fileno(), mode)  # exactly, whatever the umask: verify compares modes
        data = tar.extractfile(member)
        assert data is not None  # a regular file
        while True:
            chunk = data.read(_COPY)
            if not chunk:
                break
            out.write(chunk)
