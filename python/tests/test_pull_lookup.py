"""Which build `pull --env-name N --latest` and `pull --tag T` take, found from the search records: the store
reads it costs must not grow with the number of builds in the store."""

import pytest

from tests._support.records import make_build_dir
from venvbuild.build import publish
from venvbuild.consume import pull
from venvbuild.lifecycle import tags
from venvbuild.query import engine
from venvbuild.store.local import LocalStore


class CountingStore(LocalStore):
    """The real local store, counting the objects it reads (each an S3 GET)."""

    def __init__(self, root):
        super().__init__(root)
        self.reads = 0

    def read(self, key):
        self.reads += 1
        return super().read(key)


def _store(tmp_path, newer_builds: int) -> CountingStore:
    """One build of demo, then newer_builds builds of other env names, one a day."""
    root = tmp_path / f"store-{newer_builds}"
    store, builds = LocalStore(root), tmp_path / f"builds-{newer_builds}"
    publish.publish(make_build_dir(builds, "venv_20250101_100000"), store)
    for day in range(newer_builds):
        version = f"venv_2025{2 + day // 28:02d}{1 + day % 28:02d}_100000"
        publish.publish(make_build_dir(builds, version, env_name=f"other{day % 3}"), store)
    tags.tag(store, "venv_20250101_100000", "stable")
    return CountingStore(root)


def _reads(store: CountingStore, lookup) -> tuple:
    store.reads = 0
    meta = lookup(store)
    return meta["venv_version"], store.reads


LOOKUPS = {
    "latest": lambda store: pull.find_build(store, env_name="demo"),
    "tag": lambda store: pull.find_build(store, tags.resolve(store, "stable", "demo"), "demo"),
}


@pytest.mark.parametrize("how", sorted(LOOKUPS))
def test_finding_a_build_reads_as_much_in_a_large_store_as_in_a_small_one(tmp_path, capsys, how):
    small, large = _store(tmp_path, 3), _store(tmp_path, 60)
    capsys.readouterr()
    found_small, reads_small = _reads(small, LOOKUPS[how])
    found_large, reads_large = _reads(large, LOOKUPS[how])
    assert found_small == found_large == "venv_20250101_100000"
    assert reads_large == reads_small <= 3


def test_without_duckdb_latest_for_a_python_reads_the_records_newest_day_first_and_stops_at_the_build(
    tmp_path, capsys, monkeypatch
):
    """With --python the records are read newest day first until that Python's build; without it every
    record is read, since builds of the env for another Python would make --latest ambiguous."""
    store = _store(tmp_path, 6)
    publish.publish(make_build_dir(tmp_path / "builds", "venv_20260101_100000"), store)  # demo's newest
    monkeypatch.setattr(engine, "available", lambda: False)
    capsys.readouterr()
    assert _reads(store, lambda s: pull.find_build(s, env_name="demo", python="3.11")) == ("venv_20260101_100000", 1)
    assert _reads(store, LOOKUPS["latest"]) == ("venv_20260101_100000", 8)
    # an env whose newest build is the oldest: every day is read once, and still the right build
    assert _reads(store, lambda s: pull.find_build(s, env_name="other0"))[0] == "venv_20250204_100000"


def test_latest_takes_only_published_builds_and_skips_a_damaged_record_with_a_warning(tmp_path, capsys):
    store = _store(tmp_path, 2)
    # a newer demo build whose publish stopped before its search record: not published, not pulled
    folder = store.root / "venv-builds" / "venv_20270101_100000"
    folder.mkdir()
    (folder / "metadata.json").write_text("{}")
    record = store.root / "venv-builds-metadata" / "dt=2026-06-01" / "venv_20260601_100000.json"
    record.parent.mkdir()
    record.write_text('{"venv_version": "venv_20260601_100000", "env_name": "demo"}\n')
    capsys.readouterr()
    assert pull.find_build(store, env_name="demo")["venv_version"] == "venv_20250101_100000"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "venv_20260601_100000.json skipped" in err


def test_without_duckdb_a_damaged_record_of_another_env_does_not_stop_latest(tmp_path, capsys, monkeypatch):
    """Reading every record to see every Python version of the env, a damaged one (of any env) is left out
    with one warning, as search leaves it out, instead of failing the pull."""
    store = _store(tmp_path, 2)
    record = store.root / "venv-builds-metadata" / "dt=2026-06-01" / "venv_20260601_100000.json"
    record.parent.mkdir()
    record.write_text("{not json\n")
    monkeypatch.setattr(engine, "available", lambda: False)
    capsys.readouterr()
    assert pull.find_build(store, env_name="demo")["venv_version"] == "venv_20250101_100000"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "venv_20260601_100000" in err and "warning" in err


def test_a_cache_dir_inside_the_store_is_refused_before_anything_is_written(tmp_path, capsys):
    """--cache-dir inside a local store is refused in one line, and the store holds nothing new after it."""
    from venvbuild.errors import UsageError

    store = _store(tmp_path, 0)
    meta = pull.find_build(store, env_name="demo")  # (brings the store's search index up to date)
    before = sorted(p.relative_to(store.root) for p in store.root.rglob("*"))
    with pytest.raises(UsageError, match="inside the store"):
        pull.pull_cached(store, meta, store.root / "venv-builds" / "cachehere")
    assert sorted(p.relative_to(store.root) for p in store.root.rglob("*")) == before
