"""The build's stages, in the design's order. Each reads the work folder's state and adds to it, so the
Jenkins steps can run them one per stage and `venvbuild build` can run them all."""

import functools
import json
import os
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from venvbuild import __version__, naming
from venvbuild._util import atomic
from venvbuild._util.checksum import sha256_file
from venvbuild._util.console import say
from venvbuild.build import (
    archive,
    build_key,
    conflicts,
    content_key,
    graph_pictures,
    installer,
    interpreter,
    pipdeptree_run,
    requirements_gate,
)
from venvbuild.build.workdir import State, WorkDir
from venvbuild.errors import INSTALL_FAILED, USAGE, ConflictError, InstallError, StageError, UsageError
from venvbuild.lifecycle import reuse
from venvbuild.record import artifacts, metadata, sbom
from venvbuild.record.versions import created_at_of, version_of
from venvbuild.store import layout


def _stage(name: str, exit_code: int):
    """An OSError while a stage works (disk full, a read-only folder) as one line naming the stage and the
    file, with the stage's exit code: 2 for validate, as for its other bad inputs; 5 for the build itself."""

    def wrap(function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except OSError as exc:
                where = exc.filename or "the work folder"
                raise StageError(f"{name} stage: {where}: {exc.strerror or exc}", exit_code) from None

        return run

    return wrap


@contextmanager
def _writing(path: Path):
    """Name path in an OSError that does not name its file (a write() that finds the disk full)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise


def allocate_version(now: datetime, store=None) -> datetime:
    """The build's time, one second later while the store already holds a build of that version."""
    while store is not None and store.any_under(layout.build_folder(store, version_of(now))):
        now += timedelta(seconds=1)
    return now


@_stage("validate", USAGE)
def validate(
    work: WorkDir,
    requirements_file,
    env_name: str,
    python: str | None,
    *,
    allow_unpinned=False,
    installer_name="pip",
    compression="gz",
    store=None,
    reuse_store=None,
) -> State:
    """Check the inputs and start the work folder. With reuse_store, a published build of the same
    build_key found there is written to work.reused_file and recorded as returned; the build stops there."""
    naming.check("env_name", env_name, "--env-name")
    if python is not None:
        naming.check("python_version", python, "--python")
    requirements_file = Path(requirements_file)
    read = requirements_gate.read(requirements_file)  # the only read of the file: later stages use this
    if allow_unpinned:
        for line in requirements_gate.pin_gate(requirements_file, read.items).report:
            say(f"warning: {line}")
    else:
        requirements_gate.check_pins(requirements_file, read.items)
    stored = read.stored()
    if installer_name == "uv":
        installer.find_uv()
    if compression == "zst":
        archive.check_zstd()
    base = interpreter.find(python)
    inputs = build_key.collect(read.parsed, base, installer_name, compression)
    key = build_key.key_of(inputs)
    found = reuse.find(reuse_store, env_name, key) if reuse_store is not None else None
    moment = allocate_version(datetime.now(timezone.utc).replace(microsecond=0), store)
    work.create()
    for name, text in ((artifacts.REQUIREMENTS, stored.requirements), (artifacts.CONSTRAINTS, stored.constraints)):
        if text is not None:
            with _writing(work.artifacts / name):
                (work.artifacts / name).write_text(text, encoding="utf-8")
    state = State(
        env_name=env_name,
        venv_version=version_of(moment),
        created_at=created_at_of(moment),
        requirements=str(requirements_file.resolve()),
        requirements_read=read.records,
        requirements_credentials=read.had_credentials,
        interpreter=base.executable,
        python_version=base.minor,
        python_full_version=base.version,
        installer=installer_name,
        compression=compression,
        build_id=uuid.uuid4().hex,
        build_key=key,
        build_inputs=inputs.as_dict(),
        reuse=reuse_store is not None,
        helper_pip=installer_name == "pip" and installer.helper_pip_serves(base.identity or {}),
    )
    work.save(state, "validate")
    if found is not None:
        reuse.record_returned(reuse_store, found)
        atomic.write_bytes(work.reused_file, metadata.dumps(found).encode("utf-8"))
        say(f"reuse: {found['venv_version']} has the same build_key {key[:12]}; returning it, nothing built or published")
        return state
    say(f"{requirements_file}: inputs valid; building {state.venv_version} with Python {base.version} ({base.executable})")
    return state


@_stage("install", INSTALL_FAILED)
def install(work: WorkDir) -> State:
    state = work.load(after="validate")
    requirements = _install_file(work, state)
    with _writing(work.log):
        installer.create_venv(
            state.interpreter, work.venv, state.installer, work.log, prompt=state.env_name, helper_pip=_helper_pip(state)
        )
    got = interpreter.probe(installer.venv_python(work.venv))
    if got is None or got.minor != state.python_version:
        found = got.version if got else "nothing that runs"
        raise InstallError(f"--python {state.python_version}: the new venv has {found}, not {state.python_version}")
    state.python_full_version, state.platform = got.version, got.platform
    state.python_home = _pyvenv_home(work.venv)
    with _writing(work.log):
        installer.install(
            work.venv, requirements, state.installer, work.log, helper_pip=_helper_pip(state), named=Path(state.requirements)
        )
    work.save(state, "install")
    return state


def _requirements(state: State) -> requirements_gate.Read:
    """What validate read; a work folder an older venvbuild started kept no copy: its file, read now."""
    if state.requirements_read is None:
        return requirements_gate.read(state.requirements)
    return requirements_gate.read_back(state.requirements, state.requirements_read, state.requirements_credentials)


def _install_file(work: WorkDir, state: State) -> Path:
    """The requirements file the installer reads: a self-contained copy of what validate read, in the work
    folder. Credentials are never written there, so requirements that held some are installed from the
    user's file, and only while it still says what validate read."""
    if state.requirements_read is None:  # an older venvbuild's work folder
        return Path(state.requirements)
    if state.requirements_credentials:
        if requirements_gate.read(state.requirements).records != state.requirements_read:
            raise UsageError(
                f"{state.requirements}: changed since the validate stage read it (it holds "
                "credentials, which are never copied, so it is installed from where it is); "
                "run validate again"
            )
        return Path(state.requirements)
    stored = _requirements(state).stored()
    folder = work.path / "install"
    folder.mkdir(exist_ok=True)
    for name, text in ((artifacts.REQUIREMENTS, stored.requirements), (artifacts.CONSTRAINTS, stored.constraints)):
        if text is not None:
            atomic.write_bytes(folder / name, text.encode("utf-8"))
    return folder / artifacts.REQUIREMENTS


def _helper_pip(state: State) -> bool:
    """validate's choice, checked again: `venvbuild install --work-dir` may run in another helper."""
    inputs = state.build_inputs or {}
    facts = {
        "implementation": inputs.get("implementation"),
        "abi": inputs.get("abi"),
        "bundled_pip": inputs.get("installer_version"),
    }
    return state.helper_pip and installer.helper_pip_serves(facts)


def _pyvenv_home(venv: Path) -> str:
    for line in (venv / "pyvenv.cfg").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return value.strip()
    return ""


@_stage("inspect", INSTALL_FAILED)
def inspect(work: WorkDir, fail_on_conflicts: bool = False) -> State:
    state = work.load(after="install")
    text, as_json = pipdeptree_run.run(installer.venv_python(work.venv))
    tree = pipdeptree_run.load(as_json)
    out = work.artifacts
    pins = [p.pin() for p in pipdeptree_run.packages(tree)]
    for name, content in (
        (artifacts.PIPDEPTREE_TXT, text),
        (artifacts.PIPDEPTREE_JSON, json.dumps(tree, indent=2) + "\n"),
        (artifacts.INSTALLED_TXT, "".join(f"{pin}\n" for pin in pins)),
        (artifacts.INSTALLED_JSON, json.dumps(pins, indent=2) + "\n"),
    ):
        with _writing(out / name):
            (out / name).write_text(content, encoding="utf-8")
    write_graphs(tree, out)
    write_sbom(work, state, tree)
    found = conflicts.find(tree)
    state.installed_packages = pins
    state.content_key = content_key.key_of(work.venv)
    unpinned = build_key.unpinned_installed(_requirements(state).parsed, pins)
    state.fully_pinned = unpinned is None
    if unpinned is not None and state.reuse:
        say(
            f"reuse: {unpinned} is installed but not pinned by the requirements: this build cannot be reused "
            "(pin the whole installed set, e.g. from installed_packages.txt)"
        )
    state.conflicts = [c.as_record() for c in found]
    work.save(state, "inspect")
    breaking = [c for c in found if c.breaks]
    for conflict in found:
        say(f"{'conflict' if conflict.breaks else 'warning'}: {conflict.describe()}")
    if breaking and fail_on_conflicts:
        raise ConflictError(f"{len(breaking)} dependency conflict(s), first: {breaking[0].describe()} (reports in {out})")
    say(f"{len(pins)} packages installed, {len(breaking)} conflict(s)")
    return state


def write_graphs(tree: list, out: Path) -> None:
    """pipdeptree.mmd and pipdeptree.dot, and pipdeptree.svg when Graphviz's dot is on PATH."""
    (out / artifacts.PIPDEPTREE_MMD).write_text(graph_pictures.mermaid(tree), encoding="utf-8")
    dot_text = graph_pictures.dot(tree)
    (out / artifacts.PIPDEPTREE_DOT).write_text(dot_text, encoding="utf-8")
    dot_program = graph_pictures.graphviz()
    if dot_program:
        failed = graph_pictures.svg(dot_text, out / artifacts.PIPDEPTREE_SVG, dot_program)
        if failed:
            say(f"warning: Graphviz could not draw {artifacts.PIPDEPTREE_SVG}: {failed}")


def write_sbom(work: WorkDir, state: State, tree: list) -> None:
    """sbom.cdx.json: the installed distributions with their licenses, pinned sha256 and dependencies."""
    pinned: dict = {}
    for entry in _requirements(state).parsed.entries:
        if entry.name and entry.hashes.get("sha256"):
            pinned.setdefault(entry.name, set()).update(entry.hashes["sha256"])
    site = work.venv / "lib" / f"python{state.python_version}" / "site-packages"
    found = sbom.installed(site, tree, {name: sorted(digests) for name, digests in pinned.items()})
    text = sbom.render(found, state.env_name, state.venv_version, state.created_at)
    with _writing(work.artifacts / artifacts.SBOM):
        atomic.write_bytes(work.artifacts / artifacts.SBOM, text.encode("utf-8"))


@_stage("package", INSTALL_FAILED)
def package(work: WorkDir) -> State:
    state = work.load(after="inspect")
    target = work.artifacts / artifacts.archive_name(state.venv_version, state.compression)
    # Written aside and renamed: a re-run never rewrites in place the file a local store may have linked,
    # and no half-written archive is left for a later stage to take.
    with _writing(target), atomic.writing(target) as partial:
        packed = archive.write(work.venv, partial, state.compression)
    state.archive_sha256, state.archive_size, state.relocation = packed.sha256, packed.size, packed.relocation
    work.save(state, "package")
    say(f"{target.name}: {state.archive_size} bytes, sha256 {state.archive_sha256}")
    return state


@_stage("metadata", INSTALL_FAILED)
def write_metadata(work: WorkDir, store=None) -> dict:
    """metadata.json in the artifacts folder; its URLs point at store when given, else at the folder itself."""
    state = work.load(after="package")
    records = [conflicts.Conflict(**record) for record in state.conflicts]
    local = work.artifacts
    meta = {
        "venv_version": state.venv_version,
        "created_at": state.created_at,
        "python_version": state.python_version,
        "requirements_file": (local / artifacts.REQUIREMENTS).as_uri(),
        "pipdeptree_output": (local / artifacts.PIPDEPTREE_JSON).as_uri(),
        "venv_archive": (local / artifacts.archive_name(state.venv_version, state.compression)).as_uri(),
        "is_conflict_free": not any(c.breaks for c in records),
        "conflicts": [c.describe() for c in records if c.breaks],
        "installed_packages": state.installed_packages,
        "env_name": state.env_name,
        "python_full_version": state.python_full_version,
        "python_home": state.python_home or "",
        "platform": state.platform or "",
        "installer": state.installer,
        "archive_sha256": state.archive_sha256,
        "archive_size": state.archive_size,
        "requirements_sha256": sha256_file(local / artifacts.REQUIREMENTS),
        "venvbuild_version": __version__,
        "build_url": os.environ.get("BUILD_URL") or None,
        "git_commit": os.environ.get("GIT_COMMIT") or None,
        "conflict_details": state.conflicts,
        "archive_format": archive.FORMAT_VERSION,
        "relocation": state.relocation,
        "build_key": state.build_key,
        "content_key": state.content_key,
        "fully_pinned": state.fully_pinned,
    }
    extras = [name for name in artifacts.EXTRAS if (local / name).is_file()]
    if extras:
        meta["extra_artifacts"] = extras
    if (local / artifacts.SBOM).is_file():
        meta["sbom_sha256"] = sha256_file(local / artifacts.SBOM)
    if state.build_id:  # a work folder started by an older venvbuild has none
        meta["build_id"] = state.build_id
    if store is not None:
        meta = layout.with_store_urls(meta, store)
    with _writing(local / artifacts.METADATA):
        metadata.write(meta, local / artifacts.METADATA)
    work.save(state, "metadata")
    return meta
