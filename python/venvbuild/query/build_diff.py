"""What changed between two builds: packages (by PEP 503 name, versions in PEP 440 order), the interpreter,
platform and installer, and the conflicts gained and lost. Printed as text, JSON or Markdown."""

import json
from dataclasses import asdict, dataclass, field
from typing import List

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from venvbuild._util.terminal import printable
from venvbuild.build.conflicts import Conflict

# The build facts compared besides packages: (metadata field, label).
ENVIRONMENT = (("python_full_version", "python"), ("platform", "platform"), ("installer", "installer"))


@dataclass
class BuildDiff:
    old: str
    new: str
    added: List[list] = field(default_factory=list)  # [name, version]
    removed: List[list] = field(default_factory=list)  # [name, version]
    upgraded: List[list] = field(default_factory=list)  # [name, old version, new version]
    downgraded: List[list] = field(default_factory=list)
    changed: List[list] = field(default_factory=list)  # versions PEP 440 cannot order, or equal but spelt otherwise
    environment: List[list] = field(default_factory=list)  # [label, old, new]
    conflicts_gained: List[str] = field(default_factory=list)
    conflicts_lost: List[str] = field(default_factory=list)
    # [venv_version, normalised name, [pins as the record spells them]]: one package listed more than once
    # in a record (six==1.16.0 and Six==1.16.0); the first of them is the one compared.
    duplicates: List[list] = field(default_factory=list)

    @property
    def same_packages(self) -> bool:
        """No package added, removed or changed, and none listed twice (which of its pins is installed?)."""
        return not (self.added or self.removed or self.upgraded or self.downgraded or self.changed or self.duplicates)

    def as_dict(self) -> dict:
        return {**asdict(self), "same_packages": self.same_packages}


def installed(meta: dict) -> dict:
    """normalised name -> (name as spelt, version) of a build's installed packages; a package listed more
    than once (duplicates) counts as its first pin."""
    found: dict = {}
    for pin in meta.get("installed_packages") or []:
        name, _, version = pin.partition("==")
        found.setdefault(canonicalize_name(name), (name, version))
    return found


def duplicates(meta: dict) -> List[list]:
    """[[venv_version, normalised name, [pins]]] for each package a record lists more than once, under one
    spelling or several (PEP 503: six, Six and SIX are one package)."""
    pins: dict = {}
    for pin in meta.get("installed_packages") or []:
        pins.setdefault(canonicalize_name(pin.partition("==")[0]), []).append(pin)
    return [[meta["venv_version"], name, listed] for name, listed in sorted(pins.items()) if len(listed) > 1]


def conflict_lines(meta: dict) -> List[str]:
    """Every recorded conflict (cycles included) as its one-line description."""
    details = meta.get("conflict_details")
    if details is None:
        return list(meta.get("conflicts") or [])
    return [Conflict(**record).describe() for record in details]


def compare(old: dict, new: dict) -> BuildDiff:
    diff = BuildDiff(old["venv_version"], new["venv_version"])
    diff.duplicates = duplicates(old) + duplicates(new)
    before, after = installed(old), installed(new)
    for key in sorted(set(before) | set(after)):
        if key not in after:
            diff.removed.append(list(before[key]))
        elif key not in before:
            diff.added.append(list(after[key]))
        else:
            (name, was), (_, now) = before[key], after[key]
            if was != now:
                order = _order(was, now)
                target = {1: diff.upgraded, -1: diff.downgraded}.get(order, diff.changed) if order else diff.changed
                target.append([name, was, now])
    for name, label in ENVIRONMENT:
        if old.get(name) != new.get(name):
            diff.environment.append([label, old.get(name), new.get(name)])
    was, now = conflict_lines(old), conflict_lines(new)
    diff.conflicts_gained = [c for c in now if c not in was]
    diff.conflicts_lost = [c for c in was if c not in now]
    return diff


def _order(was: str, now: str) -> int | None:
    """1 when now is later by PEP 440, -1 when earlier, None when it cannot tell (or they are equal)."""
    try:
        a, b = Version(was), Version(now)
    except InvalidVersion:
        return None
    return 1 if b > a else -1 if b < a else None


def as_json(diff: BuildDiff) -> str:
    return json.dumps(diff.as_dict())


def as_text(diff: BuildDiff) -> str:
    """One line per change; each value made printable (terminal.printable), so a record's text can neither
    drive the terminal nor start a line of its own."""
    diff = _printable(diff)
    lines = [f"{diff.old} -> {diff.new}"]
    lines += [f"{label}: {was} -> {now}" for label, was, now in diff.environment]
    lines += [f"+ {name} {version}" for name, version in diff.added]
    lines += [f"- {name} {version}" for name, version in diff.removed]
    lines += [f"^ {name} {was} -> {now}" for name, was, now in diff.upgraded]
    lines += [f"v {name} {was} -> {now}" for name, was, now in diff.downgraded]
    lines += [f"~ {name} {was} -> {now}" for name, was, now in diff.changed]
    lines += [f"conflict gained: {c}" for c in diff.conflicts_gained]
    lines += [f"conflict lost: {c}" for c in diff.conflicts_lost]
    lines += [
        f"duplicate in {version}: {name} listed as {', '.join(pins)}; compared as {pins[0]}"
        for version, name, pins in diff.duplicates
    ]
    if len(lines) == 1:
        lines.append("no differences")
    elif diff.same_packages:
        lines.append("same installed packages")
    return "\n".join(lines)


def _printable(diff: BuildDiff) -> BuildDiff:
    """The diff with every text made printable, as one value of a line (None stays None)."""

    def clean(value):
        if isinstance(value, list):
            return [clean(v) for v in value]
        return printable(value, lines=False) if isinstance(value, str) else value

    return BuildDiff(**{name: clean(value) for name, value in vars(diff).items()})


def as_markdown(diff: BuildDiff) -> str:
    out = [f"## `{diff.old}` → `{diff.new}`", ""]
    if diff.environment:
        out += ["| | before | after |", "| --- | --- | --- |"]
        out += [f"| {label} | {_md(was)} | {_md(now)} |" for label, was, now in diff.environment]
        out.append("")
    rows = (
        [("added", n, "", v) for n, v in diff.added]
        + [("removed", n, v, "") for n, v in diff.removed]
        + [("upgraded", n, a, b) for n, a, b in diff.upgraded]
        + [("downgraded", n, a, b) for n, a, b in diff.downgraded]
        + [("changed", n, a, b) for n, a, b in diff.changed]
    )
    if rows:
        out += ["| change | package | before | after |", "| --- | --- | --- | --- |"]
        out += [f"| {kind} | {_md(name)} | {_md(a)} | {_md(b)} |" for kind, name, a, b in rows]
        out.append("")
    else:
        out += ["Same installed packages.", ""]
    out += [f"- conflict gained: {_md(c)}" for c in diff.conflicts_gained]
    out += [f"- conflict lost: {_md(c)}" for c in diff.conflicts_lost]
    out += [
        f"- duplicate in `{version}`: {_md(name)} listed as {_md(', '.join(pins))}; compared as {_md(pins[0])}"
        for version, name, pins in diff.duplicates
    ]
    return "\n".join(out).rstrip() + "\n"


def _md(value) -> str:
    return "" if value is None else printable(str(value), lines=False).replace("|", "\\|")
