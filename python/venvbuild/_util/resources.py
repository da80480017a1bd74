"""Files shared with the Jenkins steps: schemas, naming rules, SQL.

They live once, in the repository's `resources/venvbuild/`; the wheel carries them as
`venvbuild/resources/`. An editable or source checkout reads them from the repository.
"""

import functools
import json
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # venvbuild/
_PACKAGED = _PACKAGE / "resources"
_CHECKOUT = _PACKAGE.parents[1] / "resources" / "venvbuild"


def resource_dir() -> Path:
    for candidate in (_PACKAGED, _CHECKOUT):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"venvbuild resources not found in {_PACKAGED} or {_CHECKOUT}")


def read_text(name: str) -> str:
    return (resource_dir() / name).read_text(encoding="utf-8")


@functools.cache
def load_json(name: str):
    return json.loads(read_text(name))
