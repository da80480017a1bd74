"""OSV records (https://ossf.github.io/osv-schema/): checking one, keeping its PyPI part, and deciding which
versions of a package it affects.

A record's `affected` entries name a package and the versions affected: a `versions` list, and ranges of
events (`introduced`, `fixed`, `last_affected`, `limit`). Only ECOSYSTEM ranges are evaluated, under PEP 440
ordering; a GIT range names commits, not releases, and is ignored (its record's `versions` list, which OSV
fills from it, still counts). `affects` compiles a range into breakpoints once and answers each version with
one bisect; python/tests/test_osv_ranges.py holds it to the schema's own algorithm, run literally.
"""

import bisect
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version

ECOSYSTEM = "PyPI"
EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
SCHEMA_MAJOR = 1  # schema_version 1.x; a record of another major version is skipped


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except (InvalidVersion, TypeError):
        return None


def problem(record) -> str | None:
    """Why record is not an OSV record this code understands, or None."""
    if not isinstance(record, dict):
        return "not a JSON object"
    for name in ("id", "modified"):
        if not isinstance(record.get(name), str) or not record[name]:
            return f"no {name}"
    schema = record.get("schema_version")
    if schema is not None and (not isinstance(schema, str) or schema.split(".")[0] != str(SCHEMA_MAJOR)):
        return f"schema_version {schema!r} is not {SCHEMA_MAJOR}.x"
    for name in ("aliases", "affected", "severity"):
        if name in record and not isinstance(record[name], list):
            return f"{name} is not a list"
    if not all(isinstance(a, str) for a in record.get("aliases", ())):
        return "an alias is not a string"
    for index, entry in enumerate(record.get("affected", ())):
        where = f"affected[{index}]"
        if not isinstance(entry, dict):
            return f"{where} is not an object"
        package = entry.get("package")
        if package is not None and (
            not isinstance(package, dict)
            or not isinstance(package.get("ecosystem"), str)
            or not isinstance(package.get("name"), str)
        ):
            return f"{where}.package has no ecosystem and name"
        if not isinstance(entry.get("versions", []), list) or not all(isinstance(v, str) for v in entry.get("versions", [])):
            return f"{where}.versions is not a list of strings"
        ranges = entry.get("ranges", [])
        if not isinstance(ranges, list):
            return f"{where}.ranges is not a list"
        for r_index, one in enumerate(ranges):
            if not isinstance(one, dict) or not isinstance(one.get("type"), str) or not isinstance(one.get("events"), list):
                return f"{where}.ranges[{r_index}] has no type and events"
            for event in one["events"]:
                if (
                    not isinstance(event, dict)
                    or len(event) != 1
                    or next(iter(event)) not in EVENT_KINDS
                    or not isinstance(next(iter(event.values())), str)
                ):
                    return f"{where}.ranges[{r_index}] has an event that is not one of {', '.join(EVENT_KINDS)}"
    return None


def pypi_part(record: dict) -> dict | None:
    """record with only its PyPI affected entries; None when it has none."""
    kept = [e for e in record.get("affected", ()) if (e.get("package") or {}).get("ecosystem") == ECOSYSTEM]
    if not kept:
        return None
    return {**record, "affected": kept}


# Range evaluation. A version is a packaging Version; "0" as introduced means every version.
_LOWEST = "0"


def _sort_key(value: str):
    """Events in version order, introduced '0' first; an unparseable version sorts nowhere (it is dropped)."""
    return (0, Version("0")) if value == _LOWEST else (1, parse_version(value))


def _events(events: Sequence[dict]) -> List[Tuple[str, str, Version | None]]:
    """(kind, text, parsed) of each event whose version PEP 440 can read (and introduced '0'), in version order."""
    found = []
    for event in events:
        ((kind, text),) = event.items()
        if kind == "limit" and text == "*":
            continue  # no limit
        parsed = None if text == _LOWEST and kind == "introduced" else parse_version(text)
        if parsed is None and not (text == _LOWEST and kind == "introduced"):
            continue
        found.append((kind, text, parsed))
    return sorted(found, key=lambda e: (0, Version("0")) if e[2] is None else (1, e[2]))


@dataclass
class CompiledRange:
    """A range as breakpoints: points[i]'s state at the point and between it and the next one."""

    points: List[Version] = field(default_factory=list)
    at: List[bool] = field(default_factory=list)
    after: List[bool] = field(default_factory=list)
    before: bool = False  # below the first point

    def affects(self, version: Version) -> bool:
        i = bisect.bisect_right(self.points, version) - 1
        if i < 0:
            return self.before
        return self.at[i] if self.points[i] == version else self.after[i]


def compile_range(events: Sequence[dict]) -> CompiledRange:
    """The range's state is constant between the versions its events name: work it out once for each."""
    ordered = _events(events)
    points = sorted({v for _, _, v in ordered if v is not None})
    limits = [v for kind, _, v in ordered if kind == "limit" and v is not None]

    def state(at_or_below, strictly_below) -> bool:
        affected = False
        for kind, _, v in ordered:
            if kind == "introduced" and (v is None or at_or_below(v)):
                affected = True
            elif kind == "fixed" and v is not None and at_or_below(v):  # noqa: SIM114 (the schema's three cases)
                affected = False
            elif kind == "last_affected" and v is not None and strictly_below(v):
                affected = False
        return affected

    compiled = CompiledRange(points=points)
    compiled.before = state(lambda v: False, lambda v: False)  # every limit is above: limits are points
    for p in points:
        # Below a limit: at p, and between p and the next point, iff some limit is above p (limits are points).
        below_limit = not limits or any(p < v for v in limits)
        compiled.at.append(state(lambda v, p=p: v <= p, lambda v, p=p: v < p) and below_limit)
        compiled.after.append(state(lambda v, p=p: v <= p, lambda v, p=p: v <= p) and below_limit)
    return compiled


def listed_form(text: str) -> str:
    """A version as a `versions` list entry is compared: PEP 440-equal versions alike (1.0 and 1.0.0)."""
    return canonicalize_version(text, strip_trailing_zero=True) if parse_version(text) is not None else text


@dataclass
class Affected:
    """One affected entry of an advisory, for one normalised package name."""

    package: str
    events: List[Sequence[dict]]  # of each ECOSYSTEM range, compiled the first time a version is asked about
    listed: Sequence[str]  # the `versions` list as given
    fixed: Tuple[str, ...]
    _ranges: List[CompiledRange] | None = None
    _versions: frozenset | None = None

    @property
    def ranges(self) -> List[CompiledRange]:
        if self._ranges is None:
            self._ranges = [compile_range(events) for events in self.events]
        return self._ranges

    @property
    def versions(self) -> frozenset:
        """The `versions` list: normalised PEP 440 strings, or the text as given."""
        if self._versions is None:
            self._versions = frozenset(listed_form(text) for text in self.listed)
        return self._versions

    def affects(self, version_text: str) -> bool:
        if self.listed and listed_form(version_text) in self.versions:
            return True
        version = parse_version(version_text)
        return version is not None and any(r.affects(version) for r in self.ranges)


@dataclass
class Advisory:
    id: str
    aliases: Tuple[str, ...]
    summary: str
    severity: Tuple[str, ...]  # as given: "CVSS_V3:CVSS:3.1/AV:N/..." and database_specific's label
    withdrawn: str | None
    modified: str
    affected: List[Affected]


def _severity(record: dict, entries: Sequence[dict]) -> Tuple[str, ...]:
    found = []
    for item in [*record.get("severity", ()), *(s for e in entries for s in e.get("severity", ()) or ())]:
        if isinstance(item, dict) and isinstance(item.get("score"), str):
            found.append(f"{item.get('type', '')}:{item['score']}")
    label = (record.get("database_specific") or {}).get("severity") if isinstance(record.get("database_specific"), dict) else None
    if isinstance(label, str) and label:
        found.append(label)
    return tuple(dict.fromkeys(found))


def advisory(record: dict) -> Advisory:
    """A checked PyPI record (problem(record) is None) ready to match versions."""
    affected = []
    for entry in record.get("affected", ()):
        package = entry.get("package") or {}
        if package.get("ecosystem") != ECOSYSTEM:
            continue
        ranges = [r["events"] for r in entry.get("ranges", ()) if r.get("type") == "ECOSYSTEM"]
        fixed = tuple(
            dict.fromkeys(
                ev["fixed"]
                for r in entry.get("ranges", ())
                if r.get("type") == "ECOSYSTEM"
                for ev in r["events"]
                if "fixed" in ev
            )
        )
        affected.append(Affected(canonicalize_name(package["name"]), ranges, entry.get("versions", ()), fixed))
    return Advisory(
        id=record["id"],
        aliases=tuple(record.get("aliases", ())),
        summary=str(record.get("summary") or ""),
        severity=_severity(record, record.get("affected", ())),
        withdrawn=record.get("withdrawn") or None,
        modified=record["modified"],
        affected=affected,
    )


def by_package(advisories: Sequence[Advisory]) -> Dict[str, List[Tuple[Advisory, Affected]]]:
    """normalised package name -> the (advisory, entry) pairs naming it; withdrawn advisories left out."""
    index: Dict[str, List[Tuple[Advisory, Affected]]] = {}
    for adv in advisories:
        if adv.withdrawn:
            continue
        for entry in adv.affected:
            index.setdefault(entry.package, []).append((adv, entry))
    return index
