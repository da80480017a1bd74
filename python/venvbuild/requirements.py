"""Reading requirements files the way pip does, to tell which requirements are pinned.

A pin (pip-tools' definition): not editable, exactly one specifier, `==` or `===`, not ending in `.*`.
A direct URL counts as pinned only when it names one exact artifact: a wheel file (its name carries the
version) or a VCS URL at a full commit hash.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from venvbuild.errors import UnpinnedError, UsageError
from venvbuild.redact import redact

# pip: a comment starts at '#' at the start of a line or after whitespace.
_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
_INCLUDE_OPTIONS = {"-r": "requirement", "--requirement": "requirement", "-c": "constraint", "--constraint": "constraint"}
_GLOBAL_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--trusted-host",
    "--pre", "--prefer-binary", "--only-binary", "--no-binary", "--require-hashes", "--use-feature",
}
# Options pip allows after a requirement on the same line.
_PER_REQUIREMENT_OPTIONS = ("--hash", "--config-settings", "-C", "--global-option", "--install-option")
_COMMIT = re.compile(r"@[0-9a-f]{40}$")


@dataclass(frozen=True)
class Line:
    path: Path
    lineno: int
    text: str

    def where(self) -> str:
        return f"{self.path}:{self.lineno}"


@dataclass
class Entry:
    """One requirement (or constraint) line, parsed."""

    line: Line
    kind: str  # "requirement" or "constraint"
    name: Optional[str] = None
    requirement: Optional[Requirement] = None
    editable: bool = False
    problem: Optional[str] = None  # why it is not pinned, None when it is

    @property
    def pinned_version(self) -> Optional[str]:
        if self.problem is None and self.requirement is not None and self.requirement.specifier:
            return next(iter(self.requirement.specifier)).version
        return None


@dataclass
class RequirementsFile:
    path: Path
    entries: list[Entry] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every file read, the top one first


def logical_lines(path: Path) -> list[Line]:
    """Physical lines joined at backslash continuations, comments and blank lines dropped."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: requirements file not found") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a requirements file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UsageError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None

    lines, pending, start = [], "", 0
    for number, physical in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if physical.endswith("\\") and not _COMMENT.search(physical):
            pending += physical[:-1]
            continue
        logical = _COMMENT.sub("", pending + physical).strip()
        pending = ""
        if logical:
            lines.append(Line(path, start, _expand_env(logical)))
    if pending.strip():
        lines.append(Line(path, start, _expand_env(_COMMENT.sub("", pending).strip())))
    return lines


def _expand_env(text: str) -> str:
    # pip expands ${VAR}; an unset variable stays as written.
    return _ENV_VAR.sub(lambda m: os.environ.get(m.group("name"), m.group(0)), text)


def parse(path, kind: str = "requirement", _chain=()) -> RequirementsFile:
    """Parse path and its includes. A file may be included twice (pip allows it); a file that
    includes itself, directly or through others, is an error."""
    path = Path(path)
    resolved = path.resolve()
    if resolved in _chain:
        raise UsageError(f"{path}: includes itself through {' -> '.join(p.name for p in _chain)} (an include cycle)")
    chain = (*_chain, resolved)
    result = RequirementsFile(path=path, files=[path])
    for line in logical_lines(path):
        if line.text.startswith("-") and not _is_editable(line.text):
            _parse_option(line, kind, result, chain)
        else:
            result.entries.append(_parse_requirement(line, kind))
    return result


def _is_editable(text: str) -> bool:
    return text.startswith(("-e", "--editable"))


def _split_option(text: str):
    """`--opt=value`, `--opt value`, `-o value` or `-ovalue` -> (option, value)."""
    head, _, rest = text.partition(" ")
    if head.startswith("--") and "=" in head:
        option, _, value = head.partition("=")
        return option, f"{value} {rest}".strip()
    if not head.startswith("--") and len(head) > 2:
        return head[:2], f"{head[2:]} {rest}".strip()
    return head, rest.strip()


def _parse_option(line: Line, kind: str, result: RequirementsFile, chain) -> None:
    option, value = _split_option(line.text)
    if option in _INCLUDE_OPTIONS:
        if not value:
            raise UsageError(f"{line.where()}: {option} needs a file name")
        include_kind = "constraint" if _INCLUDE_OPTIONS[option] == "constraint" else kind
        if "://" in value:
            raise UsageError(f"{line.where()}: {option} {redact(value)}: remote includes are not supported, use a local file")
        included = parse(line.path.parent / value, include_kind, chain)
        result.entries.extend(included.entries)
        result.files.extend(f for f in included.files if f not in result.files)
    elif option in _GLOBAL_OPTIONS:
        return
    else:
        raise UsageError(f"{line.where()}: unknown option {option!r} in a requirements file")


def _strip_per_requirement_options(text: str) -> str:
    for option in _PER_REQUIREMENT_OPTIONS:
        index = text.find(" " + option)
        if index != -1:
            text = text[:index]
    return text.strip()


def _parse_requirement(line: Line, kind: str) -> Entry:
    entry = Entry(line=line, kind=kind)
    text = _strip_per_requirement_options(line.text)
    if _is_editable(text):
        entry.editable = True
        entry.problem = "editable requirements are not pinned"
        return entry
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        if text.startswith((".", "/")) or "://" in text or text.endswith((".whl", ".tar.gz", ".zip")):
            entry.problem = "a path or URL without a package name and version is not pinned"
            return entry
        # Not the line itself: a file named by mistake (a .netrc, say) must not be echoed to the console.
        reason = str(exc).splitlines()[0] if str(exc) else "cannot be parsed"
        raise UsageError(f"{line.where()}: not a valid requirement ({reason})") from None
    entry.requirement = req
    entry.name = canonicalize_name(req.name)
    entry.problem = _pin_problem(req)
    return entry


def _pin_problem(req: Requirement) -> Optional[str]:
    if req.url:
        return None if _url_is_pinned(req) else "a URL requirement is pinned only as a wheel file or a VCS commit hash"
    specifiers = list(req.specifier)
    if not specifiers:
        return "no version specifier"
    if len(specifiers) > 1:
        return "a range, not one version"
    spec = specifiers[0]
    if spec.operator not in ("==", "==="):
        return f"'{spec.operator}' is not '=='"
    if spec.version.endswith(".*"):
        return "a wildcard version is not pinned"
    return None


def _url_is_pinned(req: Requirement) -> bool:
    url = (req.url or "").split("#", 1)[0]
    if url.split("+", 1)[0] in ("git", "hg", "svn", "bzr"):
        return bool(_COMMIT.search(url))
    filename = urlsplit(url).path.rsplit("/", 1)[-1]
    try:
        name, _version, _build, _tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    return name == canonicalize_name(req.name)


def unpinned_report(parsed: RequirementsFile) -> list[str]:
    """`FILE:LINE: text (why)` for each requirement that is not pinned, and each package pinned twice differently."""
    report: list[str] = []
    first_pin: dict = {}
    for entry in parsed.entries:
        if entry.problem is not None and entry.kind == "requirement":
            report.append(f"{entry.line.where()}: {redact(entry.line.text)} ({entry.problem})")
        version = entry.pinned_version
        if version is None or entry.name is None:
            continue
        # The same name under different markers (one pin per Python version, say) is no clash.
        marker = str(entry.requirement.marker) if entry.requirement and entry.requirement.marker else ""
        earlier = first_pin.setdefault((entry.name, marker), entry)
        if earlier.pinned_version != version:
            report.append(
                f"{entry.line.where()}: {entry.name} pinned to {version}, "
                f"but to {earlier.pinned_version} at {earlier.line.where()}"
            )
    return report


def check_pins(path) -> RequirementsFile:
    """Parse path; raise UnpinnedError listing every unpinned requirement, UsageError when there are none."""
    parsed = parse(path)
    if not any(e.kind == "requirement" for e in parsed.entries):
        raise UsageError(f"{path}: no requirements in the file")
    report = unpinned_report(parsed)
    if report:
        raise UnpinnedError(report[0] + (f" (and {len(report) - 1} more)" if len(report) > 1 else ""), lines=report)
    return parsed


def stored_text(parsed: RequirementsFile) -> str:
    """The requirements as stored with a build: every file read, credentials redacted."""
    parts = []
    for index, path in enumerate(parsed.files):
        text = path.read_text(encoding="utf-8-sig")
        if index:
            parts.append(f"\n# ---- included from {path} ----\n")
        parts.append(redact(text) if text.endswith("\n") else redact(text) + "\n")
    return "".join(parts)
