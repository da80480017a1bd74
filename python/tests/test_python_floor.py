"""requires-python in pyproject.toml tells the truth: the helper lock (resources/venvbuild/helper-lock.txt,
resolved by uv for every Python from the declared floor up) was written for that same floor, and at the
floor every runtime dependency has a pinned version. A floor set below what a dependency range allows
cannot be locked (`.ci/release-helper` fails to resolve it), and a floor changed without locking again
fails here."""

import re
import sys
from pathlib import Path

import tomllib
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from venvbuild_release import helper_lock

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "resources" / "venvbuild" / "helper-lock.txt"


def declared() -> SpecifierSet:
    return SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"])


def declared_floor() -> Version:
    (lower,) = [s for s in declared() if s.operator == ">="]
    return Version(lower.version)


def lock_floor() -> Version:
    found = re.search(r"(?m)^#\s*python:\s*>=\s*([\d.]+)\s*$", LOCK.read_text(encoding="utf-8"))
    assert found, f"{LOCK.name} names no '# python: >=X.Y' line"
    return Version(found.group(1))


def environment_at(python: Version) -> dict:
    full = f"{python.major}.{python.minor}.0"
    return {"python_version": f"{python.major}.{python.minor}", "python_full_version": full}


def test_requires_python_is_the_floor_the_helper_lock_was_resolved_for():
    assert declared_floor() == lock_floor()


def test_at_the_floor_every_runtime_dependency_has_a_locked_version():
    lock = helper_lock.parse(LOCK.read_text(encoding="utf-8"))
    at_floor = environment_at(declared_floor())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    missing = []
    for text in project["dependencies"]:
        requirement = Requirement(text)
        usable = [
            p
            for p in lock.pin(requirement.name)
            if (not p.marker or Marker(p.marker).evaluate(at_floor)) and p.version in requirement.specifier
        ]
        if not usable:
            missing.append(text)
    assert missing == [], f"no locked version for Python {declared_floor()}"


def test_this_interpreter_is_one_the_project_declares():
    running = Version(".".join(map(str, sys.version_info[:3])))
    assert running in declared()
