"""Moving a venv between folders, as conda-unpack does for conda environments.

A venv holds its own path in a few text files: console-script shebangs, the `activate*` scripts,
`pyvenv.cfg`, sometimes `.pth` or `direct_url.json` files. When a venv is archived, that path becomes
PLACEHOLDER (so the archive does not depend on where it was built) and each such file is recorded; a pull
writes the destination in its place. Shebangs follow pip's rule: `#!DEST/bin/python` when that fits in
127 bytes and has no space, else the `/bin/sh` exec form. The RECORD of a distribution lists each file's
hash, so a RECORD that names a rewritten file is rewritten to match.
"""

import base64
import csv
import hashlib
import io
import posixpath
import re
from typing import Dict, Iterable, Tuple

PLACEHOLDER = b"/__venvbuild_prefix__"
MAX_SHEBANG = 127  # Linux's limit, and pip's (distlib's) threshold for the /bin/sh form

TEXT, SHEBANG, RECORD = "text", "shebang", "record"

# pip and uv write the long (or spaced) form as three lines: #!/bin/sh, '''exec' "EXE" ARGS "$0" "$@", ' '''
_SH_EXEC = re.compile(rb"\A#!/bin/sh\n'''exec' (?P<q>[\"']?)(?P<exe>.+?)(?P=q)(?P<args>[^\n]*?) \"\$0\" \"\$@\"\n' '''\n")
_SIMPLE = re.compile(rb"\A#!(?P<exe>[^\s]+)(?P<args>[^\n]*)\n")


def is_text(data: bytes) -> bool:
    return b"\0" not in data


def _parse_shebang(data: bytes) -> Tuple[bytes, bytes, bytes] | None:
    """(interpreter, its arguments, the script after the shebang) in either of pip's forms; None without one."""
    match = _SH_EXEC.match(data) or _SIMPLE.match(data)
    return (match.group("exe"), match.group("args"), data[match.end() :]) if match else None


def shebang(executable: bytes, args: bytes = b"") -> bytes:
    """pip's shebang for executable (distlib's ScriptMaker._build_shebang on POSIX), except that the /bin/sh
    form always quotes the interpreter: a long path may hold characters such as '&' or '(' that sh reads."""
    if b" " not in executable and len(executable) + len(args) + 3 <= MAX_SHEBANG:
        return b"#!" + executable + args + b"\n"
    return b"#!/bin/sh\n'''exec' \"" + executable + b'"' + args + b" \"$0\" \"$@\"\n' '''\n"


def _own_script(data: bytes, prefix: bytes) -> Tuple[bytes, bytes, bytes] | None:
    parsed = _parse_shebang(data)
    return parsed if parsed is not None and parsed[0].startswith(prefix + b"/bin/") else None


def to_placeholder(data: bytes, prefixes: Iterable[bytes]) -> tuple | None:
    """(kind, new bytes) for a text file that holds one of prefixes, with the placeholder in its place;
    None when it holds none. A script of the venv gets the simple shebang whatever form it had."""
    found = [p for p in prefixes if p in data]
    if not found:
        return None
    kind = TEXT
    for prefix in found:
        script = _own_script(data, prefix)
        if script is not None:
            exe, args, body = script
            data = b"#!" + PLACEHOLDER + exe[len(prefix) :] + args + b"\n" + body
            kind = SHEBANG
        data = data.replace(prefix, PLACEHOLDER)
    return kind, data


def from_placeholder(data: bytes, kind: str, dest: bytes) -> bytes:
    """The file's bytes for a venv at dest."""
    parsed = _parse_shebang(data) if kind == SHEBANG and data.startswith(b"#!" + PLACEHOLDER + b"/") else None
    if parsed is not None:
        exe, args, body = parsed
        data = shebang(dest + exe[len(PLACEHOLDER) :], args) + body
    return data.replace(PLACEHOLDER, dest)


def record_hash(data: bytes) -> str:
    """A RECORD file's hash column: sha256, urlsafe base64 without padding (PEP 376 / the wheel spec)."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def rewrite_record(record_path: str, data: bytes, changed: Dict[str, bytes]) -> bytes | None:
    """The RECORD at record_path (relative to the venv) with the hash and size of each file in changed
    (venv-relative path -> new bytes) brought up to date; None when it names none of them."""
    site = posixpath.dirname(posixpath.dirname(record_path))
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error):
        return None
    touched = False
    for row in rows:
        if len(row) < 3 or not row[0]:
            continue
        target = posixpath.normpath(posixpath.join(site, row[0]))
        if target in changed:
            row[1], row[2] = record_hash(changed[target]), str(len(changed[target]))
            touched = True
    if not touched:
        return None
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if b"\r\n" in data else "\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def is_record(path: str) -> bool:
    parent = posixpath.basename(posixpath.dirname(path))
    return posixpath.basename(path) == "RECORD" and parent.endswith(".dist-info")
