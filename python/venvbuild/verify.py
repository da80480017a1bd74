"""`venvbuild verify`: has a pulled venv changed since the pull?

Each file is compared with the build's file list (venv/.venvbuild/build.json, written when it was
archived) or, for the files a pull rewrote for its folder, with the pull's receipt. Bytecode caches
(`__pycache__`), which Python writes on import, are not part of the venv.
"""

import hashlib
import json
from pathlib import Path
from typing import List

from venvbuild import archive, pull
from venvbuild.errors import UsageError


def differences(root: Path) -> List[str]:
    """'changed: PATH', 'added: PATH' and 'missing: PATH' lines, sorted by path; none when nothing changed."""
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder")
    receipt = pull.read_receipt(root)
    try:
        listed = json.loads((root / archive.BUILD_RECORD).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"{root}: no readable {archive.BUILD_RECORD}; not a venv that venvbuild pulled") from None
    relocated = receipt.get("relocated", {})
    found = {entry.rel: entry for entry in archive._walk(root) if entry.rel}
    lines = []
    for rel in sorted(set(listed) | set(found)):
        if rel not in found:
            lines.append(f"missing: {rel}")
        elif rel not in listed:
            lines.append(f"added: {rel}")
        elif not _same(found[rel], listed[rel], relocated.get(rel)):
            lines.append(f"changed: {rel}")
    return lines


def _same(entry, expected: dict, relocated_sha256) -> bool:
    if entry.kind != expected.get("type"):
        return False
    if entry.kind == "symlink":
        return entry.target == expected.get("target")
    if entry.kind == "dir":
        return True
    if f"{entry.mode:o}" != expected.get("mode"):
        return False
    digest = hashlib.sha256()
    with open(entry.path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == (relocated_sha256 or expected.get("sha256"))
