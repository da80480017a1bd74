"""The local store's search records on disk: `<prefix>-metadata/dt=YYYY-MM-DD/venv_<version>.json`, and
the days `venvbuild compact` folded, `dt=YYYY-MM-DD/records-<hash>.json` (one record per line)."""

import os
from dataclasses import dataclass
from pathlib import Path

from venvbuild.store import layout


@dataclass(frozen=True)
class Partition:
    dt: str
    path: Path
    mtime_ns: int  # of the folder: creating or removing a record in it changes it


def scan(metadata_root: Path) -> dict:
    """dt -> Partition, from one listing of the metadata folder and one stat per partition."""
    found: dict[str, Partition] = {}
    try:
        entries = os.scandir(metadata_root)
    except FileNotFoundError:
        return found
    with entries:
        for entry in entries:
            match = layout.PARTITION.fullmatch(entry.name)
            if match and entry.is_dir():
                found[match.group(1)] = Partition(match.group(1), Path(entry.path), entry.stat().st_mtime_ns)
    return found


def record_names(partition: Partition) -> set:
    try:
        # Not the `.part-*` files of a write in progress.
        return {name for name in os.listdir(partition.path)
                if layout.SINGLE_RECORD_NAME.fullmatch(name) or layout.COMPACTED_NAME.fullmatch(name)}
    except FileNotFoundError:
        return set()
