"""Reproducible, relocatable archives of a venv: the same venv gives the same bytes wherever it was built.

Entries are sorted, owners, modes and mtimes normalised, hard links stored as files, bytecode caches
(`__pycache__`) left out. The build folder's path is replaced by relocation.PLACEHOLDER in every text file
that holds it; those files, and compiled files that hold it (which cannot be rewritten), are listed in the
build record, `venv/.venvbuild/build.json`, the archive's last entry, beside every file's size and sha256
(what `venvbuild verify` compares with). gzip is written as independent members compressed on all cores
(any gzip reader, `tar -xzf` included, reads a multi-member stream); zstd uses its own threads.
"""

import hashlib
import io
import json
import os
import stat
import tarfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Dict, List, Sequence, Tuple

from venvbuild._util.console import say
from venvbuild.build import relocation
from venvbuild.errors import UsageError

# Bumped when the archive layout changes (2: relocatable, with the build record); part of a build's identity.
FORMAT_VERSION = 2
RECORD_DIR = ".venvbuild"
BUILD_RECORD = f"{RECORD_DIR}/build.json"
BYTECODE_CACHE = "__pycache__"
MTIME = 315532800  # 1980-01-01, the earliest time a zip (wheel) can hold; fixed so archives are reproducible
GZIP_LEVEL = 3  # level 6 takes 2.4 times the CPU for archives 9% smaller; zst is the choice for size
ZSTD_LEVEL = 3
_CHUNK = 8 << 20
_IN_MEMORY = 64 << 20  # files up to this size are read whole, once


class _HashingWriter:
    def __init__(self, fh):
        self.fh, self.digest, self.size = fh, hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.digest.update(data)
        self.size += len(data)


class _ParallelGzip:
    """A write-only file object: 8 MiB chunks, each a gzip member, compressed concurrently, written in order."""

    def __init__(self, out: _HashingWriter, level: int = GZIP_LEVEL):
        self.out, self.level = out, level
        self.pool = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1))
        self.pending: list = []
        self.buffer = bytearray()

    def _compress(self, data: bytes) -> bytes:
        # zlib's gzip header has mtime 0 and no file name: deterministic.
        c = zlib.compressobj(self.level, zlib.DEFLATED, 31)
        return c.compress(data) + c.flush()

    def write(self, data) -> int:
        self.buffer += data
        while len(self.buffer) >= _CHUNK:
            self._submit(bytes(self.buffer[:_CHUNK]))
            del self.buffer[:_CHUNK]
        return len(data)

    def _submit(self, chunk: bytes) -> None:
        self.pending.append(self.pool.submit(self._compress, chunk))
        while len(self.pending) > 2 * (os.cpu_count() or 1) or (self.pending and self.pending[0].done()):
            self.out.write(self.pending.pop(0).result())

    def close(self) -> None:
        if self.buffer or not self.pending:
            self._submit(bytes(self.buffer))
            self.buffer.clear()
        for future in self.pending:
            self.out.write(future.result())
        self.pending.clear()
        self.pool.shutdown()


def check_zstd():
    try:
        import zstandard
    except ImportError:
        raise UsageError("--compression zst needs the zstandard package: pip install 'venvbuild[zst]'") from None
    return zstandard


def _zstd_writer(out: _HashingWriter):
    zstandard = check_zstd()
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=-1, write_checksum=True)
    return compressor.stream_writer(out, closefd=False)


@dataclass
class Packed:
    sha256: str
    size: int
    #: metadata.json's `relocation`: the placeholder, the files holding it, compiled files holding the build path
    relocation: dict


@dataclass
class _Entry:
    path: Path
    rel: str  # relative to the venv, '/'-separated; '' for the venv itself
    kind: str  # dir, file, symlink
    mode: int  # as archived: 0755 or 0644 (0777 for a link)
    target: str = ""  # a symlink's
    found_mode: int = 0  # as found on disk


def walk(root: Path) -> List[_Entry]:
    """Everything under root in name order, each folder before its contents; symlinks are entries, never
    followed. Bytecode caches are left out; sockets, FIFOs and devices are left out with a warning."""
    found, stack = [], [(root, "")]
    while stack:
        path, rel = stack.pop()
        st = os.lstat(path)
        perm = stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            found.append(_Entry(path, rel, "symlink", 0o777, os.readlink(path), perm))
        elif stat.S_ISDIR(st.st_mode):
            found.append(_Entry(path, rel, "dir", 0o755, found_mode=perm))
            # A pulled venv's own record folder is not part of the venv.
            skip = {BYTECODE_CACHE, RECORD_DIR} if not rel else {BYTECODE_CACHE}
            children = sorted((n for n in os.listdir(path) if n not in skip), reverse=True)
            stack.extend((path / name, f"{rel}/{name}" if rel else name) for name in children)
        elif stat.S_ISREG(st.st_mode):
            found.append(_Entry(path, rel, "file", 0o755 if st.st_mode & 0o111 else 0o644, found_mode=perm))
        else:
            say(f"warning: {path}: not a file, folder or link (a socket or device?), left out of the archive")
    return found


def _relative_link(entry: _Entry, prefixes: Sequence[bytes]) -> str:
    """A link into the venv by its absolute build path, made relative so it survives a move."""
    for prefix in prefixes:
        target = entry.target.encode()
        if target == prefix or target.startswith(prefix + b"/"):
            inside = target[len(prefix) :].decode().lstrip("/")
            return os.path.relpath("/" + inside, "/" + os.path.dirname(entry.rel))
    return entry.target


class _Contents:
    """What goes in the archive besides the entries' headers: each file's final bytes, the relocation
    record and the file list. Files are read once, as they are archived."""

    def __init__(self, prefixes: Sequence[bytes]):
        self.prefixes = prefixes
        self.changed: Dict[str, bytes] = {}  # venv-relative path -> bytes with the placeholder
        self.kinds: Dict[str, str] = {}
        self.binary: List[str] = []
        self.files: Dict[str, dict] = {}

    def link(self, entry: _Entry) -> None:
        entry.target = _relative_link(entry, self.prefixes)
        self.files[entry.rel] = {"type": "symlink", "target": entry.target}

    def folder(self, entry: _Entry) -> None:
        if entry.rel:
            self.files[entry.rel] = {"type": "dir"}

    def file(self, entry: _Entry) -> Tuple[int, BinaryIO]:
        """(size, stream) of the file as archived, recording it."""
        if os.path.getsize(entry.path) > _IN_MEMORY:
            return self._large_file(entry)
        data = entry.path.read_bytes()
        if any(p in data for p in self.prefixes):
            if relocation.is_text(data):
                placed = relocation.to_placeholder(data, self.prefixes)
                assert placed is not None  # it holds a prefix
                kind, data = placed
                self.changed[entry.rel], self.kinds[entry.rel] = data, kind
            else:
                self.binary.append(entry.rel)
        self._list(entry, len(data), hashlib.sha256(data).hexdigest())
        return len(data), io.BytesIO(data)

    def _large_file(self, entry: _Entry) -> Tuple[int, BinaryIO]:
        """A large file is scanned, then streamed: never held in memory. Text that large is not a venv's
        own script, so a large file that holds the build path is only flagged."""
        digest, size, found, tail = hashlib.sha256(), 0, False, b""
        keep = max(len(p) for p in self.prefixes) - 1
        with open(entry.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                window = tail + chunk
                found = found or any(p in window for p in self.prefixes)
                tail = window[-keep:] if keep else b""
        if found:
            self.binary.append(entry.rel)
        self._list(entry, size, digest.hexdigest())
        return size, open(entry.path, "rb")

    def record(self, entry: _Entry) -> Tuple[int, BinaryIO]:
        """A distribution's RECORD, its hashes of rewritten files brought up to date. Called after every
        other file, so it knows them all."""
        data = entry.path.read_bytes()
        holds_prefix = relocation.to_placeholder(data, self.prefixes)  # an absolute path in a RECORD row
        data = holds_prefix[1] if holds_prefix else data
        new = relocation.rewrite_record(entry.rel, data, self.changed)
        if new is not None or holds_prefix:
            data = self.changed[entry.rel] = new if new is not None else data
            self.kinds[entry.rel] = relocation.RECORD
        self._list(entry, len(data), hashlib.sha256(data).hexdigest())
        return len(data), io.BytesIO(data)

    def _list(self, entry: _Entry, size: int, sha256: str) -> None:
        self.files[entry.rel] = {"type": "file", "mode": f"{entry.mode:o}", "size": size, "sha256": sha256}

    def relocation(self) -> dict:
        return {
            "placeholder": relocation.PLACEHOLDER.decode(),
            "files": [{"path": rel, "kind": self.kinds[rel]} for rel in sorted(self.kinds)],
            "binary_files": sorted(self.binary),
        }

    def build_record(self) -> bytes:
        record = {"archive_format": FORMAT_VERSION, "relocation": self.relocation(), "files": self.files}
        return (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


_TYPES = {"dir": tarfile.DIRTYPE, "file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE}
_GNU_MAGIC = tarfile.GNU_MAGIC
_OCTAL_12 = 8**11  # a size from here on is written in base 256: tarfile's business


def _header(name: str, kind: str, mode: int, size: int = 0, target: str = "") -> bytes:
    """The GNU tar header tarfile writes for this entry (uid and gid 0, no owner names, mtime MTIME), built
    directly when the name and link target fit their fields: tarfile's generic path is a third of the
    time it takes to archive a venv of small files."""
    if kind == "dir" and not name.endswith("/"):
        name += "/"
    raw_name = name.encode(tarfile.ENCODING, "surrogateescape")
    raw_target = target.encode(tarfile.ENCODING, "surrogateescape")
    if len(raw_name) > tarfile.LENGTH_NAME or len(raw_target) > tarfile.LENGTH_LINK or size >= _OCTAL_12:
        return _tarfile_header(name, kind, mode, size, target)
    block = bytearray(tarfile.BLOCKSIZE)
    block[0 : len(raw_name)] = raw_name
    block[100:108] = b"%07o\0" % (mode & 0o7777)
    block[108:124] = b"0000000\0" * 2  # uid, gid
    block[124:136] = b"%011o\0" % size
    block[136:148] = b"%011o\0" % MTIME
    block[148:156] = b" " * 8  # the checksum counts its own field as spaces
    block[156:157] = _TYPES[kind]
    block[157 : 157 + len(raw_target)] = raw_target
    block[257:265] = _GNU_MAGIC
    block[148:155] = b"%06o\0" % sum(block)
    return bytes(block)


def _tarfile_header(name: str, kind: str, mode: int, size: int = 0, target: str = "") -> bytes:
    info = tarfile.TarInfo(name)
    info.type = _TYPES[kind]
    info.mode, info.size, info.linkname = mode, size, target
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = MTIME
    return info.tobuf(tarfile.GNU_FORMAT, tarfile.ENCODING, "surrogateescape")


class _TarWriter:
    """A GNU tar stream, byte for byte what tarfile writes for the same entries, without its per-entry
    copies and 10 KiB writes: headers and small files are gathered and handed on in large pieces."""

    def __init__(self, stream):
        self.stream, self.buffer, self.offset = stream, bytearray(), 0

    def add(self, name: str, kind: str, mode: int, target: str = "") -> None:
        self._put(_header(name, kind, mode, target=target))

    def add_file(self, name: str, mode: int, size: int, data: BinaryIO) -> None:
        self._put(_header(name, "file", mode, size))
        with data:
            for chunk in iter(lambda: data.read(_CHUNK), b""):
                self._put(chunk)
        self._put(tarfile.NUL * (-size % tarfile.BLOCKSIZE))

    def _put(self, data: bytes) -> None:
        self.offset += len(data)
        if len(data) >= _CHUNK:
            self._flush()
            self.stream.write(data)
            return
        self.buffer += data
        if len(self.buffer) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self.stream.write(bytes(self.buffer))
            self.buffer.clear()

    def close(self) -> None:
        """Two zero blocks, then zeros to a whole record, as tarfile (and `tar -b20`) ends an archive."""
        self._put(tarfile.NUL * (2 * tarfile.BLOCKSIZE))
        self._put(tarfile.NUL * (-self.offset % tarfile.RECORDSIZE))
        self._flush()


def write(venv: Path, target: Path, compression: str, arcroot: str = "venv", prefixes: Sequence[str] = ()) -> Packed:
    """Archive venv as arcroot/ into target. prefixes: the paths the venv was built at besides its path
    as given and resolved, replaced by the placeholder in text files.

    Entries go in name order, except that the RECORD files of distributions come after all others (their
    hashes of rewritten files must be known), and the build record last."""
    venv = Path(venv)
    as_bytes = sorted({os.fsencode(p) for p in (*prefixes, str(venv), str(venv.resolve()))}, key=len, reverse=True)
    entries = walk(venv)
    contents = _Contents(as_bytes)
    records = [e for e in entries if e.kind == "file" and relocation.is_record(e.rel)]
    deferred = {e.rel for e in records}
    with open(target, "wb") as fh:
        out = _HashingWriter(fh)
        stream = _ParallelGzip(out) if compression == "gz" else _zstd_writer(out)
        tar = _TarWriter(stream)
        for entry in entries:
            name = f"{arcroot}/{entry.rel}" if entry.rel else arcroot
            if entry.kind == "dir":
                contents.folder(entry)
                tar.add(name, "dir", entry.mode)
            elif entry.kind == "symlink":
                contents.link(entry)
                tar.add(name, "symlink", entry.mode, target=entry.target)
            elif entry.rel not in deferred:
                tar.add_file(name, entry.mode, *contents.file(entry))
        for entry in records:
            tar.add_file(f"{arcroot}/{entry.rel}", entry.mode, *contents.record(entry))
        record = contents.build_record()
        tar.add(f"{arcroot}/{RECORD_DIR}", "dir", 0o755)
        tar.add_file(f"{arcroot}/{BUILD_RECORD}", 0o644, len(record), io.BytesIO(record))
        tar.close()
        stream.close()
    for rel in contents.binary:
        say(f"warning: {rel}: a compiled file holds the build path; it may not work once the venv is moved")
    return Packed(out.digest.hexdigest(), out.size, contents.relocation())
