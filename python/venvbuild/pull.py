"""`venvbuild pull`: a published build onto this machine, at any folder, checked, ready to run.

The archive is checked against the build's metadata.json (size and sha256) before anything is extracted,
extracted safely into a temporary folder beside the destination, relocated to the destination, checked
again (its python starts), given a receipt, then renamed into place: an interrupted or refused pull
leaves no destination behind, and an existing one is replaced only with --force.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Optional, Tuple

from venvbuild import __version__, archive, artifacts, extract, interpreter, metadata, naming, relocation
from venvbuild.checksum import sha256_file
from venvbuild.console import say
from venvbuild.errors import StoreError, UsageError
from venvbuild.signals import terminate_as_interrupt
from venvbuild.store.base import ObjectStore

RECEIPT = f"{archive.RECORD_DIR}/pulled.json"


def find_build(store: ObjectStore, version: Optional[str] = None, env_name: Optional[str] = None) -> dict:
    """The metadata of version, or of env_name's newest build; one line naming what is unknown."""
    if version is not None:
        naming.check("venv_version", version, "VERSION")
        meta = _read_metadata(store, version)
        if meta is None:
            raise UsageError(f"{version}: no such build in {store.describe()}")
        if env_name is not None and meta["env_name"] != env_name:
            raise UsageError(f"{version} is a build of {meta['env_name']!r}, not of --env-name {env_name!r}")
        return meta
    naming.check("env_name", env_name, "--env-name")
    for candidate in reversed(store.versions()):
        if candidate.startswith("venv_"):
            meta = _read_metadata(store, candidate)
            if meta is not None and meta["env_name"] == env_name:
                return meta
    raise UsageError(f"--env-name {env_name}: no build of that env in {store.describe()}")


def _read_metadata(store: ObjectStore, version: str) -> Optional[dict]:
    key = store.build_key(version, artifacts.METADATA)
    raw = store.read(key)
    if raw is None:
        return None
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise StoreError(f"{store.url(key)}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise StoreError(f"{store.url(key)}: not a JSON object")
    return metadata.validate(meta, store.url(key))


def check_base_interpreter(meta: dict) -> None:
    """The venv's python links to its base interpreter: it must be here, at the same version."""
    home, full = meta["python_home"], meta["python_full_version"]
    seen = []
    for name in (f"python{meta['python_version']}", "python3", "python"):
        candidate = Path(home) / name
        if candidate.exists():
            got = interpreter.probe(candidate)
            if got is not None and got.version == full:
                return
            seen.append(f"{candidate} is {got.version if got else 'not runnable'}")
    found = "; ".join(seen) or "nothing there"
    raise UsageError(f"{meta['venv_version']} needs Python {full} at {home} (the base interpreter it was built "
                     f"with, python_home); {found}")


def check_destination(dest: Path, force: bool) -> Path:
    dest = Path(os.path.abspath(dest))
    naming.check("dest", str(dest), "--dest")
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir() or dest.is_symlink():
            raise UsageError(f"--dest {dest}: exists and is not a folder")
        if any(dest.iterdir()) and not force:
            raise UsageError(f"--dest {dest}: exists and is not empty; give --force to replace it")
    parent = dest.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--dest {dest}: cannot create it here: {parent} is not a writable folder")
    return dest


def pull(store: ObjectStore, meta: dict, dest: Path, force: bool = False) -> dict:
    """Pull meta's build to dest; returns the receipt."""
    dest = check_destination(dest, force)
    _check_relocatable(meta)
    check_base_interpreter(meta)
    with terminate_as_interrupt():
        made = _make_parents(dest.parent)
        work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.pull-", dir=dest.parent))
        try:
            root = _unpack(store, meta, work, dest)
            _swap_in(root, dest, work, force)
        except BaseException:
            for folder in reversed(made):
                shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return read_receipt(dest)


def pull_cached(store: ObjectStore, meta: dict, cache: Path) -> Tuple[dict, bool]:
    """Pull meta's build into cache/<archive sha256>, unless an earlier pull put it there;
    (receipt, whether it was there already). Concurrent pulls of one build: the first rename wins."""
    dest = Path(os.path.abspath(cache)) / meta["archive_sha256"]
    if _cached(dest, meta):
        return read_receipt(dest), True
    if dest.exists() and any(dest.iterdir()):
        say(f"{dest}: no receipt for {meta['archive_sha256']}, pulling it again")
        return pull(store, meta, dest, force=True), False
    try:
        return pull(store, meta, dest), False
    except UsageError:
        if _cached(dest, meta):  # another pull of the same archive got there first
            return read_receipt(dest), True
        raise


def _cached(dest: Path, meta: dict) -> bool:
    try:
        receipt = read_receipt(dest)
    except UsageError:
        return False
    return receipt.get("archive_sha256") == meta["archive_sha256"] and (dest / "bin" / "python").exists()


def read_receipt(root: Path) -> dict:
    path = Path(root) / RECEIPT
    try:
        receipt = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{root}: no {RECEIPT}; not a venv that venvbuild pulled") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read it ({exc})") from None
    if not isinstance(receipt, dict):
        raise UsageError(f"{path}: not a JSON object")
    return receipt


class _DestinationTaken(UsageError):
    pass


def _check_relocatable(meta: dict) -> None:
    if meta.get("archive_format", 1) < 2 or not meta.get("relocation"):
        raise UsageError(f"{meta['venv_version']} was built by venvbuild {meta['venvbuild_version']}, whose archives "
                         "are not relocatable; rebuild it to pull it")


def _make_parents(parent: Path) -> list:
    made = []
    for folder in reversed([parent, *parent.parents]):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        made.append(folder)
    return made


def _unpack(store: ObjectStore, meta: dict, work: Path, dest: Path) -> Path:
    """The build, extracted and relocated for dest in work/venv; its receipt written."""
    compression = metadata.compression_of(meta)
    key = store.build_key(meta["venv_version"], artifacts.archive_name(meta["venv_version"], compression))
    local = store.fetch(key, work / f"archive.tar.{compression}")
    if local is None:
        raise StoreError(f"{store.url(key)}: the archive is missing although metadata.json lists it")
    _check_archive(local, meta, store.url(key))
    root = work / "venv"
    root.mkdir(mode=0o777 & ~_umask())
    extract.extract(local, compression, root, meta["python_home"])
    record = _build_record(root, meta)
    relocated = _relocate(root, record, os.fsencode(str(dest)))
    _check_runs(root)
    receipt = {
        "venv_version": meta["venv_version"],
        "env_name": meta["env_name"],
        "archive_sha256": meta["archive_sha256"],
        "archive_url": store.url(key),
        "store": store.describe(),
        "dest": str(dest),
        "pulled_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python_full_version": meta["python_full_version"],
        "venvbuild_version": __version__,
        "relocated": relocated,
    }
    (root / RECEIPT).write_text(json.dumps(receipt, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return root


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_archive(path: Path, meta: dict, url: str) -> None:
    size, digest = path.stat().st_size, sha256_file(path)
    if size != meta["archive_size"] or digest != meta["archive_sha256"]:
        raise StoreError(f"{url}: {size} bytes with sha256 {digest}, but metadata.json says {meta['archive_size']} "
                         f"bytes with sha256 {meta['archive_sha256']}: changed or damaged, nothing extracted")


def _build_record(root: Path, meta: dict) -> dict:
    path = root / archive.BUILD_RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UsageError(f"{meta['venv_archive']}: no readable {archive.BUILD_RECORD} in the archive") from None
    if record.get("relocation") != meta["relocation"]:
        raise UsageError(f"{meta['venv_archive']}: its {archive.BUILD_RECORD} does not match metadata.json's relocation")
    return record


def _relocate(root: Path, record: dict, dest: bytes) -> Dict[str, str]:
    """Write dest where the placeholder is, RECORD files last (they hash the others); sha256 of each file."""
    files = record["relocation"]["files"]
    changed: Dict[str, bytes] = {}
    for item in sorted(files, key=lambda f: f["kind"] == relocation.RECORD):
        rel, kind = item["path"], item["kind"]
        if record["files"].get(rel, {}).get("type") != "file":
            raise extract.UnsafeArchive(f"{archive.BUILD_RECORD}: relocation lists {rel!r}, not a file of the venv")
        path = root / rel
        data = relocation.from_placeholder(_read_nofollow(path), kind, dest)
        if kind == relocation.RECORD:
            data = relocation.rewrite_record(rel, data, changed) or data
        _rewrite(path, data)
        changed[rel] = data
    return {rel: _sha256(data) for rel, data in sorted(changed.items())}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_nofollow(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def _rewrite(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _check_runs(root: Path) -> None:
    python = root / "bin" / "python"
    try:
        done = subprocess.run([str(python), "-I", "-B", "-c", "import sys; print(sys.prefix)"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"{python}: the pulled venv's python does not start ({exc})") from None
    if done.returncode != 0 or Path(done.stdout.strip()).resolve() != root.resolve():
        detail = (done.stderr.strip().splitlines() or [done.stdout.strip()])[-1]
        raise UsageError(f"{python}: the pulled venv's python does not run as a venv ({detail})")


def _swap_in(root: Path, dest: Path, work: Path, force: bool) -> None:
    replaced = work / "replaced"
    if dest.exists():
        if any(dest.iterdir()):
            if not force:
                raise _DestinationTaken(f"--dest {dest}: another process filled it meanwhile")
            os.rename(dest, replaced)
        else:
            dest.rmdir()
    try:
        os.rename(root, dest)
    except OSError as exc:
        if replaced.exists():
            os.rename(replaced, dest)
        raise _DestinationTaken(f"--dest {dest}: cannot put the venv there ({exc.strerror})") from None
