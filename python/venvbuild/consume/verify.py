"""`venvbuild verify`: has a pulled venv changed since the pull?

Everything that can change what runs is compared with the build's file list (venv/.venvbuild/build.json,
written when it was archived, whose own sha256 the pull's receipt holds) or, for the files a pull rewrote
for its folder, with the receipt: each file's content and exact mode, each link's target, each folder's
mode (0755, as pulled). A venv moved since its pull is reported too: its scripts point at the old folder.

Bytecode. A pulled venv holds none; Python writes `__pycache__/<module>.<tag>.pyc` on first import, and
imports one instead of its source whenever its header matches the source's mtime and size (or hash) —
a header anyone can forge. So a .pyc is accepted only when it is exactly what compiling its current
source gives: its magic number is the venv's interpreter's, and its code object equals, field by field
and recursively (the file name it records aside, which importlib sets on load), what that interpreter's
compile() makes of the source at the optimisation level its name says. The comparison runs in the venv's
base interpreter (bin/python's target as the build record lists it), isolated (-I -S -B), and never
imports anything from the venv. Reported as `added:` is every .pyc that is not, and anything else in a
`__pycache__` (another interpreter's cache, a link, a file whose source is not listed); as `changed:`
a `__pycache__` that is not a plain folder writable only by its owner and group.
"""

import hashlib
import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Dict, List

from venvbuild._util.checksum import sha256_file
from venvbuild.build import archive
from venvbuild.consume import cache
from venvbuild.consume.receipt import RECEIPT, read_receipt
from venvbuild.errors import UsageError

_OWN_FILES = {archive.BUILD_RECORD, RECEIPT, cache.SEAL}
_DIR_MODE = 0o755
_CACHE_DIR_MODES = 0o775  # what mkdir gives __pycache__ under a umask of 022 or 002
_PYC_MODES = 0o664  # py_compile writes a .pyc with its source's mode, less the umask, never executable
_TIMEOUT_S = 600
_COMPARE = r"""
import importlib.util, json, marshal, sys, types
ATTRS = ("co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags",
         "co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars", "co_name", "co_qualname",
         "co_firstlineno", "co_linetable", "co_exceptiontable")
def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, types.CodeType):
        return all(getattr(a, n, None) == getattr(b, n, None) for n in ATTRS) and same(a.co_consts, b.co_consts)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, (float, complex)):
        return repr(a) == repr(b)
    return a == b
def matches(pyc, source):
    try:
        if importlib.util.source_from_cache(pyc) != source:
            return False
        with open(pyc, "rb") as fh:
            data = fh.read()
        if data[:4] != importlib.util.MAGIC_NUMBER:
            return False
        stem = pyc.rsplit("/", 1)[1][:-len(".pyc")]
        level = 2 if stem.endswith(".opt-2") else 1 if stem.endswith(".opt-1") else 0
        with open(source, "rb") as fh:
            compiled = compile(fh.read(), source, "exec", dont_inherit=True, optimize=level)
        return same(marshal.loads(data[16:]), compiled)
    except Exception:
        return False
pairs = json.load(sys.stdin)
json.dump([pyc for pyc, source in pairs if not matches(pyc, source)], sys.stdout)
"""


def differences(given: Path) -> List[str]:
    """'changed: PATH', 'added: PATH' and 'missing: PATH' lines, sorted by path (a 'moved:' line first);
    none when nothing changed."""
    if not Path(given).is_dir():
        raise UsageError(f"{given}: not a folder")
    root = Path(os.path.realpath(given))
    receipt = read_receipt(root)
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
    walked = archive.walk(root)
    if walked[0].found_mode != _dir_mode(read_only):
        lines.append("changed: .")
    found = {entry.rel: entry for entry in walked if entry.rel}
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
    trusted = f"changed: {archive.BUILD_RECORD}" not in lines
    lines += _bytecode(root, listed, found, trusted)
    return sorted(lines, key=lambda line: (not line.startswith("moved:"), line.split(": ", 1)[1]))


def _bytecode(root: Path, listed: dict, found: dict, trusted: bool) -> List[str]:
    """Lines for each `__pycache__` and what it holds (see the module's docstring)."""
    lines, candidates = [], {}
    folders = [""] + [rel for rel, entry in found.items() if entry.kind == "dir"]
    for folder in folders:
        pycache = f"{folder}/{archive.BYTECODE_CACHE}" if folder else archive.BYTECODE_CACHE
        try:
            st = os.lstat(root / pycache)
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            lines.append(f"added: {pycache}")
            continue
        if stat.S_IMODE(st.st_mode) & ~_CACHE_DIR_MODES:
            lines.append(f"changed: {pycache}")
        for name in sorted(os.listdir(root / pycache)):
            rel = f"{pycache}/{name}"
            source = f"{folder}/{name.split('.')[0]}.py" if folder else f"{name.split('.')[0]}.py"
            mode = os.lstat(root / rel).st_mode
            if (
                not stat.S_ISREG(mode)
                or stat.S_IMODE(mode) & ~_PYC_MODES
                or not name.endswith(".pyc")
                or not isinstance(listed.get(source), dict)
                or listed[source].get("type") != "file"
                or source not in found
                or not trusted
            ):
                lines.append(f"added: {rel}")
            else:
                candidates[rel] = source
    if candidates:
        python = _base_interpreter(root, listed)
        bad = set(_not_compiled_from_source(python, root, candidates))
        lines += [f"added: {rel}" for rel in sorted(candidates) if rel in bad]
    return lines


def _base_interpreter(root: Path, listed: dict) -> str:
    """bin/python's absolute target, following the links the build record lists (python -> python3.11 -> /usr/...)."""
    rel, target = "bin/python", ""
    for _ in range(8):
        target = (listed.get(rel) or {}).get("target", "")
        if not target or os.path.isabs(target):
            break
        rel = os.path.normpath(os.path.join(os.path.dirname(rel), target))
    if not os.path.isabs(target) or not os.path.isfile(target):
        raise UsageError(
            f"{root}: cannot check its bytecode: its build.json lists no base interpreter for "
            f"bin/python ({target or 'none'}) that is here"
        )
    return os.path.realpath(target)


def _not_compiled_from_source(python: str, root: Path, candidates: Dict[str, str]) -> List[str]:
    """The .pyc files (venv-relative) that are not what python compiles from their source."""
    pairs = [[str(root / pyc), str(root / source)] for pyc, source in candidates.items()]
    try:
        done = subprocess.run(
            [python, "-I", "-S", "-B", "-c", _COMPARE],
            input=json.dumps(pairs),
            text=True,
            capture_output=True,
            timeout=_TIMEOUT_S,
            cwd="/",
        )
        different = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        different = None
    if not isinstance(different, list):
        raise UsageError(f"{root}: cannot check its bytecode with {python}: it did not run the comparison")
    return [os.path.relpath(path, root) for path in different]


def _dir_mode(read_only: bool) -> int:
    return _DIR_MODE & ~0o222 if read_only else _DIR_MODE


def _same(entry, expected, relocated_sha256, read_only: bool = False) -> bool:
    if not isinstance(expected, dict) or entry.kind != expected.get("type"):
        return False
    if entry.kind == "symlink":
        return entry.target == expected.get("target")
    if entry.kind == "dir":
        return entry.found_mode == _dir_mode(read_only)
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
