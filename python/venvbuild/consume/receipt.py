"""The receipt a pull leaves in the venv it wrote (`.venvbuild/pulled.json`): which build, from where, when.
pull writes it; verify and the cache read it."""

import json
from pathlib import Path

from venvbuild.build import archive
from venvbuild.errors import UsageError

RECEIPT = f"{archive.RECORD_DIR}/pulled.json"


def read_receipt(root: Path) -> dict:
    path = Path(root) / RECEIPT
    try:
        receipt = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{root}: no {RECEIPT}; not a venv that venvbuild pulled") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read it ({exc})") from None
    if not isinstance(receipt, dict):
        raise UsageError(f"{path}: not a JSON object")
    return receipt
