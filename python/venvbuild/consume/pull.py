"""`venvbuild pull`: a published build onto this machine, at any folder, checked, ready to run.

The archive is downloaded to a temporary file and checked against the build's metadata.json (size and
sha256) before anything is extracted, read through once (nothing written) so that its headers are held to
its own file list (build.json: each entry's type, size, mode, link target) and the destination's free
space to the total it declares, extracted safely into a temporary folder beside the destination (each
file's sha256 checked against build.json as it is written), relocated to the destination, checked again
(its python is the base interpreter and starts as this venv's), given a receipt, then renamed into place:
an interrupted or refused pull leaves no destination behind, and an existing one is replaced only when an
earlier pull wrote it, with --force. The temporary folder is named for its process (_util.tempnames):
the next pull beside it removes one whose process was killed.
"""

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Tuple

from venvbuild import __version__, naming
from venvbuild._util import tempnames
from venvbuild._util.checksum import sha256_file
from venvbuild._util.console import say
from venvbuild._util.signals import terminate_as_interrupt
from venvbuild.build import archive, interpreter, relocation
from venvbuild.consume import cache, extract
from venvbuild.consume.receipt import RECEIPT, read_receipt
from venvbuild.errors import StoreError, UsageError
from venvbuild.query import engine, local_search
from venvbuild.record import artifacts, metadata
from venvbuild.store import layout, stored_builds
from venvbuild.store.base import ObjectStore
from venvbuild.store.local import LocalStore, read_file

_SLACK_PER_ENTRY = 4096  # a file system's block and inode overhead per file, for the free-space check
_MAX_RELOCATED = 64 << 20  # a file listed for relocation larger than this is no script or config file


def find_build(store: ObjectStore, version: str | None = None, env_name: str | None = None, python: str | None = None) -> dict:
    """The metadata of version, or of env_name's newest build (for Python python, when given); one line
    naming what is unknown. Without python, builds of env_name for several Python versions are ambiguous:
    the newest of each is a different venv, and which one a job runs must not depend on build order."""
    if python is not None:
        naming.check("python_version", python, "--python")
    if version is not None:
        meta = stored_builds.read_build(store, version, "VERSION")
        if env_name is not None and meta["env_name"] != env_name:
            raise UsageError(f"{version} is a build of {meta['env_name']!r}, not of --env-name {env_name!r}")
        if python is not None and meta["python_version"] != python:
            raise UsageError(f"{version} is a build for Python {meta['python_version']}, not for --python {python}")
        return meta
    env = naming.check("env_name", env_name, "--env-name")
    newest = _newest_of_env(store, env, python)  # python_version -> its newest build of env
    if python is not None:
        if python in newest:
            return newest[python]
        others = _newest_of_env(store, env, None)
        found = f" (it has builds for Python {', '.join(sorted(others, key=_minor))})" if others else ""
        raise UsageError(f"--env-name {env} --python {python}: no build of that env for that Python in {store.describe()}{found}")
    if len(newest) > 1:
        raise UsageError(
            f"--env-name {env}: its builds are for several Python versions "
            f"({', '.join(sorted(newest, key=_minor))}); give --python to choose one"
        )
    if newest:
        return next(iter(newest.values()))
    raise UsageError(f"--env-name {env}: no build of that env in {store.describe()}")


def _minor(python_version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in python_version.split(".") if part.isdigit())


def _newest_of_env(store: ObjectStore, env_name: str, python: str | None) -> Dict[str, dict]:
    """python_version -> env_name's newest published build for it (only python's, when given), from the
    search records as search finds builds: a local store's search index when DuckDB is there (one query,
    then only the chosen builds' records are read), else the records themselves: newest day first until a
    day holds a build for python when it is given, every record otherwise (to see every Python version)."""
    if isinstance(store, LocalStore) and engine.available():
        indexed = local_search.newest_versions_by_python(store, env_name)
        if python is not None:
            indexed = {k: v for k, v in indexed.items() if k == python}
        found = {}
        for python_version, version in indexed.items():
            data = stored_builds.find_record(store, version)
            if data is None:
                break  # collected since it was indexed: read the records themselves
            meta = stored_builds.parse(data, store.url(layout.record_key(store, version)))
            if meta["venv_version"] != version or meta["env_name"] != env_name:
                break
            found[python_version] = meta
        else:
            return found
    if python is not None:
        chosen = stored_builds.newest(store, lambda m: m["env_name"] == env_name and m["python_version"] == python)
        return {python: chosen} if chosen is not None else {}
    newest: Dict[str, dict] = {}

    def skipped(exc) -> None:  # one damaged record must not hide every other
        say(f"warning: skipped: {exc}")

    for record, _ in stored_builds.records_with_digests(store, damaged=skipped):  # oldest first: the last is the newest
        if record["env_name"] == env_name:
            newest[record["python_version"]] = record
    return newest


def base_interpreter(meta: dict) -> str:
    """The real path of the base interpreter the venv links to: it must be here, at the same version."""
    home, full = meta["python_home"], meta["python_full_version"]
    if not home.startswith("/") or os.path.normpath(home) != home:
        raise UsageError(f"{meta['venv_version']}: python_home {home!r} is not an absolute, normalised path")
    seen = []
    for name in (f"python{meta['python_version']}", "python3", "python"):
        candidate = Path(home) / name
        if candidate.is_file():
            got = interpreter.probe(candidate)
            if got is not None and got.version == full:
                return os.path.realpath(candidate)
            seen.append(f"{candidate} is {got.version if got else 'not runnable'}")
    found = "; ".join(seen) or "nothing there"
    raise UsageError(
        f"{meta['venv_version']} needs Python {full} at {home} (the base interpreter it was built with, python_home); {found}"
    )


def check_destination(dest: Path, force: bool, parameter: str = "--dest", store: ObjectStore | None = None) -> Path:
    if not str(dest).strip():
        raise UsageError(f"{parameter} is empty: give the folder the venv goes to")
    try:
        str(dest).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(dest).decode("utf-8", "backslashreplace")
        raise UsageError(
            f"{parameter} {shown}: not valid UTF-8 (a byte shown as \\x..); the venv's scripts, "
            "activate and pyvenv.cfg hold its folder as UTF-8 text: give a UTF-8 path"
        ) from None
    dest = Path(os.path.abspath(dest))
    naming.check("dest", str(dest), parameter)
    if store is not None:
        _check_outside_store(store, dest, parameter)
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir() or dest.is_symlink():
            raise UsageError(f"{parameter} {dest}: exists and is not a folder")
        if any(dest.iterdir()):
            if not force:
                raise UsageError(f"{parameter} {dest}: exists and is not empty; give --force to replace it")
            if not (dest / RECEIPT).is_file():
                raise UsageError(
                    f"{parameter} {dest}: --force replaces only a venv that venvbuild pulled "
                    f"(with {RECEIPT}); this folder is something else"
                )
    parent = dest.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{parameter} {dest}: cannot create it here: {parent} is not a writable folder")
    return dest


def _check_outside_store(store: ObjectStore, dest: Path, parameter: str) -> None:
    """A pull never writes into a local store, nor replaces a folder that holds one."""
    if not isinstance(store, LocalStore):
        return
    real, root = os.path.realpath(dest), str(store.root)
    if real == root or real.startswith(root + os.sep):
        raise UsageError(f"{parameter} {dest}: inside the store {root}; pull to a folder outside it")
    if root.startswith(real + os.sep):
        raise UsageError(f"{parameter} {dest}: holds the store {root}; pull to a folder outside it")


def pull(
    store: ObjectStore,
    meta: dict,
    dest: Path,
    force: bool = False,
    parameter: str = "--dest",
    before_swap: Callable[[Path], None] | None = None,
) -> dict:
    """Pull meta's build to dest; returns the receipt. before_swap(venv) runs on the finished venv just
    before it is renamed into place (the cache seals it there)."""
    dest = check_destination(dest, force, parameter, store)
    _check_relocatable(meta)
    base = base_interpreter(meta)
    with terminate_as_interrupt():
        made: List[Path] = []
        work = None
        try:
            try:
                made = _make_parents(dest.parent)
                tempnames.remove_abandoned(dest.parent, cache.PULL_TEMP)  # what a killed pull left here
                work = tempnames.aside(dest.parent, cache.PULL_TEMP)  # its owner's pid: prune can tell a stray
                os.mkdir(work, 0o700)
            except OSError as exc:
                raise UsageError(f"{parameter} {dest}: cannot create a folder beside it: {exc.strerror}") from None
            root = _unpack(store, meta, work, dest, base)
            if before_swap is not None:
                before_swap(root)
            _swap_in(root, dest, work, force, parameter)
        except BaseException:
            if work is not None:
                tempnames.remove_tree(work)
                work = None
            _remove_empty(made)
            raise
        finally:
            if work is not None:
                tempnames.remove_tree(work)  # an entry replaced by pull_cached is read-only
    for rel in meta["relocation"]["binary_files"]:
        say(f"warning: {dest / rel}: a compiled file holds the build folder; it may not work here")
    return read_receipt(dest)


def pull_cached(
    store: ObjectStore, meta: dict, cache_dir: Path, hold_while: Path | None = None, hold_hours: float = 48.0
) -> Tuple[dict, bool]:
    """Pull meta's build into cache_dir/<archive sha256>, unless an earlier pull put it there and it is
    unchanged since (consume/cache.py: sealed, checked before every use); (receipt, whether it was
    reused). A changed entry is pulled again. With hold_while, the entry's lease is kept by a background
    process until that file is removed, so that prune leaves it alone while a job uses it."""
    if not str(cache_dir).strip():
        raise UsageError("--cache-dir is empty: give the folder pulled builds are kept in")
    root = Path(os.path.abspath(cache_dir))
    sha = meta["archive_sha256"]
    dest = root / sha
    check_destination(dest, force=True, parameter="--cache-dir", store=store)  # before anything is written
    try:
        lease = cache.take(cache.lock_path(root, f"{sha}.lease"), exclusive=False)
    except OSError as exc:
        raise UsageError(f"--cache-dir {root}: cannot lock it ({exc.strerror})") from None
    assert lease is not None
    try:
        os.utime(lease)  # the last use, for prune --keep-days
        with cache.held(cache.lock_path(root, f"{sha}.pull"), exclusive=True):
            reused = _usable(dest, meta)
            if not reused:
                if (dest / RECEIPT).is_file():  # changed, or another archive's: replaced as a whole
                    os.chmod(dest, 0o755)  # a read-only folder cannot be moved aside
                pull(store, meta, dest, force=(dest / RECEIPT).is_file(), parameter="--cache-dir", before_swap=cache.seal)
                cache.seal_root(dest)
        receipt = read_receipt(dest)
        if hold_while is not None:
            cache.hold_in_background(lease, hold_while, hold_hours)
    finally:
        os.close(lease)
    return receipt, reused


def _usable(dest: Path, meta: dict) -> bool:
    """Whether dest holds meta's build exactly as it was pulled: its seal's stat pass, or for an entry
    without a seal (pulled by an older helper) the full comparison with its file list, then sealed."""
    if not _cached(dest, meta):
        return False
    problem = cache.change(dest)
    if problem == "unsealed":
        from venvbuild.consume import verify

        found = verify.differences(dest)
        problem = found[0] if found else None
        if problem is None:
            os.chmod(dest, 0o755)
            os.chmod(dest / archive.RECORD_DIR, 0o755)
            (dest / cache.SEAL).unlink(missing_ok=True)
            cache.seal(dest)
            cache.seal_root(dest)
            return True
    if problem is not None:
        say(f"warning: {dest}: changed since it was pulled ({problem}); pulling it again")
        return False
    return True


def _cached(dest: Path, meta: dict) -> bool:
    try:
        receipt = read_receipt(dest)
    except UsageError:
        return False
    return receipt.get("archive_sha256") == meta["archive_sha256"] and receipt.get("dest") == str(dest)


class _DestinationTaken(UsageError):
    pass


def _check_relocatable(meta: dict) -> None:
    if meta.get("archive_format", 1) < 2 or not meta.get("relocation"):
        raise UsageError(
            f"{meta['venv_version']} was built by venvbuild {meta['venvbuild_version']}, whose archives "
            "are not relocatable; rebuild it to pull it"
        )


def _make_parents(parent: Path) -> List[Path]:
    made = []
    for folder in reversed([parent, *parent.parents]):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        made.append(folder)
    return made


def _remove_empty(made: List[Path]) -> None:
    """The folders this pull made, deepest first, each only while empty: another pull may be using one."""
    for folder in reversed(made):
        try:
            folder.rmdir()
        except OSError:
            return


def _unpack(store: ObjectStore, meta: dict, work: Path, dest: Path, base: str) -> Path:
    """The build, extracted and relocated for dest in work/venv; its receipt written."""
    compression = metadata.compression_of(meta)
    key = layout.artifact_key(store, meta["venv_version"], artifacts.archive_name(meta["venv_version"], compression))
    url = store.url(key)
    local = store.fetch(key, work / f"archive.tar.{compression}")
    if local is None:
        raise StoreError(f"{url}: the archive is missing although metadata.json lists it")
    _check_archive(local, meta, url)
    members, raw = extract.scan(local, compression, meta["python_home"], url)
    record, record_sha256 = _build_record(raw, meta, members, url)
    _check_space(work, record, dest)
    root = work / "venv"
    root.mkdir()
    os.chmod(root, 0o755)
    expected = {rel: entry["sha256"] for rel, entry in record["files"].items() if entry["type"] == "file"}
    expected[archive.BUILD_RECORD] = record_sha256
    extracted = extract.extract(local, compression, root, meta["python_home"], url, expected)
    local.unlink()
    relocated = _relocate(root, record, extracted, os.fsencode(str(dest)), url)
    _check_runs(root, base, meta["python_home"])
    receipt = {
        "venv_version": meta["venv_version"],
        "env_name": meta["env_name"],
        "archive_sha256": meta["archive_sha256"],
        "archive_url": url,
        "store": store.describe(),
        "dest": str(dest),
        "pulled_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python_full_version": meta["python_full_version"],
        "venvbuild_version": __version__,
        "build_record_sha256": record_sha256,
        "relocated": relocated,
    }
    fd = os.open(root / RECEIPT, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(receipt, indent=2, sort_keys=True) + "\n")
    return root


def _check_archive(path: Path, meta: dict, url: str) -> None:
    size, digest = path.stat().st_size, sha256_file(path)
    if size != meta["archive_size"] or digest != meta["archive_sha256"]:
        raise StoreError(
            f"{url}: {size} bytes with sha256 {digest}, but metadata.json says {meta['archive_size']} "
            f"bytes with sha256 {meta['archive_sha256']}: changed or damaged, nothing extracted"
        )


def _build_record(raw: bytes | None, meta: dict, members: Dict[str, extract.Member], url: str) -> Tuple[dict, str]:
    """The archive's build record, checked against metadata.json and against every member's header: the
    archive holds exactly what it lists, each file of the size and mode listed, each link to its target."""
    if raw is None:
        raise UsageError(f"{url}: no {archive.BUILD_RECORD} in the archive")
    try:
        record = json.loads(raw)
    except ValueError:
        raise UsageError(f"{url}: {archive.BUILD_RECORD} is not valid JSON") from None
    if not isinstance(record, dict) or not isinstance(record.get("files"), dict):
        raise UsageError(f"{url}: {archive.BUILD_RECORD} is not a build record")
    if record.get("relocation") != meta["relocation"]:
        raise UsageError(f"{url}: its {archive.BUILD_RECORD} does not match metadata.json's relocation")
    found = {rel: member for rel, member in members.items() if rel.split("/")[0] != archive.RECORD_DIR}
    for rel in sorted(set(record["files"]) | set(found)):
        if rel not in found or not _listed_as(record["files"].get(rel), found[rel]):
            raise UsageError(
                f"{url}: {archive.BUILD_RECORD} does not list what the archive holds (first: {rel}); refusing to extract"
            )
    return record, hashlib.sha256(raw).hexdigest()


def _listed_as(entry, member: extract.Member) -> bool:
    if not isinstance(entry, dict) or entry.get("type") != member.kind:
        return False
    if member.kind == "symlink":
        return entry.get("target") == member.target
    if member.kind == "file":
        return entry.get("size") == member.size and entry.get("mode") == member.mode and isinstance(entry.get("sha256"), str)
    return True


def _check_space(work: Path, record: dict, dest: Path) -> None:
    """Enough free space beside dest for what the build record declares, before a byte is written."""
    entries = record["files"].values()
    needed = sum(entry["size"] for entry in entries if entry["type"] == "file") + _SLACK_PER_ENTRY * len(entries)
    fs = os.statvfs(work)
    free = fs.f_bavail * fs.f_frsize
    if free < needed:
        raise UsageError(
            f"{dest}: the venv needs {needed} bytes (what its {archive.BUILD_RECORD} declares), "
            f"{free} are free in {dest.parent}; nothing extracted"
        )


def _relocate(root: Path, record: dict, extracted: Dict[str, str], dest: bytes, url: str) -> Dict[str, str]:
    """Write dest where the placeholder is, RECORD files last (they hash the others); sha256 of each file.
    Only files this pull extracted are touched: the record names them, it does not choose them."""
    changed: Dict[str, bytes] = {}
    for item in sorted(record["relocation"]["files"], key=lambda f: f["kind"] == relocation.RECORD):
        rel, kind = item["path"], item["kind"]
        if extracted.get(rel) != "file":
            raise extract.UnsafeArchive(f"{url}: relocation lists {rel!r}, not a file of the archive; refusing")
        path = root / rel
        if path.stat().st_size > _MAX_RELOCATED:
            raise extract.UnsafeArchive(f"{url}: relocation lists {rel!r}, too large for a script; refusing")
        data = relocation.from_placeholder(read_file(path), kind, dest)
        if kind == relocation.RECORD:
            data = relocation.rewrite_record(rel, data, changed) or data
        _rewrite(path, data)
        changed[rel] = data
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(changed.items())}


def _rewrite(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _check_runs(root: Path, base: str, home: str) -> None:
    """What a venv needs to start: bin/python is the base interpreter, and pyvenv.cfg names its folder.
    Checked, not run: running anything from the archive (a .pth file, say) before the pull is done is
    what this pull must not do."""
    python = root / "bin" / "python"
    if os.path.realpath(python) != base:
        raise extract.UnsafeArchive(f"{python}: is not the base interpreter {base}; refusing")
    try:
        config = (root / "pyvenv.cfg").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise UsageError(f"{root}: the archive's venv has no readable pyvenv.cfg") from None
    homes = [line.partition("=")[2].strip() for line in config.splitlines() if line.partition("=")[0].strip() == "home"]
    if not homes or os.path.realpath(homes[0]) != os.path.realpath(home):
        raise UsageError(f"{root}/pyvenv.cfg: home is {homes[0] if homes else 'missing'}, not python_home {home}")


def _swap_in(root: Path, dest: Path, work: Path, force: bool, parameter: str) -> None:
    replaced = work / "replaced"
    if dest.exists():
        if any(dest.iterdir()):
            if not force:
                raise _DestinationTaken(f"{parameter} {dest}: another process filled it meanwhile")
            os.rename(dest, replaced)
        else:
            dest.rmdir()
    try:
        os.rename(root, dest)
    except BaseException as exc:
        if replaced.exists() and not dest.exists():
            os.rename(replaced, dest)
        if isinstance(exc, OSError):
            raise _DestinationTaken(f"{parameter} {dest}: cannot put the venv there ({exc.strerror})") from None
        raise
