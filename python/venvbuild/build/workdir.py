"""The work folder shared by the stages of one build, and the state each stage leaves for the next.

<work>/state.json     what the stages found so far
<work>/venv/          the environment being built
<work>/install.log    the installer's output, credentials redacted
<work>/artifacts/     the seven artifacts, i.e. the build folder that `venvbuild publish` takes
<work>/reused.json    only when a reuse returned a published build instead: its metadata
"""

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from venvbuild import naming
from venvbuild._util import atomic
from venvbuild.build.conflicts import Conflict
from venvbuild.errors import UsageError

STATE = "state.json"
REUSED = "reused.json"  # the metadata of the published build that `validate --reuse` returned instead


@dataclass
class State:
    env_name: str
    venv_version: str
    created_at: str
    requirements: str  # the user's file, as given (named in messages; includes were read relative to it)
    interpreter: str
    python_version: str
    python_full_version: str
    installer: str
    compression: str
    stages_done: list[str] = field(default_factory=list)
    python_home: str | None = None
    platform: str | None = None
    installed_packages: list[str] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    archive_sha256: str | None = None
    archive_size: int | None = None
    relocation: dict | None = None
    build_id: str | None = None
    build_key: str | None = None
    build_inputs: dict | None = None  # what build_key hashes (venvbuild.build.build_key.Inputs)
    content_key: str | None = None
    fully_pinned: bool | None = None
    reuse: bool = False  # --reuse was asked for: say why a build cannot be reused
    # What validate read of the requirements (requirements_reader.to_records): later stages use it, never
    # the file again. None in a work folder an older venvbuild started.
    requirements_read: list[dict] | None = None
    requirements_credentials: bool = False  # the file held credentials, which requirements_read leaves out
    helper_pip: bool = False  # pip mode installs with the helper's own pip (installer.helper_pip_serves)


class WorkDir:
    def __init__(self, path):
        self.path = Path(path).resolve()

    venv = property(lambda self: self.path / "venv")
    log = property(lambda self: self.path / "install.log")
    artifacts = property(lambda self: self.path / "artifacts")
    state_file = property(lambda self: self.path / STATE)
    reused_file = property(lambda self: self.path / REUSED)

    def create(self) -> None:
        try:
            if self.path.exists() and any(self.path.iterdir()):
                raise UsageError(f"--work-dir {self.path}: exists and is not empty; give a new folder")
            self.artifacts.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--work-dir {self.path}: cannot create it: {exc.strerror}") from None

    def load(self, after: str) -> State:
        """The state, checking that stage `after` has run."""
        try:
            raw = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"--work-dir {self.path}: no {STATE}; run 'venvbuild validate' first") from None
        except ValueError as exc:
            raise UsageError(f"{self.state_file}: not valid JSON ({exc})") from None
        state = self._state_from(raw)
        if after not in state.stages_done:
            raise UsageError(f"--work-dir {self.path}: stage '{after}' has not run yet")
        return state

    def _state_from(self, raw) -> State:
        """A State from state.json's content, or a UsageError naming the file: it is read back from disk,
        and its venv_version becomes a file name."""
        known = {f.name for f in fields(State)}
        try:
            if not isinstance(raw, dict):
                raise TypeError("not a JSON object")
            state = State(**{k: v for k, v in raw.items() if k in known})
            if not isinstance(state.stages_done, list) or not isinstance(state.conflicts, list):
                raise TypeError("stages_done and conflicts must be lists")
            naming.check("venv_version", state.venv_version, "venv_version")
            [Conflict(**record) for record in state.conflicts]
        except (TypeError, UsageError) as exc:
            raise UsageError(f"{self.state_file}: not a state file venvbuild wrote ({exc})") from None
        return state

    def save(self, state: State, stage: str) -> None:
        if stage not in state.stages_done:
            state.stages_done.append(stage)
        atomic.write_bytes(self.state_file, (json.dumps(asdict(state), indent=2) + "\n").encode("utf-8"))
