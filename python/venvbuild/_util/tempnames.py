"""Files (or folders) written aside and renamed into place: their names, and removing those a killed process left.

A name is `<prefix><host>-<pid>-<random>[suffix]`, so a later process can tell a file still being written
(its process is alive) from one abandoned by a process that was killed.
"""

import os
import secrets
import shutil
import socket
import stat
import time
from pathlib import Path

_HOST = socket.gethostname().replace("-", "_") or "localhost"
ABANDONED_AFTER_S = 24 * 3600  # another host's file (a shared folder), or one without a pid: left alone until then


def aside(folder: Path, prefix: str) -> Path:
    return Path(folder) / f"{prefix}{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"


def remove_tree(path: Path) -> None:
    """rmtree for a read-only tree (a sealed cache entry, a killed pull's folder): folders made writable
    again first (a read-only folder's entries cannot be removed), links never followed. Gone already is fine."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if path.is_dir() and not path.is_symlink():
        for dirpath, dirnames, _ in os.walk(path):
            try:
                os.chmod(dirpath, stat.S_IMODE(os.lstat(dirpath).st_mode) | 0o700)
            except OSError:
                pass
            dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink()


def remove_abandoned(folder: Path, prefix: str) -> None:
    """Remove what prefix names in folder and a dead process left: a file or link, or a folder with all it
    holds (never following a link)."""
    for path in Path(folder).glob(prefix + "*"):
        try:
            st = os.lstat(path)
            if _abandoned(st, path.name[len(prefix) :]):
                remove_tree(path)
        except OSError:  # best effort: what cannot be removed (another user's) must not stop this process
            pass


def abandoned(path: Path, prefix: str) -> bool:
    """Whether path (named by aside(folder, prefix)) was left by a process that is gone."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    return _abandoned(st, Path(path).name[len(prefix) :])


def _abandoned(st: os.stat_result, tag: str) -> bool:
    fields = tag.split("-")
    if len(fields) == 3 and fields[0] == _HOST and fields[1].isdigit():
        return not _alive(int(fields[1]))
    return time.time() - st.st_mtime > ABANDONED_AFTER_S


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
