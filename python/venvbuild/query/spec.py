"""SPEC: a PEP 508 package name with an optional version specifier, parsed by packaging."""

import functools
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvbuild.errors import UsageError


@dataclass(frozen=True)
class PackageSpec:
    text: str
    name: str  # PEP 503 normalised: lowercase, runs of '-', '_', '.' become '-'
    specifier: SpecifierSet
    pre: bool = False

    def accepts(self, version: str) -> bool:
        """Whether an installed version satisfies this spec (PEP 440 comparison, 1.10 > 1.9).

        A bare name accepts every version, pre-releases and non-PEP 440 versions included: the build
        contains the package. With a specifier, pre-releases are accepted only when the specifier names
        one (`>=2.0rc1`) or with --pre, as pip decides; a version PEP 440 cannot parse never satisfies one.
        """
        if not self.specifier:
            return True
        return _accepts(self.specifier, self.pre or bool(self.specifier.prereleases), version)


@functools.lru_cache(maxsize=65536)
def _accepts(specifier: SpecifierSet, prereleases: bool, version: str) -> bool:
    try:
        parsed = Version(version)
    except InvalidVersion:
        return False
    return specifier.contains(parsed, prereleases=prereleases)


def parse(text: str, pre: bool = False) -> PackageSpec:
    """Parse one SPEC; anything but a name and version specifiers is a UsageError naming the SPEC."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        why = str(exc).splitlines()[0]
        raise UsageError(f"SPEC {text!r} is not a package name with an optional version specifier: {why}") from None
    if requirement.url or requirement.extras or requirement.marker:
        what = "a URL" if requirement.url else "extras" if requirement.extras else "an environment marker"
        raise UsageError(f"SPEC {text!r} has {what}; give a package name and optional version specifier only")
    return PackageSpec(text, canonicalize_name(requirement.name), requirement.specifier, pre)


def parse_all(texts, pre: bool = False) -> tuple:
    """Parse every SPEC; one name given twice (`pandas>=1` `Pandas<2`) is one spec with both specifiers."""
    if not texts:
        raise UsageError("SPEC: give at least one package, for example `kedro` or 'pandas>=1.5,<2'")
    by_name: dict = {}
    for text in texts:
        spec = parse(text, pre)
        if spec.name in by_name:
            known = by_name[spec.name]
            spec = PackageSpec(f"{known.text} {text}", spec.name, known.specifier & spec.specifier, pre)
        by_name[spec.name] = spec
    return tuple(by_name.values())
