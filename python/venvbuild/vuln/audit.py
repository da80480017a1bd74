"""Auditing builds against a snapshot: which installed (package, version) an advisory affects.

Advisories are indexed by normalised package name, and each (package, version) is decided once however many
builds install it. One vulnerability often has several records (PYSEC-..., GHSA-..., each naming the CVE):
records joined by their ids and aliases are one vulnerability, and a build's package gets one finding for it,
the ids and aliases of every record that matched merged.
"""

from dataclasses import dataclass, field, replace
from typing import Dict, Iterable, List, Sequence, Tuple

from packaging.utils import canonicalize_name

from venvbuild.vuln import osv


@dataclass(frozen=True)
class Finding:
    venv_version: str
    env_name: str
    package: str  # as the build's record spells it
    installed_version: str
    id: str
    aliases: Tuple[str, ...]
    fixed_versions: Tuple[str, ...]
    severity: Tuple[str, ...]
    summary: str
    ignored: str | None = None  # the ignore's reason when one applies

    def ids(self) -> frozenset:
        return frozenset((self.id, *self.aliases))

    def as_json(self) -> dict:
        return {
            "venv_version": self.venv_version,
            "env_name": self.env_name,
            "package": self.package,
            "installed_version": self.installed_version,
            "id": self.id,
            "aliases": list(self.aliases),
            "fixed_versions": list(self.fixed_versions),
            "severity": list(self.severity),
            "summary": self.summary,
            "ignored": self.ignored is not None,
            "ignore_reason": self.ignored,
        }


def _rank(identifier: str) -> tuple:
    """Which id names a merged finding: a GHSA id, else PYSEC, else the smallest."""
    order = 0 if identifier.startswith("GHSA-") else 1 if identifier.startswith("PYSEC-") else 2
    return (order, identifier)


class Database:
    """A snapshot's advisories, indexed for auditing."""

    def __init__(self, advisories: Sequence[osv.Advisory], snapshot: str = ""):
        self.snapshot = snapshot
        self.advisories = list(advisories)
        self.index = osv.by_package(self.advisories)
        self._group = self._groups()
        self._memo: Dict[Tuple[str, str], List[tuple]] = {}

    def _groups(self) -> Dict[str, str]:
        """advisory id -> its vulnerability's representative id (union-find over ids and aliases)."""
        parent: Dict[str, str] = {}

        def find(x: str) -> str:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for adv in self.advisories:
            for alias in adv.aliases:
                a, b = find(adv.id), find(alias)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        return {adv.id: find(adv.id) for adv in self.advisories}

    def matching(self, package: str, version: str) -> List[tuple]:
        """(id, aliases, fixed, severity, summary) of each vulnerability affecting package==version, merged."""
        key = (canonicalize_name(package), version)
        found = self._memo.get(key)
        if found is not None:
            return found
        groups: Dict[str, List[Tuple[osv.Advisory, osv.Affected]]] = {}
        for adv, entry in self.index.get(key[0], ()):
            if entry.affects(version):
                groups.setdefault(self._group[adv.id], []).append((adv, entry))
        found = []
        for hits in groups.values():
            ids = {i for adv, _ in hits for i in (adv.id, *adv.aliases)}
            primary = min((adv.id for adv, _ in hits), key=_rank)
            best = min((adv for adv, _ in hits), key=lambda a: _rank(a.id))
            fixed = sorted({f for _, entry in hits for f in entry.fixed}, key=_version_order)
            severity = tuple(dict.fromkeys(s for adv, _ in sorted(hits, key=lambda h: _rank(h[0].id)) for s in adv.severity))
            summary = best.summary or next((adv.summary for adv, _ in hits if adv.summary), "")
            found.append((primary, tuple(sorted(ids - {primary})), tuple(fixed), severity, summary))
        found.sort()
        self._memo[key] = found
        return found

    def audit(self, record: dict) -> List[Finding]:
        """The findings of one build (its metadata record)."""
        findings = []
        for pin in record.get("installed_packages", ()):
            name, sep, version = pin.partition("==")
            if not sep:
                continue
            version = version.lstrip("=")
            for vid, aliases, fixed, severity, summary in self.matching(name, version):
                findings.append(
                    Finding(
                        record["venv_version"],
                        record.get("env_name") or "",
                        name,
                        version,
                        vid,
                        aliases,
                        fixed,
                        severity,
                        summary,
                    )
                )
        return findings

    def advisories_named(self, identifier: str) -> List[osv.Advisory]:
        """The advisories of the vulnerability identifier names (its id or any alias), withdrawn ones left out."""
        wanted = identifier.upper()
        groups = {self._group[a.id] for a in self.advisories if wanted in {a.id.upper(), *(x.upper() for x in a.aliases)}}
        return [a for a in self.advisories if self._group[a.id] in groups and not a.withdrawn]


def _version_order(text: str):
    parsed = osv.parse_version(text)
    return (0, parsed, "") if parsed is not None else (1, None, text)


@dataclass
class Ignore:
    id: str
    reason: str
    package: str | None = None
    expires: str | None = None  # YYYY-MM-DD: applies through that day (UTC)
    used: bool = field(default=False, compare=False)

    def covers(self, finding: Finding) -> bool:
        if self.id.upper() not in {i.upper() for i in finding.ids()}:
            return False
        return self.package is None or canonicalize_name(self.package) == canonicalize_name(finding.package)


def apply_ignores(findings: Iterable[Finding], ignores: Sequence[Ignore], today: str) -> List[Finding]:
    """findings with ignored set where an ignore in effect today covers them. An expired ignore applies to
    nothing; the caller warns about it (expired())."""
    live = [i for i in ignores if i.expires is None or i.expires >= today]
    if not live:
        return list(findings)
    result = []
    for finding in findings:
        hit = next((i for i in live if i.covers(finding)), None)
        result.append(replace(finding, ignored=hit.reason) if hit is not None else finding)
    return result


def expired(ignores: Sequence[Ignore], today: str) -> List[Ignore]:
    return [i for i in ignores if i.expires is not None and i.expires < today]


def new_since(old: Iterable[Finding], new: Iterable[Finding]) -> List[Finding]:
    """The findings of new that no finding of old for the same build and package shares an id or alias with."""
    before: Dict[Tuple[str, str], List[frozenset]] = {}
    for f in old:
        before.setdefault((f.venv_version, canonicalize_name(f.package)), []).append(f.ids())
    return [f for f in new if not any(f.ids() & ids for ids in before.get((f.venv_version, canonicalize_name(f.package)), ()))]


def read_ignores(path) -> List[Ignore]:
    """An ignore file: {"ignore": [{"id": ..., "reason": ..., "package": ..., "expires": "YYYY-MM-DD"}, ...]};
    anything else is a UsageError naming the file and the entry."""
    import json
    from datetime import date
    from pathlib import Path

    from venvbuild.errors import UsageError

    where = f"--ignore-file {path}"
    try:
        document = json.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("ignore"), list) or set(document) - {"ignore"}:
        raise UsageError(f'{where}: not an ignore file (one object with an "ignore" list)')
    found = []
    for n, entry in enumerate(document["ignore"]):
        at = f"{where}: ignore[{n}]"
        if not isinstance(entry, dict) or set(entry) - {"id", "reason", "package", "expires"}:
            raise UsageError(f"{at}: not an object of id, reason, package and expires")
        for name in ("id", "reason"):
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise UsageError(f"{at}: {name} is required (a non-empty string)")
        for name in ("package", "expires"):
            if name in entry and (not isinstance(entry[name], str) or not entry[name]):
                raise UsageError(f"{at}: {name} must be a non-empty string")
        expires = entry.get("expires")
        if expires is not None:
            try:
                if date.fromisoformat(expires).isoformat() != expires:
                    raise ValueError
            except ValueError:
                raise UsageError(f"{at}: expires {expires!r} is not a date YYYY-MM-DD") from None
        found.append(Ignore(entry["id"], entry["reason"], entry.get("package"), expires))
    return found


def compare(old: Sequence[Finding], new: Sequence[Finding]) -> Tuple[List[Finding], List[Finding]]:
    """(fixed, introduced) between two builds' findings: a vulnerability of a package (any shared id or alias)
    found in one build and not the other."""

    def missing_from(these, others):
        by_package: Dict[str, List[frozenset]] = {}
        for f in others:
            by_package.setdefault(canonicalize_name(f.package), []).append(f.ids())
        return [f for f in these if not any(f.ids() & ids for ids in by_package.get(canonicalize_name(f.package), ()))]

    return missing_from(old, new), missing_from(new, old)
