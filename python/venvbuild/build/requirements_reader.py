"""Reading requirements files the way pip does: the requirements, constraints and options pip reads.

Each step mirrors pip's own reader (pip/_internal/req/req_file.py and req/constructors.py);
python/tests/test_requirements_vs_pip.py runs both on one corpus. `parse(path)` gives the whole model,
`walk(path)` the same one item at a time. Files are read in chunks, so memory does not grow with a file.

Each Entry also says whether it is pinned (`problem`, None when it is): pip-tools' definition, not
editable, exactly one specifier, `==` or `===`, not ending in `.*`; a direct URL or path only when it
names one exact artifact, a wheel file (its name carries the version) or a VCS URL at a full commit hash.
"""

import codecs
import optparse
import os
import re
import shlex
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple
from urllib.parse import unquote, urlsplit

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from venvbuild._util.redact import redact
from venvbuild.errors import UsageError

# Every file read (the top one, each -r/-c include, each repeat of an include) counts against this budget,
# so no input, however crafted, makes the helper read more than this in all.
MAX_BYTES = 64 * 1024 * 1024
# Includes nest at most this deep (each level is a frame of the reader; pip has no limit and crashes).
MAX_DEPTH = 100

# pip: a comment starts at '#' at the start of a line or after whitespace.
_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
# str.splitlines' line boundaries; files are read a chunk at a time, never whole.
_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_CHUNK = 1 << 16
_URL_SCHEMES = {"http", "https", "file", "ftp"} | {
    "bzr+file",
    "bzr+ftp",
    "bzr+http",
    "bzr+https",
    "bzr+lp",
    "bzr+sftp",
    "bzr+ssh",
    "git+file",
    "git+git",
    "git+http",
    "git+https",
    "git+ssh",
    "hg+file",
    "hg+http",
    "hg+https",
    "hg+ssh",
    "hg+static-http",
    "svn+file",
    "svn+http",
    "svn+https",
    "svn+ssh",
    "svn+svn",
}
_VCS = ("git", "hg", "svn", "bzr")
_ARCHIVES = (
    ".zip",
    ".whl",
    ".tar.bz2",
    ".tbz",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
)
_EGG = re.compile(r"[#&]egg=([^&]*)")
_FULL_COMMIT = re.compile(r"@(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_STRONG_HASHES = ("sha256", "sha384", "sha512")
_SIMPLE_PIN = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==([0-9][0-9A-Za-z.+!_-]*)")


class _OptionError(Exception):
    pass


class _LineOptions(optparse.OptionParser):
    """The options pip accepts in a requirements file (req_file.SUPPORTED_OPTIONS and SUPPORTED_OPTIONS_REQ),
    parsed by optparse as pip does: `--opt=value`, `--opt value`, `-ovalue`, unique abbreviations."""

    def __init__(self) -> None:
        super().__init__(add_help_option=False)
        add = self.add_option
        add("-i", "--index-url", "--pypi-url", dest="index_url")
        add("--extra-index-url", dest="extra_index_urls", action="append")
        add("--no-index", action="store_true")
        add("-c", "--constraint", dest="constraints", action="append")
        add("-r", "--requirement", dest="requirements", action="append")
        add("-e", "--editable", dest="editables", action="append")
        add("-f", "--find-links", dest="find_links", action="append")
        add("--no-binary", dest="no_binary", action="append")
        add("--only-binary", dest="only_binary", action="append")
        add("--prefer-binary", action="store_true")
        add("--require-hashes", action="store_true")
        add("--pre", action="store_true")
        add("--trusted-host", dest="trusted_hosts", action="append")
        add("--use-feature", dest="features_enabled", action="append")
        add("--global-option", dest="global_options", action="append")
        add("--hash", dest="hashes", action="callback", type="string", callback=_hash_option)
        add("-C", "--config-settings", dest="config_settings", action="callback", type="string", callback=_config_setting)

    def error(self, msg):
        unknown = msg.partition("no such option: ")[2]
        raise _OptionError(f"unknown option {unknown!r} in a requirements file" if unknown else msg)

    def exit(self, status=0, msg=None):
        raise _OptionError(msg or "bad option")


def _hash_option(option, opt_str, value, parser):
    algorithm, sep, digest = value.partition(":")
    if not sep:
        raise _OptionError(f"{opt_str} {value!r}: expected algorithm:digest, e.g. sha256:...")
    if algorithm not in _STRONG_HASHES:
        raise _OptionError(f"{opt_str}: {algorithm!r} is not one of {', '.join(_STRONG_HASHES)}")
    hashes = parser.values.hashes or {}
    hashes.setdefault(algorithm, []).append(digest)
    parser.values.hashes = hashes


def _config_setting(option, opt_str, value, parser):
    key, sep, val = value.partition("=")
    if not sep:
        raise _OptionError(f"{opt_str} {value!r}: expected KEY=VALUE")
    settings = parser.values.config_settings or {}
    settings.setdefault(key, []).append(val)
    parser.values.config_settings = settings


_OPTIONS = _LineOptions()


@dataclass(frozen=True)
class Line:
    """Where something was read: the file, the line number (the first of a continued line), the text."""

    path: Path
    lineno: int
    text: str  # comments dropped, continuations joined, ${VAR} expanded: what pip parses
    written: str = ""  # the same before ${VAR} expansion

    def where(self) -> str:
        return f"{self.path}:{self.lineno}"


@dataclass
class Entry:
    """One requirement or constraint, as pip reads it."""

    line: Line
    kind: str  # "requirement" or "constraint"
    name: str | None = None  # canonical; None for a path or URL that names no package
    specifier: str = ""  # normalised by packaging, e.g. "==1.5.3" or "<2,>=1"
    extras: Tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None
    editable: bool = False
    hashes: Dict[str, List[str]] = field(default_factory=dict)
    problem: str | None = None  # why it is not pinned, None when it is
    requirement_text: str = ""  # the requirement part of the line, options left out

    @property
    def pinned_version(self) -> str | None:
        if self.problem is None and self.specifier.startswith(("==", "===")):
            return self.specifier.lstrip("=")
        return None

    def normalised(self) -> str:
        """One canonical string for what pip installs from this line: `name[extras]spec @ url ; marker --hash=...`."""
        text = self.name or ""
        if self.extras:
            text += f"[{','.join(self.extras)}]"
        if not self.url:  # a URL's version, if any, is the wheel's: the URL says it all
            text += self.specifier
        if self.url:
            text = f"{text} @ {redact(self.url)}" if text else redact(self.url)
        if self.marker:
            text += f" ; {self.marker}"
        text += "".join(f" --hash={a}:{d}" for a in sorted(self.hashes) for d in sorted(self.hashes[a]))
        return ("-e " if self.editable else "") + text


@dataclass
class Option:
    """A global option line (`--index-url`, `--find-links`, `--pre`, ...), as pip reads it."""

    line: Line
    values: Dict[str, Any]  # optparse destinations set on the line, e.g. {"index_url": "https://..."}
    file_kind: str = "requirement"  # of the file holding the line

    def normalised(self) -> str:
        return redact(" ".join(f"{k}={v}" for k, v in sorted(self.values.items())))


@dataclass
class Requirements:
    """A requirements file and its includes, flattened in the order pip reads them.

    entries: requirements and constraints (Entry.kind), options: global option lines, files: every file
    read (the top one first). Each Entry and Option carries its Line (file, line number, text)."""

    path: Path
    entries: List[Entry] = field(default_factory=list)
    options: List[Option] = field(default_factory=list)
    files: List[Path] = field(default_factory=list)

    @property
    def requirements(self) -> List[Entry]:
        return [e for e in self.entries if e.kind == "requirement"]

    @property
    def constraints(self) -> List[Entry]:
        return [e for e in self.entries if e.kind == "constraint"]

    def normalised(self) -> List[str]:
        """`requirement ...`, `constraint ...`, `option ...` lines, credentials redacted: what pip reads,
        independent of comments, spelling (case, `_` vs `-`, spaces) and how the files are split."""
        return [f"{e.kind} {e.normalised()}" for e in self.entries] + [f"option {o.normalised()}" for o in self.options]


@dataclass(frozen=True)
class Include:
    """An -r/-c line; yielded before the included file's items."""

    line: Line
    path: Path
    kind: str  # of the included file: requirement or constraint
    option: str = ""  # as written: `-r base.txt`
    file_kind: str = "requirement"  # of the file holding the line


Item = Entry | Option | Include


class _Budget:
    def __init__(self, limit: int):
        self.left = limit


def walk(path, kind: str = "requirement") -> Iterator[Item]:
    """Entries, options and includes of path and everything it includes, in pip's order, one at a time."""
    path = Path(path)
    return _walk(path, kind, (), _Budget(MAX_BYTES), None)


def _walk(path: Path, kind: str, chain, budget: _Budget, included_at: Tuple[Line, str] | None) -> Iterator[Item]:
    resolved = path.resolve()
    if resolved in chain and included_at is not None:  # the top file starts the chain
        line, option = included_at
        raise UsageError(
            f"{line.where()}: {option}: includes itself through {' -> '.join(p.name for p in chain)} (an include cycle)"
        )
    if len(chain) >= MAX_DEPTH and included_at is not None:
        raise UsageError(f"{included_at[0].where()}: {included_at[1]}: includes nested more than {MAX_DEPTH} deep")
    chain = (*chain, resolved)
    for line in _logical_lines(path, _physical_lines(path, budget, included_at)):
        item = _item(line, kind)
        yield item
        if isinstance(item, Include):
            yield from _walk(item.path, item.kind, chain, budget, (line, item.option))


def _item(line: Line, kind: str) -> Item:
    """What one logical line of a file of kind (requirement or constraint) says."""
    args, options = _split_args_options(line.text)
    values = _parse_options(line, options)
    if args:
        return _requirement(line, kind, args, values, editable=False)
    if values.get("editables"):
        return _requirement(line, kind, values["editables"][0], {}, editable=True)
    if values.get("requirements") or values.get("constraints"):
        # As pip: only the first include of a line counts, -r before -c, and a -r inside a constraints
        # file adds requirements (pip installs them), never constraints.
        if values.get("requirements"):
            option, value, include_kind = "-r", values["requirements"][0], "requirement"
        else:
            option, value, include_kind = "-c", values["constraints"][0], "constraint"
        if "://" in value or re.match(r"(?i)(https?|file):", value):
            raise UsageError(f"{line.where()}: {option} {redact(value)}: remote includes are not supported, use a local file")
        return Include(line, line.path.parent / value, include_kind, f"{option} {value}", kind)
    return Option(line, values, kind)


def to_records(items) -> List[Dict[str, Any]]:
    """items as JSON values: where each line was read, the kind of file it was in and its text as written
    (before ${VAR} expansion: no variable's value, often a credential, is kept), credentials redacted.
    from_records gives the items back, without reading any file."""
    return [
        {
            "path": str(item.line.path),
            "lineno": item.line.lineno,
            "written": redact(item.line.written),
            "kind": item.file_kind if isinstance(item, (Option, Include)) else item.kind,
        }
        for item in items
    ]


def from_records(records) -> List[Item]:
    """The items to_records kept, rebuilt as the reader builds them (${VAR} expanded now)."""
    items: List[Item] = []
    for record in records:
        try:
            written = str(record["written"])
            line = Line(Path(record["path"]), int(record["lineno"]), _expand_env(written), written)
            if record["kind"] not in ("requirement", "constraint"):
                raise ValueError(record["kind"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"the kept requirements are not what venvbuild wrote ({exc!r}); run validate again") from None
        items.append(_item(line, record["kind"]))
    return items


def _physical_lines(path: Path, budget: _Budget, included_at) -> Iterator[str]:
    """The file's lines as str.splitlines() gives them, read in chunks: only a regular file, and only while
    the budget lasts (a device or FIFO never ends)."""
    where = f"{included_at[0].where()}: {included_at[1]}: " if included_at else f"{path}: "
    too_large = f"{where}requirements larger than {MAX_BYTES // (1024 * 1024)} MiB in all (files and their includes)"
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise UsageError(f"{where}requirements file not found" + (f" ({path})" if included_at else "")) from None
    except OSError as exc:
        raise UsageError(f"{where}cannot read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{where}is a directory, not a requirements file")
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"{where}is not a regular file (a device, FIFO or socket); requirements files must be regular files")
        if info.st_size > budget.left:
            raise UsageError(too_large)
        decoder = codecs.getincrementaldecoder("utf-8")()
        pending, newlines, first = "", 0, True
        while True:
            try:
                chunk = handle.read(min(_CHUNK, budget.left + 1))
            except OSError as exc:
                raise UsageError(f"{where}cannot read: {exc.strerror}") from None
            if len(chunk) > budget.left:
                raise UsageError(too_large)  # the file grew after fstat
            budget.left -= len(chunk)
            buffered = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = buffered + chunk
                lineno = newlines + data[: exc.start].count(b"\n") + 1
                raise UsageError(f"{path}:{lineno}: not UTF-8 text (byte 0x{data[exc.start]:02x})") from None
            newlines += chunk.count(b"\n")
            if first and text:
                text, first = text[1:] if text.startswith("\ufeff") else text, False
            lines = (pending + text).splitlines(keepends=True)
            # A last line without its end, or ending in "\r" (maybe half of "\r\n"), waits for the next chunk.
            unfinished = lines and (lines[-1].endswith("\r") or lines[-1][-1] not in _BREAKS)
            pending = lines.pop() if chunk and unfinished else ""
            for line in lines:
                yield line[:-2] if line.endswith("\r\n") else line[:-1] if line[-1] in _BREAKS else line
            if not chunk:
                return


def _logical_lines(path: Path, physical_lines: Iterator[str]) -> Iterator[Line]:
    """pip's preprocess(): join backslash continuations (a line that is a comment ends one), drop comments
    and blank lines, expand ${VAR}. An inline comment ending in a backslash continues too, as in pip: the
    next line joins the comment and is dropped with it."""
    pending: List[str] = []
    first = 0
    for number, physical in enumerate(physical_lines, start=1):
        if physical.endswith("\\") and not _COMMENT.match(physical):
            if not pending:
                first = number
            pending.append(physical.strip("\\"))
            continue
        if _COMMENT.match(physical):
            physical = " " + physical
        if pending:
            pending.append(physical)
            physical, number, pending = "".join(pending), first, []
        logical = _COMMENT.sub("", physical).strip()
        if logical:
            yield Line(path, number, _expand_env(logical), logical)
    if pending:
        logical = _COMMENT.sub("", "".join(pending)).strip()
        if logical:
            yield Line(path, first, _expand_env(logical), logical)


def _expand_env(text: str) -> str:
    # pip expands ${VAR}; an unset or empty variable stays as written.
    return _ENV_VAR.sub(lambda m: os.environ.get(m.group("name")) or m.group(0), text)


def _split_args_options(text: str) -> Tuple[str, str]:
    """pip's break_args_options: the requirement is every space-separated token before the first one that
    starts with '-'; the rest are options (only they are shlex-split, markers would not survive it)."""
    tokens = text.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]), " ".join(tokens[index:])
    return text, ""


def _parse_options(line: Line, options: str) -> Dict[str, Any]:
    if not options:
        return {}
    try:
        values, _ignored = _OPTIONS.parse_args(shlex.split(options), _OPTIONS.get_default_values())
    except ValueError:
        raise UsageError(f"{line.where()}: cannot split the options (an unclosed quote?)") from None
    except _OptionError as exc:
        raise UsageError(f"{line.where()}: {redact(str(exc))}") from None
    return {k: v for k, v in vars(values).items() if v not in (None, False)}


def _requirement(line: Line, kind: str, text: str, options: Dict[str, Any], editable: bool) -> Entry:
    entry = Entry(line=line, kind=kind, editable=editable, requirement_text=text, hashes=dict(options.get("hashes") or {}))
    if editable:
        entry.url = text
        egg = _EGG.search(text)
        entry.name = canonicalize_name(egg.group(1)) if egg and egg.group(1) else None
        entry.problem = "editable requirements are not pinned"
        return entry
    url_like = is_url(text)
    marker_separator = "; " if url_like else ";"
    body, sep, marker = text.partition(marker_separator)
    if sep and marker.strip():
        try:
            entry.marker = str(Marker(marker.strip()))
        except InvalidMarker as exc:
            raise UsageError(f"{line.where()}: not a valid environment marker ({_first_line(exc)})") from None
    body = body.strip()
    link = body if url_like else _path_link(line, body)
    if link is not None:
        entry.url = link
        if not url_like:  # pip takes extras off a path, never off a URL
            extras = _strip_extras(body)[1]
            entry.extras = tuple(sorted(canonicalize_name(e) for e in extras.strip("[]").split(","))) if extras else ()
        _name_from_link(entry, link, line)
        return entry
    simple = _SIMPLE_PIN.fullmatch(body)
    if simple and _is_version(simple.group(2)):
        # `name==version`, most lines of a pinned file: what Requirement() would give, at a fraction of its cost.
        entry.name, entry.specifier = canonicalize_name(simple.group(1)), "==" + simple.group(2)
        return entry
    try:
        req = Requirement(body)
    except InvalidRequirement as exc:
        # Not the line itself: a file named by mistake (a .netrc, say) must not be echoed to the console.
        raise UsageError(f"{line.where()}: not a valid requirement ({_first_line(exc)})") from None
    entry.name = canonicalize_name(req.name)
    entry.specifier = str(req.specifier)
    entry.extras = tuple(sorted(canonicalize_name(e) for e in req.extras))
    entry.url = req.url
    if entry.marker is None and req.marker is not None:
        entry.marker = str(req.marker)
    entry.problem = _pin_problem(req)
    return entry


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else "cannot be parsed"


def is_url(text: str) -> bool:
    # pip's is_url: the text before the first ':' is a scheme pip knows.
    return ":" in text and text.split(":", 1)[0].lower() in _URL_SCHEMES


def _path_link(line: Line, text: str) -> str | None:
    """pip's _get_url_from_path: a local directory or archive file stands for itself (paths relative to the
    working directory, as pip has them); anything else is a requirement specifier."""
    name, _extras = _strip_extras(text)
    looks_like_path = _looks_like_path(text)
    if not looks_like_path and not name.rstrip("/").lower().endswith(_ARCHIVES):
        return None  # the common case, decided without touching the file system
    path = os.path.normpath(os.path.abspath(name))
    if looks_like_path and os.path.isdir(path):
        if not (os.path.isfile(os.path.join(path, "pyproject.toml")) or os.path.isfile(os.path.join(path, "setup.py"))):
            raise UsageError(f"{line.where()}: directory {text!r} is not installable: no pyproject.toml or setup.py")
        return Path(path).as_uri()
    if not path.lower().endswith(_ARCHIVES):
        return None
    if os.path.isfile(path):
        return Path(path).as_uri()
    before_at, at, _rest = text.partition("@")
    if at and not _looks_like_path(before_at):
        return None  # `name @ url`, a PEP 508 URL requirement
    return Path(path).as_uri()


def _strip_extras(text: str) -> Tuple[str, str | None]:
    match = re.match(r"^(.+)(\[[^\]]+\])$", text)
    return (match.group(1), match.group(2)) if match else (text, None)


def _looks_like_path(text: str) -> bool:
    return os.sep in text or (os.altsep is not None and os.altsep in text) or text.startswith(".")


def _name_from_link(entry: Entry, link: str, line: Line) -> None:
    """A URL or path: a wheel names its package and version; otherwise `#egg=name` names the package."""
    filename = unquote(urlsplit(link).path).rstrip("/").rsplit("/", 1)[-1]
    if filename.endswith(".whl"):
        try:
            name, version, _build, _tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion) as exc:
            raise UsageError(f"{line.where()}: not a valid wheel file name ({_first_line(exc)})") from None
        entry.name, entry.specifier = canonicalize_name(name), f"=={version}"
        return
    egg = _EGG.search(link)
    if egg and egg.group(1):
        try:
            req = Requirement(egg.group(1))
        except InvalidRequirement as exc:
            raise UsageError(f"{line.where()}: #egg= names no package ({_first_line(exc)})") from None
        entry.name = canonicalize_name(req.name)
        entry.extras = entry.extras or tuple(sorted(canonicalize_name(e) for e in req.extras))
        if not _is_vcs_at_commit(link):
            entry.problem = "a URL is pinned only as a wheel file or a VCS URL at a full commit hash"
        return
    entry.problem = "a path or URL without a package name and version is not pinned"


def _is_vcs_at_commit(url: str) -> bool:
    if url.split("+", 1)[0].lower() not in _VCS:
        return False
    return bool(_FULL_COMMIT.search(urlsplit(url).path))


def _pin_problem(req: Requirement) -> str | None:
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
    if url.split("+", 1)[0].lower() in _VCS:
        return _is_vcs_at_commit(url)
    filename = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    try:
        name, _version, _build, _tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return False
    return name == canonicalize_name(req.name)


def parse(path, kind: str = "requirement") -> Requirements:
    """The whole model of path and its includes (see Requirements). A file may be included twice (pip
    allows it); a file that includes itself, directly or through others, is an error."""
    return model(path, walk(path, kind))


def model(path, items) -> Requirements:
    """The Requirements of items, read from path (walk's or from_records' items)."""
    path = Path(path)
    result = Requirements(path=path, files=[path])
    for item in items:
        if isinstance(item, Entry):
            result.entries.append(item)
        elif isinstance(item, Option):
            result.options.append(item)
        elif item.path not in result.files:
            result.files.append(item.path)
    return result
