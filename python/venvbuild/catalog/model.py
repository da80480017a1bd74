"""What the catalog shows, computed once from a store's records.

Versions are put in PEP 440 order here, in Python, with packaging: each package's versions are numbered
in that order (their position), and each is given to the page as its parsed parts (epoch, release,
pre, post, dev, local), so the page's search never parses an installed version nor sorts one.
"""

from dataclasses import dataclass, field
from typing import Dict, List

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

_PRE_LETTERS = {"a": 1, "b": 2, "rc": 3}


@dataclass
class PackageVersions:
    name: str  # normalised (PEP 503)
    pins: List[str] = field(default_factory=list)  # "Name==version" as builds spell them, PEP 440 order
    builds: List[List[int]] = field(default_factory=list)  # per pin: indexes into Catalog.builds


@dataclass
class Catalog:
    builds: List[dict]  # newest first, as `venvbuild search` lists them
    previous: Dict[str, dict | None]  # venv_version -> the build of the same env just before it
    packages: Dict[str, PackageVersions]  # normalised name -> its versions


def build(records: List[dict]) -> Catalog:
    builds = sorted(records, key=lambda m: (m["created_at"], m["venv_version"]), reverse=True)
    previous: Dict[str, dict | None] = {}
    last_of_env: Dict[str, dict] = {}
    for meta in reversed(builds):
        previous[meta["venv_version"]] = last_of_env.get(meta["env_name"])
        last_of_env[meta["env_name"]] = meta
    having: Dict[str, Dict[str, List[int]]] = {}
    for index, meta in enumerate(builds):
        for pin in meta["installed_packages"]:
            having.setdefault(canonicalize_name(pin.partition("==")[0]), {}).setdefault(pin, []).append(index)
    packages = {}
    for name in sorted(having):
        pins = sorted(having[name], key=lambda pin: order_key(pin.partition("==")[2]) + (pin,))
        packages[name] = PackageVersions(name, pins, [having[name][pin] for pin in pins])
    return Catalog(builds, previous, packages)


def order_key(version: str) -> tuple:
    """PEP 440 order; versions PEP 440 cannot parse come last, by text (the first item keeps the two apart)."""
    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


def version_parts(version: str):
    """[normalised text, epoch, release, pre, post, dev, local] for the page's search, or None when PEP 440
    cannot parse it (such a version satisfies no specifier, as in `venvbuild search`)."""
    try:
        parsed = Version(version)
    except InvalidVersion:
        return None
    pre = None if parsed.pre is None else [_PRE_LETTERS[parsed.pre[0]], parsed.pre[1]]
    local = None if parsed.local is None else [int(p) if p.isdigit() else p for p in parsed.local.split(".")]
    return [str(parsed), parsed.epoch, list(parsed.release), pre, parsed.post, parsed.dev, local]
