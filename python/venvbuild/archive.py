"""Reproducible archives of a venv: the same tree gives the same bytes.

Entries are sorted, owners and mtimes normalised, hard links stored as files. gzip is written as
independent members compressed on all cores (any gzip reader, `tar -xzf` included, reads a
multi-member stream); zstd uses its own threads.
"""

import hashlib
import os
import stat
import tarfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, cast

from venvbuild.errors import UsageError

# Bumped when the archive layout changes (2: relocation record inside the archive); part of a build's identity.
FORMAT_VERSION = 2
MTIME = 315532800  # 1980-01-01, the earliest time a zip (wheel) can hold; fixed so archives are reproducible
GZIP_LEVEL = 6  # tarfile's default of 9 is three times slower for a few percent
ZSTD_LEVEL = 3
_CHUNK = 8 << 20


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


def _normalised(info: tarfile.TarInfo, arcname: str) -> tarfile.TarInfo:
    info.name = arcname
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = MTIME
    info.mode = stat.S_IMODE(info.mode)
    return info


def _entries(root: Path, arcroot: str):
    """(path, arcname) for root and everything under it, in name order, each folder before its contents;
    symlinks are entries, never followed."""
    stack = [(root, arcroot)]
    while stack:
        path, arcname = stack.pop()
        yield path, arcname
        if path.is_dir() and not path.is_symlink():
            children = sorted(os.listdir(path), reverse=True)
            stack.extend((path / name, f"{arcname}/{name}") for name in children)


def write(venv: Path, target: Path, compression: str, arcroot: str = "venv") -> tuple[str, int]:
    """Archive venv as arcroot/ into target; returns (sha256, size)."""
    with open(target, "wb") as fh:
        out = _HashingWriter(fh)
        stream = _ParallelGzip(out) if compression == "gz" else _zstd_writer(out)
        with tarfile.open(fileobj=cast(IO[bytes], stream), mode="w|", format=tarfile.GNU_FORMAT) as tar:
            for path, arcname in _entries(venv, arcroot):
                info = tar.gettarinfo(str(path), arcname)
                if info.islnk():  # a hard link in the venv (uv links from its cache): store the bytes
                    info.type = tarfile.REGTYPE
                    info.linkname = ""
                    info.size = path.stat().st_size
                info = _normalised(info, arcname)
                if info.isreg():
                    with open(path, "rb") as data:
                        tar.addfile(info, data)
                else:
                    tar.addfile(info)
        stream.close()
    return out.digest.hexdigest(), out.size
