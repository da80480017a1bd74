"""The build's stages, in the design's order. Each reads the work folder's state and adds to it, so the
Jenkins steps can run them one per stage and `venvbuild build` can run them all."""

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

from venvbuild import (__version__, archive, artifacts, conflicts, depgraph, deptree, installer, interpreter,
                       metadata, naming, requirements)
from venvbuild.checksum import sha256_file
from venvbuild.console import say
from venvbuild.errors import ConflictError, InstallError, UsageError
from venvbuild.versions import created_at_of, version_of
from venvbuild.workdir import State, WorkDir


def allocate_version(now: datetime, store=None) -> datetime:
    """The build's time, one second later while the store already holds a build of that version."""
    while store is not None and store.any_under(store.build_key(version_of(now), "")):
        now += timedelta(seconds=1)
    return now


def validate(work: WorkDir, requirements_file, env_name: str, python: Optional[str], *, allow_unpinned=False,
             installer_name="pip", compression="gz", store=None) -> State:
    naming.check("env_name", env_name, "--env-name")
    if python is not None:
        naming.check("python_version", python, "--python")
    requirements_file = Path(requirements_file)
    if allow_unpinned:
        for line in requirements.pin_gate(requirements_file).report:
            say(f"warning: {line}")
    else:
        requirements.check_pins(requirements_file)
    stored = requirements.stored_text(requirements_file)
    if installer_name == "uv":
        installer.find_uv()
    if compression == "zst":
        archive.check_zstd()
    base = interpreter.find(python)
    moment = allocate_version(datetime.now(timezone.utc).replace(microsecond=0), store)
    work.create()
    (work.artifacts / artifacts.REQUIREMENTS).write_text(stored.requirements, encoding="utf-8")
    if stored.constraints is not None:
        (work.artifacts / artifacts.CONSTRAINTS).write_text(stored.constraints, encoding="utf-8")
    state = State(
        env_name=env_name,
        venv_version=version_of(moment),
        created_at=created_at_of(moment),
        requirements=str(requirements_file.resolve()),
        interpreter=base.executable,
        python_version=base.minor,
        python_full_version=base.version,
        installer=installer_name,
        compression=compression,
    )
    work.save(state, "validate")
    say(f"{requirements_file}: inputs valid; building {state.venv_version} with Python {base.version} ({base.executable})")
    return state


def install(work: WorkDir) -> State:
    state = work.load(after="validate")
    installer.create_venv(state.interpreter, work.venv, state.installer, work.log, prompt=state.env_name)
    got = interpreter.probe(installer.venv_python(work.venv))
    if got is None or got.minor != state.python_version:
        found = got.version if got else "nothing that runs"
        raise InstallError(f"--python {state.python_version}: the new venv has {found}, not {state.python_version}")
    state.python_full_version, state.platform = got.version, got.platform
    state.python_home = _pyvenv_home(work.venv)
    installer.install(work.venv, Path(state.requirements), state.installer, work.log)
    work.save(state, "install")
    return state


def _pyvenv_home(venv: Path) -> str:
    for line in (venv / "pyvenv.cfg").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return value.strip()
    return ""


def inspect(work: WorkDir, fail_on_conflicts: bool = False) -> State:
    state = work.load(after="install")
    text, as_json = deptree.run(installer.venv_python(work.venv))
    tree = deptree.load(as_json)
    out = work.artifacts
    (out / artifacts.PIPDEPTREE_TXT).write_text(text, encoding="utf-8")
    (out / artifacts.PIPDEPTREE_JSON).write_text(json.dumps(tree, indent=2) + "\n", encoding="utf-8")
    pins = [p.pin() for p in deptree.packages(tree)]
    (out / artifacts.INSTALLED_TXT).write_text("".join(f"{pin}\n" for pin in pins), encoding="utf-8")
    (out / artifacts.INSTALLED_JSON).write_text(json.dumps(pins, indent=2) + "\n", encoding="utf-8")
    write_graphs(tree, out)
    found = conflicts.find(tree)
    state.installed_packages = pins
    state.conflicts = [c.as_record() for c in found]
    work.save(state, "inspect")
    breaking = [c for c in found if c.breaks]
    for conflict in found:
        say(f"{'conflict' if conflict.breaks else 'warning'}: {conflict.describe()}")
    if breaking and fail_on_conflicts:
        raise ConflictError(
            f"{len(breaking)} dependency conflict(s), first: {breaking[0].describe()} (reports in {out})"
        )
    say(f"{len(pins)} packages installed, {len(breaking)} conflict(s)")
    return state


def write_graphs(tree: list, out: Path) -> None:
    """pipdeptree.mmd and pipdeptree.dot, and pipdeptree.svg when Graphviz's dot is on PATH."""
    (out / artifacts.PIPDEPTREE_MMD).write_text(depgraph.mermaid(tree), encoding="utf-8")
    dot_text = depgraph.dot(tree)
    (out / artifacts.PIPDEPTREE_DOT).write_text(dot_text, encoding="utf-8")
    dot_program = depgraph.graphviz()
    if dot_program:
        failed = depgraph.svg(dot_text, out / artifacts.PIPDEPTREE_SVG, dot_program)
        if failed:
            say(f"warning: Graphviz could not draw {artifacts.PIPDEPTREE_SVG}: {failed}")


def package(work: WorkDir) -> State:
    state = work.load(after="inspect")
    target = work.artifacts / artifacts.archive_name(state.venv_version, state.compression)
    packed = archive.write(work.venv, target, state.compression)
    state.archive_sha256, state.archive_size, state.relocation = packed.sha256, packed.size, packed.relocation
    work.save(state, "package")
    say(f"{target.name}: {state.archive_size} bytes, sha256 {state.archive_sha256}")
    return state


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
    }
    extras = [name for name in artifacts.EXTRAS if (local / name).is_file()]
    if extras:
        meta["extra_artifacts"] = extras
    if store is not None:
        meta = metadata.with_store_urls(meta, store)
    metadata.write(meta, local / artifacts.METADATA)
    work.save(state, "metadata")
    return meta
