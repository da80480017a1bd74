"""The pin gate over requirements files, and the self-contained copy stored with a build.

The files are read by venvbuild.build.requirements_reader, as pip reads them. Memory and time grow with the input: the gate
keeps two hashes per distinct pinned package, never a record per line.
"""

import hashlib
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion

from venvbuild._util.redact import redact

# The reader's model, for callers that want requirements as pip reads them (the build fingerprint).
from venvbuild.build.requirements_reader import (
    MAX_BYTES,
    Entry,
    Include,
    Line,
    Option,
    Requirements,
    from_records,
    is_url,
    model,
    parse,
    to_records,
    walk,
)
from venvbuild.errors import UnpinnedError, UsageError
from venvbuild.record import artifacts

__all__ = [
    "MAX_BYTES",
    "Entry",
    "Line",
    "Option",
    "Requirements",
    "parse",
    "walk",
    "PinCheck",
    "pin_gate",
    "check_pins",
    "unpinned_report",
    "Stored",
    "stored_text",
    "Read",
    "read",
    "read_back",
]


def _pin_key(specifier: str) -> str:
    # == compares versions (2.31 is 2.31.0, 1.0 is 1.0.0+ nothing); === compares strings, as pip does.
    if specifier.startswith("==="):
        return specifier
    try:
        return "==" + canonicalize_version(specifier[2:], strip_trailing_zero=True)
    except InvalidVersion:
        return specifier


class _PinGate:
    """Collects the pin gate's findings one entry at a time.

    Memory is what a large file costs, so a first pass keeps two machine-word hashes per pinned package
    (its name and marker, its pin), never a record per line. Only when two pins of one package differ does
    a second pass (`only`: those packages' hashes) keep full records for them, to name both lines."""

    def __init__(self, only: set | None = None) -> None:
        self.report: List[str] = []
        self.requirements = 0
        self.only = only
        self.pins: Dict[int, int] = {}
        self.clashing: set = set()
        self.first_pin: Dict[str, Tuple[str, Path, int]] = {}

    def add(self, entry: Entry) -> None:
        if entry.kind == "constraint":
            # pip's resolver refuses these (check_invalid_constraint_type); say so before installing.
            problem = (
                "editable requirements are not allowed as constraints"
                if entry.editable
                else "a constraint needs a package name"
                if entry.name is None
                else "constraints cannot have extras"
                if entry.extras
                else None
            )
            if problem:
                raise UsageError(f"{entry.line.where()}: {problem} (pip refuses it)")
        if entry.kind == "requirement":
            self.requirements += 1
            if entry.problem is not None:
                self.report.append(f"{entry.line.where()}: {redact(entry.line.text)} ({entry.problem})")
        if entry.pinned_version is None or entry.name is None:
            return
        # The same name under different markers (one pin per Python version, say) is no clash.
        key = f"{entry.name};{entry.marker}" if entry.marker else entry.name
        if self.only is None:
            key_hash, pin_hash = hash(key), hash(_pin_key(entry.specifier))
            if self.pins.setdefault(key_hash, pin_hash) != pin_hash:
                self.clashing.add(key_hash)
        elif hash(key) in self.only:
            earlier = self.first_pin.setdefault(key, (entry.specifier, entry.line.path, entry.line.lineno))
            if earlier[0] != entry.specifier and _pin_key(earlier[0]) != _pin_key(entry.specifier):
                self.report.append(
                    f"{entry.line.where()}: {entry.name} pinned to {entry.pinned_version}, "
                    f"but to {earlier[0].lstrip('=')} at {earlier[1]}:{earlier[2]}"
                )


def _gate(entries) -> "_PinGate":
    """Run the gate over entries, an iterable that can be made again (a second pass names the clashes)."""
    gate = _PinGate()
    for entry in entries():
        gate.add(entry)
    if not gate.clashing:
        return gate
    second = _PinGate(only=gate.clashing)
    for entry in entries():
        second.add(entry)
    return second


def unpinned_report(parsed: Requirements) -> List[str]:
    """`FILE:LINE: text (why)` for each requirement that is not pinned, and each package pinned twice differently."""
    return _gate(lambda: iter(parsed.entries)).report


@dataclass
class PinCheck:
    requirements: int  # how many requirement lines (constraints not counted)
    report: List[str]  # unpinned_report's lines


def pin_gate(path, items=None) -> PinCheck:
    """The gate over path and its includes: items when given (what read() gave), else read streaming;
    UsageError when they hold no requirement."""
    source = (lambda: iter(items)) if items is not None else (lambda: walk(path))
    gate = _gate(lambda: (item for item in source() if isinstance(item, Entry)))
    if not gate.requirements:
        raise UsageError(f"{path}: no requirements in the file")
    return PinCheck(gate.requirements, gate.report)


def check_pins(path, items=None) -> PinCheck:
    """pin_gate, raising UnpinnedError listing every unpinned requirement."""
    checked = pin_gate(path, items)
    report = checked.report
    if report:
        raise UnpinnedError(report[0] + (f" (and {len(report) - 1} more)" if len(report) > 1 else ""), lines=report)
    return checked


@dataclass
class Stored:
    """The stored requirements: requirements.txt, and constraints.txt when the inputs have constraints."""

    requirements: str
    constraints: str | None = None


def stored_text(path, items=None) -> Stored:
    """Self-contained copies that `pip install -r` reads as the build's inputs: -r includes inlined where
    they stood, every constraint (from -c files at any depth) moved to constraints.txt, which
    requirements.txt names with `-c` (pip has no way to mark a line of a requirements file as a constraint),
    relative --find-links made absolute as pip resolves them, credentials redacted. ${VAR} references stay
    as written: pip expands them when it reads the copy, and their values are often credentials.
    items: what read() gave, instead of reading path again."""
    requirements: List[str] = []
    constraints: List[str] = []
    last_source: Dict[int, Path] = {}
    for item in items if items is not None else walk(path):
        if isinstance(item, Include):
            continue
        # Options in a constraints file act on the whole install in pip: they stay in requirements.txt.
        target = constraints if isinstance(item, Entry) and item.kind == "constraint" else requirements
        if last_source.get(id(target)) != item.line.path:
            last_source[id(target)] = item.line.path
            shown = "".join(c if c.isprintable() else "?" for c in str(item.line.path))
            target.append(f"# from {shown}\n")
        text = _absolute_find_links(item) if isinstance(item, Option) else item.line.written
        target.append(redact(text) + "\n")
    if not constraints:
        return Stored("".join(requirements))
    constraints_text = "".join(constraints)
    digest = hashlib.sha256(constraints_text.encode("utf-8")).hexdigest()
    head = f"-c {artifacts.CONSTRAINTS}  # sha256:{digest}\n"
    return Stored(head + "".join(requirements), constraints_text)


def _absolute_find_links(option: Option) -> str:
    """pip resolves a relative --find-links against the requirements file's folder when it exists there;
    the stored copy lives elsewhere, so it names the folder absolutely."""
    links = option.values.get("find_links")
    if not links or len(option.values) != 1 or len(links) != 1 or option.line.written != option.line.text:
        return option.line.written
    value = links[0]
    if is_url(value) or os.path.isabs(value):
        return option.line.written
    candidate = option.line.path.parent / value
    if not candidate.exists():
        return option.line.written
    return f"--find-links {shlex.quote(str(candidate.resolve()))}"


@dataclass
class Read:
    """The requirements as one build read them, once: every later stage works from this, not the file
    (which may have changed since). records is what the work folder's state keeps (requirements_reader.
    to_records: no credential, no ${VAR} value); had_credentials says the file held credentials, which
    the records do not: then only the user's file, unchanged, can give them to the installer."""

    path: Path
    items: list
    had_credentials: bool

    @property
    def records(self) -> list:
        return to_records(self.items)

    @property
    def parsed(self) -> Requirements:
        return model(self.path, self.items)

    def stored(self) -> Stored:
        return stored_text(self.path, self.items)


def read(path) -> Read:
    """Read path and its includes once (UsageError for what the reader refuses)."""
    items = list(walk(path))
    return Read(Path(path), items, any(redact(item.line.written) != item.line.written for item in items))


def read_back(path, records, had_credentials: bool = False) -> Read:
    """The Read a work folder's state kept (path: the user's file, as validate was given it)."""
    return Read(Path(path), from_records(records), had_credentials)
