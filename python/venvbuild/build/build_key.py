"""build_key: a fingerprint of every input that can change a build's bytes.

Two builds with the same key install the same requirements, resolved the same way, with the same
interpreter, installer and archive format, on the same platform: the second can reuse the first.
What counts:

- the requirements as pip reads them: after includes and ${VAR} expansion, each line normalised (PEP 503
  name, sorted extras and specifiers, canonical marker, sorted --hash values); comments, blank lines,
  line order and repeats do not count;
- the index configuration: every option line of the files (index URLs, find-links, --pre,
  --only-binary, --no-binary, ...);
- the installer's environment: EVERY PIP_* and UV_* variable (pip reads any option from PIP_<OPTION>,
  so PIP_REQUIREMENT adds requirements, PIP_EDITABLE a package, PIP_CONFIG_SETTINGS changes a build)
  except those on IGNORED_ENV below; and the installer's configuration files in effect (pip: pip.conf in
  the site, user and interpreter places; uv: uv.toml in the system and user places and the project's
  uv.toml or pyproject.toml [tool.uv] found from the current folder up), each by its content;
- the interpreter: implementation, full version, ABI, and the base interpreter's real path;
- the platform, with the best manylinux/musllinux tag of this machine (its libc family and version);
- the installer and its version, the compression, and the archive format version.

IGNORED_ENV, the variables that cannot change what gets installed, each with why: what is shown or
logged (progress, colour, verbosity, log files, warnings), where the cache lives and whether it is used
(it holds only what the indexes served, checked against their hashes; where it is does not change what
resolves), how long and how often a download is tried (a slow index fails the same way with any
setting), and the installers' own bookkeeping. Not on it, so counted, though they look harmless:
certificates, trusted hosts, proxies and keyring providers (they decide which indexes can be reached,
and pip resolves from the others when one cannot), exists-action, src and link mode (where and how files
are written), offline mode (only what the cache holds).

No credential is written in clear: a variable naming files counts by their content (PIP_REQUIREMENT,
PIP_CONSTRAINT, PIP_CONFIG_FILE, UV_CONSTRAINT, ...), a value holding a URL or an '@' as the sha256 of
its redacted text, and a configuration file as the sha256 of its redacted content: a rotated token in
a URL's user-info keeps the key, anything else about an index changes it.

The requirements are read through the reader's model (venvbuild.build.requirements_reader, via requirements.parse), in
requirement_lines() and index_options() only.
"""

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvbuild._util.redact import redact
from venvbuild.build import archive, installer, interpreter
from venvbuild.errors import InstallError

# PIP_* and UV_* variables that cannot change what gets installed (see the module's docstring); every
# other PIP_* and UV_* variable counts.
IGNORED_ENV = {
    # what is shown or logged
    "PIP_PROGRESS_BAR",
    "PIP_NO_COLOR",
    "PIP_VERBOSE",
    "PIP_QUIET",
    "PIP_LOG",
    "PIP_LOG_FILE",
    "PIP_LOCAL_LOG",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_NO_PYTHON_VERSION_WARNING",
    "PIP_NO_WARN_SCRIPT_LOCATION",
    "PIP_NO_WARN_CONFLICTS",
    "PIP_ROOT_USER_ACTION",
    "UV_NO_PROGRESS",
    # prompts (venvbuild sets PIP_NO_INPUT itself) and refusing to run outside a venv (the build is one)
    "PIP_NO_INPUT",
    "PIP_REQUIRE_VIRTUALENV",
    # where the cache is, and whether it is used
    "PIP_CACHE_DIR",
    "PIP_NO_CACHE_DIR",
    "UV_CACHE_DIR",
    "UV_NO_CACHE",
    # how long and how often a download is tried, how many at once
    "PIP_TIMEOUT",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_RETRIES",
    "UV_HTTP_TIMEOUT",
    "UV_REQUEST_TIMEOUT",
    "UV_HTTP_RETRIES",
    "UV_CONCURRENT_DOWNLOADS",
    "UV_CONCURRENT_BUILDS",
    "UV_CONCURRENT_INSTALLS",
    # bookkeeping: removed before pip runs (installer._run), or set by pip and uv for their own children
    "PIP_PYTHON",
    "PIP_BUILD_TRACKER",
    "PIP_REQ_TRACKER",
    "UV_RUN_RECURSION_DEPTH",
}
# Variables naming files: they count by the files' content.
FILE_ENV = {
    "PIP_REQUIREMENT",
    "PIP_CONSTRAINT",
    "PIP_BUILD_CONSTRAINT",
    "PIP_CONFIG_FILE",
    "UV_CONSTRAINT",
    "UV_OVERRIDE",
    "UV_BUILD_CONSTRAINT",
    "UV_CONFIG_FILE",
}


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
        environment=resolution_environment(os.environ) + config_files(installer_name, os.environ),
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
    """NAME=value of every PIP_* and UV_* variable set and not on IGNORED_ENV, sorted; credentials never in
    clear (see the module's docstring)."""
    found = []
    for name in sorted(environ):
        value = environ[name]
        if not name.startswith(("PIP_", "UV_")) or name in IGNORED_ENV or name.startswith("UV_INTERNAL__"):
            continue
        if name in FILE_ENV:
            value = " ".join(_file_digest(Path(p)) for p in value.split())
        elif "://" in value or "@" in value:
            value = "sha256:" + hashlib.sha256(redact(value).encode()).hexdigest()
        found.append(f"{name}={value}")
    return found


def config_files(installer_name: str, environ, cwd: Path | None = None) -> List[str]:
    """`installer config NAME=sha256:...` of each configuration file the installer reads, found where it
    looks (its content redacted, then hashed). NAME is where it was found, with ~ for the home folder, so
    two agents with the same files have the same key; a variable naming a file counts in
    resolution_environment."""
    home = Path(environ.get("HOME") or Path.home())
    config_home = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    config_dirs = [Path(d) for d in (environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep) if d]
    if installer_name == "uv":
        if environ.get("UV_NO_CONFIG"):
            return []
        places = [d / "uv" / "uv.toml" for d in config_dirs] + [Path("/etc/uv/uv.toml"), config_home / "uv" / "uv.toml"]
        project = _uv_project_config(cwd or Path.cwd())
        found = [(str(p), p) for p in places if p.is_file()] + ([(f"project {project.name}", project)] if project else [])
    else:
        if environ.get("PIP_CONFIG_FILE") == os.devnull:  # pip then reads no configuration file at all
            return []
        places = [d / "pip" / "pip.conf" for d in config_dirs] + [
            Path("/etc/pip.conf"),
            home / ".pip" / "pip.conf",
            config_home / "pip" / "pip.conf",
            home / "Library" / "Application Support" / "pip" / "pip.conf",
        ]
        found = [(str(p), p) for p in places if p.is_file()]
        helper = Path(sys.prefix) / "pip.conf"  # the helper's pip (installer.helper_pip_serves) reads its own
        if helper.is_file():
            found.append(("helper prefix pip.conf", helper))
    named = [(label.replace(str(home), "~", 1) if label.startswith(str(home)) else label, path) for label, path in found]
    return [f"{installer_name} config {label}={_file_digest(path)}" for label, path in named]


def _uv_project_config(folder: Path) -> Path | None:
    """The uv.toml, or pyproject.toml with a [tool.uv] table, uv finds from folder up (the nearest)."""
    for candidate in (folder.resolve(), *folder.resolve().parents):
        if (candidate / "uv.toml").is_file():
            return candidate / "uv.toml"
        pyproject = candidate / "pyproject.toml"
        try:
            if pyproject.is_file() and "[tool.uv" in pyproject.read_text(encoding="utf-8", errors="replace"):
                return pyproject
        except OSError:
            continue
    return None


def _file_digest(path: Path) -> str:
    """sha256 of the file's text with credentials redacted: a rotated token keeps the key."""
    try:
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    except OSError:
        return f"missing:{path}"
    return "sha256:" + hashlib.sha256(redact(text).encode("utf-8", errors="surrogateescape")).hexdigest()


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
