"""Writing a file so that a reader, or a crash, never sees it half written: the one way venvbuild does it.

The bytes go to a temporary name beside the target (venvbuild._util.tempnames: what a killed writer left
is removed by the next one), are flushed and fsync'ed, the name is put in place, and the folder is
fsync'ed so the name survives a crash too. Putting the name in place either replaces the target
(os.replace, for files venvbuild owns: metadata.json, state.json, an archive, the search index) or only
creates it (a hard link, which fails when the target exists: create-only, for a store's objects).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from venvbuild._util import tempnames

PART = ".part-"  # the temporary names' start; listings of a store leave such names out
_CHUNK = 1 << 20


def temp_beside(target: Path, part: str = PART) -> Path:
    """A fresh temporary name in target's folder, once what killed writers left there is removed."""
    folder = Path(target).parent
    tempnames.remove_abandoned(folder, part)
    return tempnames.aside(folder, part)


@contextmanager
def writing(target: Path, *, replace: bool = True, part: str = PART) -> Iterator[Path]:
    """A temporary path beside target for a writer that needs a path (an archive, a DuckDB file); put in
    place when the block ends without an error, removed in any case."""
    tmp = temp_beside(target, part)
    try:
        yield tmp
        commit(tmp, target, replace=replace)
    finally:
        _unlink(tmp)


def write_bytes(target: Path, data: bytes, *, replace: bool = True, mode: int = 0o666) -> None:
    """target holding data, all or nothing; FileExistsError when replace is False and target exists.
    mode is less the umask, as for any file the user's tools write."""
    target = Path(target)
    tmp = temp_beside(target)
    try:
        with _created(tmp, target, mode) as out:
            out.write(data)
        commit(tmp, target, replace=replace)
    finally:
        _unlink(tmp)


def copy_file(source: Path, target: Path, *, replace: bool = True, mode: int = 0o666) -> None:
    """target holding a copy of source, all or nothing; FileExistsError when replace is False and target
    exists."""
    target = Path(target)
    tmp = temp_beside(target)
    try:
        with _created(tmp, target, mode) as out, open(source, "rb") as src:
            while chunk := src.read(_CHUNK):
                out.write(chunk)
        commit(tmp, target, replace=replace)
    finally:
        _unlink(tmp)


def commit(tmp: Path, target: Path, *, replace: bool = True) -> None:
    """Put the finished file tmp in place as target: its bytes made durable first, then its name.
    With replace False the name is only created (FileExistsError when target exists) and tmp is left."""
    fsync_file(tmp)
    if replace:
        os.replace(tmp, target)
    else:
        os.link(tmp, target)
    fsync_dir(Path(target).parent)


def link_new(source: Path, target: Path) -> None:
    """target as a second name of source, a file nobody writes again, create-only (FileExistsError)."""
    commit(source, target, replace=False)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _created(tmp: Path, target: Path, mode: int):
    """tmp, created exclusively, written by the block and flushed to disk; an OSError names target when
    it names no file (a write() that finds the disk full)."""
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        exc.filename = exc.filename if exc.filename is not None and exc.filename != str(tmp) else str(target)
        raise


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
