"""The helper's own lock, resources/venvbuild/helper-lock.txt: the venvbuild wheel and every runtime
dependency, pinned with hashes in pip's `--require-hashes` format. The Jenkins steps install the helper
from it; `.ci/release-helper` writes it; the tests check it against pyproject.toml.

    # extras: zst
    venvbuild==0.1.0 \\
        --hash=sha256:...
    boto3==1.44.8 \\
        --hash=sha256:...
"""

import re
from dataclasses import dataclass
from typing import Dict, List, Tuple

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

HELPER = "venvbuild"
_EXTRAS = re.compile(r"^#\s*extras:\s*(.*)$")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass
class Pin:
    name: str  # canonical
    version: str
    marker: str  # '' when none
    hashes: Tuple[str, ...]
    line: int  # where the entry starts, 1-based


@dataclass
class Lock:
    extras: List[str]
    pins: List[Pin]

    def pin(self, name: str) -> List[Pin]:
        return [p for p in self.pins if p.name == canonicalize_name(name)]


def parse(text: str) -> Lock:
    """The lock's entries; a line that is neither a comment nor `name==version [; marker]` with hashes is
    a ValueError naming its line."""
    extras: List[str] = []
    pins: List[Pin] = []
    entry, start = "", 0
    for number, raw in enumerate(text.splitlines() + [""], start=1):
        found = _EXTRAS.match(raw.strip())
        if found:
            extras = [e.strip() for e in found.group(1).split(",") if e.strip()]
        line = raw.split("#", 1)[0].rstrip()
        if not entry:
            start = number
        entry += " " + line.rstrip("\\")
        if line.endswith("\\"):
            continue
        if entry.strip():
            pins.append(_pin(entry.strip(), start))
        entry = ""
    return Lock(extras, pins)


def _pin(entry: str, line: int) -> Pin:
    hashes = tuple(_HASH.findall(entry))
    spec = _HASH.sub("", entry).strip()
    try:
        requirement = Requirement(spec)
    except ValueError as exc:
        raise ValueError(f"line {line}: not a requirement: {spec} ({exc})") from None
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator != "==" or not hashes:
        raise ValueError(f"line {line}: {spec}: every entry needs name==version and --hash=sha256:...")
    return Pin(canonicalize_name(requirement.name), specifiers[0].version, str(requirement.marker or ""), hashes, line)


def problems(lock: Lock, dependencies: List[str], optional: Dict[str, List[str]], version: str) -> List[str]:
    """Why the lock does not match pyproject.toml's dependencies (the runtime ones and those of the lock's
    extras) or the library's VERSION; empty when it does."""
    found = []
    helper = lock.pin(HELPER)
    if [p.version for p in helper] != [version]:
        found.append(f"{HELPER} is locked at {[p.version for p in helper]}, VERSION is {version}")
    wanted = list(dependencies)
    for extra in lock.extras:
        if extra not in optional:
            found.append(f"extra '{extra}' is not in pyproject.toml")
        wanted += [r for r in optional.get(extra, []) if canonicalize_name(Requirement(r).name) != HELPER]
    for text in wanted:
        requirement = Requirement(text)
        pins = lock.pin(requirement.name)
        if not pins:
            found.append(f"{requirement.name} ({text}) is not in the lock")
        for pin in pins:
            if not requirement.specifier.contains(Version(pin.version), prereleases=True):
                found.append(f"{requirement.name} is locked at {pin.version}, pyproject.toml wants {text}")
    return found


def collision(existing: str, version: str, sha256: str) -> str | None:
    """Why a lock pinning the venvbuild wheel `sha256` at `version` must not replace `existing` (the lock
    there now), or None. A version names one wheel: an index holds one file per name, an agent's
    `--version` check trusts the number, so a wheel with other bytes needs another VERSION."""
    if not existing.strip():
        return None
    pinned = {(p.version, h) for p in parse(existing).pin(HELPER) for h in p.hashes}
    held = sorted(h for v, h in pinned if v == version)
    if held and sha256 not in held:
        return (
            f"{HELPER} {version} is already locked as the wheel sha256:{held[0]}; this tree's wheel is "
            f"sha256:{sha256}. Bump resources/venvbuild/VERSION (a version names one wheel's bytes), then "
            f"run .ci/release-helper again"
        )
    return None


def with_helper_hash(text: str, sha256: str) -> str:
    """The lock text with the venvbuild entry's hashes replaced by sha256 (one wheel)."""
    version = parse(text).pin(HELPER)[0].version
    return _replace_helper(text, f"{HELPER}=={version} \\\n    --hash=sha256:{sha256}\n")


def without_helper(text: str) -> str:
    """The lock text without its venvbuild entry: the dependencies alone."""
    return _replace_helper(text, "")


def _replace_helper(text: str, entry: str) -> str:
    (helper,) = parse(text).pin(HELPER)
    lines = text.splitlines(keepends=True)
    end = helper.line - 1
    while lines[end].rstrip().endswith("\\"):
        end += 1
    return "".join(lines[: helper.line - 1]) + entry + "".join(lines[end + 1 :])


def markers_hold(pin: Pin) -> bool:
    return not pin.marker or Marker(pin.marker).evaluate()
