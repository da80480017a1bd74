"""content_key: what a build installed, as bytes: each distribution's name==version with a hash of its
RECORD, read from the venv's site-packages (the helper runs outside the venv).

RECORD lines for files outside site-packages (console scripts, whose shebang holds the build path) and
lines without a hash (RECORD itself, bytecode) are left out, so two builds in different folders of the
same inputs get the same key when the index served the same files.
"""

import hashlib
from email.parser import HeaderParser
from pathlib import Path
from typing import List

from packaging.utils import canonicalize_name


def distributions(venv: Path) -> List[str]:
    """`name==version sha256` per distribution in the venv's site-packages, sorted."""
    found = []
    for dist_info in sorted(Path(venv).glob("lib/python*/site-packages/*.dist-info")):
        meta_path, record_path = dist_info / "METADATA", dist_info / "RECORD"
        if not meta_path.is_file():
            continue
        headers = HeaderParser().parsestr(meta_path.read_text(encoding="utf-8", errors="replace"), headersonly=True)
        name, version = canonicalize_name(headers.get("Name", "")), headers.get("Version", "")
        found.append(f"{name}=={version} {_record_digest(record_path)}")
    return sorted(found)


def _record_digest(record: Path) -> str:
    try:
        text = record.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return "no-record"
    kept = []
    for line in text.splitlines():
        path, _, rest = line.partition(",")
        digest = rest.partition(",")[0]
        if digest and not path.startswith(("../", "/")):
            kept.append(f"{path},{digest}")
    return hashlib.sha256("\n".join(sorted(kept)).encode("utf-8")).hexdigest()


def key_of(venv: Path) -> str:
    return hashlib.sha256("\n".join(distributions(venv)).encode("utf-8")).hexdigest()
