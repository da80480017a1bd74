"""build_key: a fingerprint of every input that can change a build's bytes.

Two builds with the same key install the same requirements, resolved the same way, with the same
interpreter, installer and archive format, on the same platform: the second can reuse the first.
What counts:

- the requirements as pip reads them: after includes and ${VAR} expansion, each line normalised (PEP 503
  name, sorted extras and specifiers, canonical marker, sorted --hash values); comments, blank lines,
  line order and repeats do not count;
- the index configuration: every option line of the files (index URLs, find-links, --pre,
  --only-binary, --no-binary, ...), and the PIP_* / UV_* variables that change resolution; credentials
  removed;
- the interpreter: implementation, full version, ABI, and the base interpreter's real path;
- the platform, with the best manylinux/musllinux tag of this machine (its libc family and version);
- the installer and its version, the compression, and the archive format version.

The requirements are read through the reader's model (venvbuild.build.requirements_reader, via requirements.parse), in
requirement_lines() and index_options() only.
"""

import hashlib
import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvbuild._util.redact import redact
from venvbuild.build import archive, installer, interpreter
from venvbuild.errors import InstallError

# Environment variables pip and uv read that change resolution or the installed files. Those naming a
# file (constraints, config) count by the file's content.
RESOLUTION_ENV = (
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX", "PIP_FIND_LINKS", "PIP_PRE", "PIP_ONLY_BINARY",
    "PIP_NO_BINARY", "PIP_PREFER_BINARY", "PIP_NO_DEPS", "PIP_CONSTRAINT", "PIP_CONFIG_FILE",
    "PIP_NO_BUILD_ISOLATION", "PIP_UPGRADE_STRATEGY",
    "UV_INDEX", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_NO_INDEX",
    "UV_PRERELEASE", "UV_RESOLUTION", "UV_EXCLUDE_NEWER", "UV_INDEX_STRATEGY", "UV_CONSTRAINT", "UV_OVERRIDE",
    "UV_NO_BINARY", "UV_ONLY_BINARY", "UV_NO_BUILD", "UV_NO_BUILD_ISOLATION", "UV_CONFIG_FILE",
    "UV_TORCH_BACKEND",
)
_FILE_ENV = {"PIP_CONSTRAINT", "PIP_CONFIG_FILE", "UV_CONSTRAINT", "UV_OVERRIDE", "UV_CONFIG_FILE"}


@dataclass(frozen=True)
class Inputs:
    """What build_key hashes; kept with a build's state so a changed key can be explained."""

    requirements: List[str]
    index: List[str]
    environment: List[str]
    implementation: str
    python_version: str
    abi: str
    interpreter: str
    platform: str
    libc: str
    installer: str
    installer_version: str
    compression: str
    archive_format: int

    def as_dict(self) -> dict:
        return asdict(self)


def key_of(inputs: Inputs) -> str:
    canonical = json.dumps(inputs.as_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def collect(parsed, base, installer_name: str, compression: str) -> Inputs:
    """The inputs of a build of parsed (requirements.parse's result) with base, an interpreter.Interpreter
    (whose probe already asked for these facts) or an interpreter's path (probed here)."""
    facts = getattr(base, "identity", None) or probe(getattr(base, "executable", base))
    return Inputs(
        requirements=requirement_lines(parsed),
        index=index_options(parsed),
        environment=resolution_environment(os.environ),
        implementation=facts["implementation"],
        python_version=facts["version"] + "".join(str(p) for p in facts["release"] if p not in ("final", 0)),
        abi=facts["abi"],
        interpreter=facts["executable"],
        platform=facts["platform"],
        libc=libc_tag(),
        installer=installer_name,
        installer_version=installer_version(installer_name, facts),
        compression=compression,
        archive_format=archive.FORMAT_VERSION,
    )


def probe(base_python: str) -> dict:
    found = interpreter.probe(base_python)
    if found is None or not found.identity:
        raise InstallError(f"cannot ask {base_python} what it is (implementation, version, ABI)")
    return found.identity


def libc_tag() -> str:
    """The best platform tag this machine installs wheels for: manylinux_2_36_x86_64, musllinux_1_2_aarch64,
    macosx_14_0_arm64, ...; it names the libc family and version."""
    from packaging import tags

    found = list(tags.platform_tags())
    # packaging 26 lists the plain linux_<arch> tag first; the libc tag is the best of the others.
    libc = [t for t in found if t.startswith(("manylinux_", "musllinux_"))]
    return (libc or found or [""])[0]


def installer_version(installer_name: str, facts: dict) -> str:
    if installer_name == "uv":
        try:
            done = subprocess.run([installer.find_uv(), "--version"], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            raise InstallError("cannot run uv --version") from None
        words = done.stdout.split()
        return words[1] if len(words) > 1 else done.stdout.strip()
    # `python -m venv` installs the pip the base interpreter bundles, and the build installs with it (or
    # with the helper's pip of that same version: installer.helper_pip_serves).
    return facts.get("bundled_pip") or "unknown"


def requirement_lines(parsed) -> List[str]:
    """Each requirement, constraint and option line as the reader normalises it (reqfile: PEP 503 names,
    sorted extras, specifiers and --hash values, canonical markers, credentials redacted); sorted and
    without repeats, so order, spelling, comments and how the files are split do not count."""
    return sorted(set(parsed.normalised()))


def index_options(parsed) -> List[str]:
    """Relative --find-links folders made absolute, as pip resolves them against the requirements file:
    the same text in two checkouts names two folders."""
    found = set()
    for option in parsed.options:
        for value in option.values.get("find_links") or ():
            if "://" in value or os.path.isabs(value):
                continue
            candidate = Path(option.line.path).parent / value
            if candidate.exists():
                found.add(f"--find-links {value} = {candidate.resolve()}")
    return sorted(found)


def resolution_environment(environ) -> List[str]:
    found = []
    for name in RESOLUTION_ENV:
        value = environ.get(name)
        if not value:
            continue
        if name in _FILE_ENV:
            value = " ".join(_file_digest(p) for p in value.split())
        found.append(f"{name}={redact(value)}")
    return found


def _file_digest(path: str) -> str:
    try:
        return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return f"missing:{path}"


def unpinned_installed(parsed, installed_packages) -> str | None:
    """The first installed `name==version` (pip and setuptools aside) that the requirements do not pin to
    exactly that version, or None when they pin the whole installed set: the condition for reuse."""
    pins: Dict[str, Any] = {}
    for entry in parsed.entries:
        version = entry.pinned_version
        if version is not None and entry.name:
            pins.setdefault(entry.name, set()).add(version)
    for pin in installed_packages:
        name, _, version = pin.partition("==")
        name = canonicalize_name(name)
        if name in ("pip", "setuptools"):
            continue
        pinned = pins.get(name, set())
        try:
            same = any(Version(p) == Version(version) for p in pinned)
        except InvalidVersion:
            same = version in pinned
        if not same:
            return pin
    return None
