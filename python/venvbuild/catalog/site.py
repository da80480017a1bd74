"""Writing the catalog folder: every file rendered, only changed ones written, the whole swapped in at once.

The new site is assembled in a temporary folder beside --out: files whose content is unchanged are hard
links to the current site's (no rewrite), the rest are written; then the current folder is renamed away
and the new one renamed into place. A failure before the swap leaves --out as it was. A marker file
(MARKER) lists what the catalog wrote; a non-empty --out without it is refused, never overwritten.
"""

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Dict, Optional

from venvbuild.errors import UsageError

MARKER = ".venvbuild-catalog.json"
_KIND = "venvbuild catalog"


def previous_files(out: Path) -> Optional[Dict[str, str]]:
    """path -> sha256 of the catalog in out, {} when out is absent or empty; refuses any other folder."""
    if not out.exists():
        return {}
    if not out.is_dir():
        raise UsageError(f"--out {out}: not a folder")
    marker = out / MARKER
    if not marker.is_file():
        if any(out.iterdir()):
            raise UsageError(f"--out {out}: the folder is not empty and was not written by venvbuild catalog "
                             f"(no {MARKER}); give an empty or new folder")
        return {}
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        if recorded.get("kind") != _KIND or not isinstance(recorded.get("files"), dict):
            raise ValueError("not a catalog marker")
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"--out {out}: {MARKER} is damaged ({exc}); give an empty or new folder") from None
    return recorded["files"]


def write(out: Path, files: Dict[str, bytes], before: Dict[str, str], keep=()) -> dict:
    """Swap out's content for files, plus the paths in keep taken as they are from the current site;
    returns counts of written, kept (linked) and removed files."""
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    written = kept = 0
    digests = {}
    try:
        for relative, data in sorted(files.items()):
            digest = hashlib.sha256(data).hexdigest()
            digests[relative] = digest
            target = tmp.joinpath(*relative.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            if before.get(relative) == digest and _link(out.joinpath(*relative.split("/")), target):
                kept += 1
                continue
            target.write_bytes(data)
            written += 1
        for relative in keep:
            target = tmp.joinpath(*relative.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            if not _link(out.joinpath(*relative.split("/")), target):
                raise UsageError(f"--out {out}: {relative} disappeared while the catalog was written; run it again")
            digests[relative] = before[relative]
            kept += 1
        (tmp / MARKER).write_text(json.dumps({"kind": _KIND, "files": digests}, sort_keys=True), encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp's 0700 would hide the site from a web server's user
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"written": written, "kept": kept, "removed": len(set(before) - set(digests))}


def _link(existing: Path, target: Path) -> bool:
    try:
        os.link(existing, target)
        return True
    except OSError:  # gone, or another file system: write it instead
        return False


def _swap(new: Path, out: Path) -> None:
    if not out.exists():
        os.rename(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, old / "site")
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old / "site", out)
        raise
    shutil.rmtree(old, ignore_errors=True)
