"""The PEP 440 step both backends share: from candidate rows (narrowed by name in SQL) to matches.

Both search SQL files return rows of the same seven columns, ROW_COLUMNS; the last holds the
build's "Name==version" strings (at least those with a requested name), separated by spaces.
"""

import functools
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

from packaging.utils import canonicalize_name

ROW_COLUMNS = ("venv_version", "env_name", "created_at", "python_version", "is_conflict_free", "venv_archive", "packages")


_ATHENA_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?")  # CAST(timestamp AS varchar)


class Build(NamedTuple):
    venv_version: str
    env_name: str | None
    created_at: str  # 2025-07-22T08:30:00Z whatever the backend's timestamp format
    python_version: str | None
    is_conflict_free: bool | None
    venv_archive: str | None

    @classmethod
    def from_row(cls, row) -> "Build":
        venv_version, env_name, created_at, python_version, is_conflict_free, venv_archive = row[:6]
        return cls(venv_version, env_name, _iso_utc(created_at), python_version, _boolean(is_conflict_free), venv_archive)


class Match(NamedTuple):
    row: tuple  # as the backend returned it (ROW_COLUMNS)
    packages: tuple  # the "Name==version" strings that satisfied the specs, in spec order

    @property
    def build(self) -> Build:
        # Built on demand: `--count` over tens of thousands of matches never needs it.
        return Build.from_row(self.row)


def select(rows: Iterable[tuple], specs, limit: int | None = None) -> Iterator[Match]:
    """Yield the rows where every spec accepts an installed version, in the backend's order."""
    accepts = [_acceptor(spec) for spec in specs]
    found = 0
    for row in rows:
        packages = (row[6] or "").split()
        satisfied = []
        for accept in accepts:
            hits = [package for package in packages if accept(package)]
            if not hits:
                break
            satisfied.extend(hits)
        else:
            yield Match(row, tuple(satisfied))
            found += 1
            if limit is not None and found >= limit:
                return


def count(groups: Iterable[tuple], specs) -> int:
    """How many builds match, from (packages, number of builds) groups: each group judged once."""
    rows = ((None,) * 6 + (packages, builds) for packages, builds in groups)
    return sum(int(match.row[7]) for match in select(rows, specs))


def _acceptor(spec):
    """spec's test of one "Name==version" string, remembered: a store repeats few distinct strings."""

    @functools.cache
    def accept(package: str) -> bool:
        name, _, version = package.partition("==")
        return canonicalize_name(name) == spec.name and spec.accepts(version)

    return accept


def _boolean(value) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).lower())


def _iso_utc(value) -> str:
    """2025-07-22T08:30:00Z from a datetime, DuckDB's or Athena's text ('2025-07-22 08:30:00.000')."""
    if value is None:
        return ""
    if isinstance(value, str):
        if len(value) == 20 and value[10] == "T" and value[19] == "Z":
            return value
        if _ATHENA_TEXT.fullmatch(value):  # what the datetime round trip below gives, without it (a listing's rows)
            return f"{value[:10]}T{value[11:19]}Z"
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" UTC", ""))
        except ValueError:
            return value
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
