"""`venvbuild verify`: has a pulled venv changed since the pull?

Each file is compared, content and exact mode, with the build's file list (venv/.venvbuild/build.json,
written when it was archived, whose own sha256 the pull's receipt holds) or, for the files a pull
rewrote for its folder, with the receipt. A venv moved since its pull is reported too: its scripts point
at the old folder. Bytecode caches (`__pycache__`), which Python writes on import, are not part of it.
"""

import hashlib
import json
import os
from pathlib import Path
from typing import List

from venvbuild._util.checksum import sha256_file
from venvbuild.build import archive
from venvbuild.consume import cache, pull
from venvbuild.errors import UsageError

_OWN_FILES = {archive.BUILD_RECORD, pull.RECEIPT, cache.SEAL}


def differences(given: Path) -> List[str]:
    """'changed: PATH', 'added: PATH' and 'missing: PATH' lines, sorted by path (a 'moved:' line first);
    none when nothing changed."""
    if not Path(given).is_dir():
        raise UsageError(f"{given}: not a folder")
    root = Path(os.path.realpath(given))
    receipt = pull.read_receipt(root)
    record_path = root / archive.BUILD_RECORD
    try:
        listed = json.loads(record_path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"{given}: no readable {archive.BUILD_RECORD}; not a venv that venvbuild pulled") from None
    lines = []
    if os.path.realpath(receipt.get("dest", "")) != str(root):
        lines.append(f"moved: pulled to {receipt.get('dest')}; its scripts and activate point there")
    if sha256_file(record_path) != receipt.get("build_record_sha256"):
        lines.append(f"changed: {archive.BUILD_RECORD}")
    relocated = receipt.get("relocated", {})
    read_only = (root / cache.SEAL).is_file()  # a cache entry: its files' modes without the write bits
    found = {entry.rel: entry for entry in archive.walk(root) if entry.rel}
    own = {f"{archive.RECORD_DIR}/{name}" for name in os.listdir(root / archive.RECORD_DIR)} - _OWN_FILES
    for rel in sorted(set(listed) | set(found) | own):
        if rel in own:
            lines.append(f"added: {rel}")
        elif rel not in found:
            lines.append(f"missing: {rel}")
        elif rel not in listed:
            lines.append(f"added: {rel}")
        elif not _same(found[rel], listed[rel], relocated.get(rel), read_only):
            lines.append(f"changed: {rel}")
    return lines


def _same(entry, expected, relocated_sha256, read_only: bool = False) -> bool:
    if not isinstance(expected, dict) or entry.kind != expected.get("type"):
        return False
    if entry.kind == "symlink":
        return entry.target == expected.get("target")
    if entry.kind == "dir":
        return True
    mode = expected.get("mode")
    if read_only and isinstance(mode, str) and mode.isdigit():
        mode = f"{int(mode, 8) & ~0o222:o}"
    if f"{entry.found_mode:o}" != mode:
        return False
    digest = hashlib.sha256()
    with open(entry.path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == (relocated_sha256 or expected.get("sha256"))
