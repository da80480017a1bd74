"""The pull cache shared by an agent's jobs (`venvbuild pull --cache-dir D`, `venvbuild cache prune`).

An entry, D/<archive sha256>, is sealed when it is pulled: every file and folder made read-only, and the
stat of each (type, mode, size, mtime, ctime, inode, link target) kept in .venvbuild/sealed.json. Before
every use, a pull compares the entry with its seal (a stat pass; ctime cannot be set back, so an edit,
even one that restores the mtime, shows); an entry without a seal is checked in full against its build's
file list (venvbuild verify). A changed entry is pulled again, never used.

Locks, in D/.venvbuild-locks/ (flock, released by the kernel when their holder dies):
  <sha>.lease  shared by each pull and by a use of the entry (a withVenv body: `pull --hold-while FILE`
               leaves a holder process with the lock until FILE is removed); its mtime is the last use.
               Prune takes it exclusive, without waiting, and skips an entry it cannot take.
  <sha>.pull   exclusive while one pull checks, pulls or repairs that entry.
  prune.lock   exclusive while a prune runs.
"""

import fcntl
import json
import os
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator

from venvbuild._util import tempnames
from venvbuild.build import archive

SEAL = f"{archive.RECORD_DIR}/sealed.json"
LOCKS = ".venvbuild-locks"
PULL_TEMP = ".venvbuild-pull-"
_TIMES_NOT_KEPT = {"", archive.RECORD_DIR}  # their times change when the seal is written and the entry renamed
# Variables by which Jenkins finds (and kills) what a step started; a holder must outlive the step.
_JENKINS_COOKIES = ("JENKINS_NODE_COOKIE", "BUILD_ID", "HUDSON_COOKIE", "JENKINS_SERVER_COOKIE")


# ---- locks -------------------------------------------------------------------------------------------


def lock_path(cache: Path, name: str) -> Path:
    return Path(cache) / LOCKS / name


def take(path: Path, exclusive: bool, wait: bool = True) -> int | None:
    """An open fd holding flock on path (created if absent); None when wait is False and it is held.
    A lock file prune removed while we waited is opened again, so two holders never hold different files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if wait else fcntl.LOCK_NB)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, flags)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)


@contextmanager
def held(path: Path, exclusive: bool) -> Iterator[int]:
    fd = take(path, exclusive)
    assert fd is not None
    try:
        yield fd
    finally:
        os.close(fd)


def hold_in_background(fd: int, while_exists: Path, max_hours: float) -> int:
    """Leave the lock fd holds with a detached process that keeps it while while_exists is there (at most
    max_hours): the lease of a withVenv body, released by removing the file. Returns the holder's pid."""
    while_exists = Path(os.path.abspath(while_exists))
    while_exists.parent.mkdir(parents=True, exist_ok=True)
    while_exists.write_text("venvbuild: the pulled venv is in use while this file exists\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in _JENKINS_COOKIES}
    holder = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "venvbuild",
            "-q",
            "cache",
            "hold",
            "--fd",
            str(fd),
            "--while-exists",
            str(while_exists),
            "--max-hours",
            str(max_hours),
        ],
        pass_fds=(fd,),
        start_new_session=True,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd="/",
    )
    return holder.pid


def wait_while_exists(fd: int, while_exists: Path, max_hours: float, poll_s: float = 0.5) -> None:
    """The holder's loop: keep fd (and its lock) open while the file is there."""
    deadline = time.monotonic() + max_hours * 3600
    while Path(while_exists).exists() and time.monotonic() < deadline:
        time.sleep(poll_s)
    os.close(fd)


# ---- sealing and checking ----------------------------------------------------------------------------


def _stat_all(root: Path) -> Dict[str, list]:
    """rel -> [type, mode, size, mtime_ns, ctime_ns, inode, link target] of everything under root
    (bytecode caches too: the seal admits none), the seal itself left out."""
    found: Dict[str, list] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        base = os.path.relpath(dirpath, root)
        base = "" if base == "." else base
        if not base:
            found[""] = ["dir", stat.S_IMODE(os.lstat(root).st_mode)]
        for name in dirnames + filenames:
            rel = f"{base}/{name}" if base else name
            if rel == SEAL:
                continue
            st = os.lstat(os.path.join(dirpath, name))
            kind = (
                "symlink"
                if stat.S_ISLNK(st.st_mode)
                else "dir"
                if stat.S_ISDIR(st.st_mode)
                else "file"
                if stat.S_ISREG(st.st_mode)
                else "other"
            )
            if rel in _TIMES_NOT_KEPT:
                found[rel] = [kind, stat.S_IMODE(st.st_mode)]
                continue
            target = os.readlink(os.path.join(dirpath, name)) if kind == "symlink" else ""
            found[rel] = [kind, stat.S_IMODE(st.st_mode), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, target]
    return found


def _read_only(path: str, st: os.stat_result) -> None:
    os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o222, follow_symlinks=False)


def seal(root: Path) -> None:
    """Make everything under root read-only and write its seal; root itself stays writable so that it
    can be renamed into place (seal_root after)."""
    root = Path(root)
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames + dirnames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if not stat.S_ISLNK(st.st_mode) and os.path.relpath(path, root) != archive.RECORD_DIR:
                _read_only(path, st)
    snapshot = _stat_all(root)
    snapshot[""][1] &= ~0o222
    snapshot[archive.RECORD_DIR][1] &= ~0o222
    fd = os.open(root / SEAL, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"entries": snapshot}, fh, sort_keys=True)
    record_dir = root / archive.RECORD_DIR
    _read_only(str(record_dir), os.lstat(record_dir))


def seal_root(root: Path) -> None:
    _read_only(str(root), os.lstat(root))


def change(root: Path) -> str | None:
    """None when root is exactly as sealed; else the first difference, one phrase
    ('changed: bin/zeta', 'added: ...', 'missing: ...'); 'unsealed' when it has no readable seal."""
    try:
        sealed = json.loads((Path(root) / SEAL).read_text(encoding="utf-8"))["entries"]
    except (OSError, ValueError, KeyError, TypeError):
        return "unsealed"
    now = _stat_all(Path(root))
    for rel in sorted(set(sealed) | set(now)):
        if rel not in now:
            return f"missing: {rel}"
        if rel not in sealed:
            return f"added: {rel}"
        if now[rel] != sealed[rel]:
            return f"changed: {rel or '.'}"
    return None


# ---- removing ----------------------------------------------------------------------------------------

# ---- prune -------------------------------------------------------------------------------------------


def _size(path: Path) -> int:
    """The bytes of the files under path (folders not counted)."""
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def _is_entry(path: Path) -> bool:
    return len(path.name) == 64 and all(c in "0123456789abcdef" for c in path.name) and path.is_dir() and not path.is_symlink()


def _last_use(cache: Path, path: Path) -> float:
    for candidate in (lock_path(cache, f"{path.name}.lease"), path):
        try:
            return candidate.stat().st_mtime
        except FileNotFoundError:
            continue
    return 0.0


def _evict(cache: Path, path: Path) -> bool:
    """Remove path if no pull or use holds it; False when one does."""
    lease = take(lock_path(cache, f"{path.name}.lease"), exclusive=True, wait=False)
    if lease is None:
        return False
    try:
        pulling = take(lock_path(cache, f"{path.name}.pull"), exclusive=True, wait=False)
        if pulling is None:
            return False
        try:
            # Out of sight at once (a killed prune leaves a stray that the next one removes), then deleted.
            aside = tempnames.aside(cache, PULL_TEMP)
            os.rename(path, aside)
            tempnames.remove_tree(aside)
            for suffix in (".lease", ".pull"):
                lock_path(cache, path.name + suffix).unlink(missing_ok=True)
        finally:
            os.close(pulling)
    finally:
        os.close(lease)
    return True


def _helper_in_use(tools: Path, tool: Path, exclusive: bool, wait: bool) -> int | None:
    return take(lock_path(tools, f"{tool.name}.lease"), exclusive=exclusive, wait=wait)


@contextmanager
def helper_lease(prefix: str = sys.prefix) -> Iterator[None]:
    """While a helper runs from a tool venv made by install-helper.sh (<root>/venvbuild-<version>-<key>),
    a shared lease on it, so that prune never removes the helper that is running; its mtime is the last use."""
    tool = Path(prefix)
    fd = None
    if tool.name.startswith("venvbuild-") and (tool / "bin" / "venvbuild-run").exists():
        try:
            fd = _helper_in_use(tool.parent, tool, exclusive=False, wait=True)
            if fd is not None:
                os.utime(fd)
        except OSError:  # a read-only tool root: no lease, prune cannot remove it either
            fd = None
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def prune(
    cache: Path,
    max_bytes: int | None = None,
    keep_days: float | None = None,
    helpers: Path | None = None,
    now: float | None = None,
) -> dict:
    """Evict pulled envs not used for keep_days, then the least recently used until the rest fit in
    max_bytes; stray pull folders of dead processes; helper tools in helpers not used for keep_days.
    Nothing in use is removed. One prune at a time: a second returns at once with skipped set."""
    cache = Path(os.path.abspath(cache))
    now = time.time() if now is None else now
    result: dict = {"cache_dir": str(cache), "removed": [], "in_use": [], "kept_bytes": 0, "freed_bytes": 0, "skipped": None}
    guard = take(lock_path(cache, "prune.lock"), exclusive=True, wait=False) if cache.is_dir() else -1
    if guard is None:
        result["skipped"] = "another prune of this cache is running"
        return result
    try:
        if guard >= 0:
            _prune_envs(cache, max_bytes, keep_days, now, result)
        if helpers is not None and keep_days is not None:
            _prune_helpers(Path(os.path.abspath(helpers)), keep_days, now, result)
    finally:
        if guard >= 0:
            os.close(guard)
    return result


def _prune_envs(cache: Path, max_bytes: int | None, keep_days: float | None, now: float, result: dict) -> None:
    _prune_strays(cache, result)
    entries = sorted((p for p in cache.iterdir() if _is_entry(p)), key=lambda p: _last_use(cache, p))
    sized = [(p, _size(p), _last_use(cache, p)) for p in entries]
    total = sum(size for _, size, _ in sized)
    for path, size, used in sized:  # least recently used first
        old = keep_days is not None and now - used > keep_days * 86400
        over = max_bytes is not None and total > max_bytes
        if not (old or over):
            continue
        if _evict(cache, path):
            total -= size
            _removed(result, "env", path, size, "unused for over --keep-days" if old else "over --max-bytes")
        else:
            result["in_use"].append(str(path))
    result["kept_bytes"] = total


def _removed(result: dict, kind: str, path: Path, size: int, reason: str) -> None:
    result["removed"].append({"kind": kind, "path": str(path), "bytes": size, "reason": reason})
    result["freed_bytes"] += size


def _prune_strays(cache: Path, result: dict) -> None:
    for path in sorted(cache.glob(PULL_TEMP + "*")):
        if tempnames.abandoned(path, PULL_TEMP):
            size = _size(path)
            tempnames.remove_tree(path)
            _removed(result, "stray", path, size, "left by a pull or prune that is no longer running")


def _prune_helpers(tools: Path, keep_days: float, now: float, result: dict) -> None:
    if not tools.is_dir():
        return
    for tool in sorted(tools.iterdir()):
        if not tool.name.startswith("venvbuild-") or not tool.is_dir() or tool.is_symlink():
            continue
        lease_file = lock_path(tools, f"{tool.name}.lease")
        used = (lease_file if lease_file.exists() else tool).stat().st_mtime
        if now - used <= keep_days * 86400:
            continue
        fd = _helper_in_use(tools, tool, exclusive=True, wait=False)
        if fd is None:
            result["in_use"].append(str(tool))
            continue
        try:
            size = _size(tool)
            aside = tempnames.aside(tools, f".{tool.name}.pruned-")
            os.rename(tool, aside)
            tempnames.remove_tree(aside)
            lease_file.unlink(missing_ok=True)
            _removed(result, "helper", tool, size, "unused for over --keep-days")
        finally:
            os.close(fd)
