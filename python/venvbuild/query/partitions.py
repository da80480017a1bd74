"""The local store's search records on disk: `<prefix>-metadata/dt=YYYY-MM-DD/venv_<version>.json`, and
the days `venvbuild compact` folded, `dt=YYYY-MM-DD/records-<hash>.json` (one record per line)."""

from dataclasses import dataclass
from pathlib import Path

from venvbuild.store import layout, local


@dataclass(frozen=True)
class Partition:
    dt: str
    path: Path
    mtime_ns: int  # of the folder: creating or removing a record in it changes it


def scan(metadata_root: Path) -> dict:
    """dt -> Partition, from one listing of the metadata folder and one stat per partition (the local store's
    listing: a link is left out, with a warning)."""
    found: dict[str, Partition] = {}
    for entry in local.listing(metadata_root):
        match = layout.PARTITION.fullmatch(entry.name)
        if match and entry.is_dir(follow_symlinks=False):
            found[match.group(1)] = Partition(match.group(1), Path(entry.path), entry.stat(follow_symlinks=False).st_mtime_ns)
    return found


def record_names(partition: Partition) -> set:
    # Not the `.part-*` files of a write in progress.
    return {
        e.name
        for e in local.listing(partition.path)
        if (layout.SINGLE_RECORD_NAME.fullmatch(e.name) or layout.COMPACTED_NAME.fullmatch(e.name))
        and e.is_file(follow_symlinks=False)
    }
