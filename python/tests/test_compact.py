"""`venvbuild compact`: a past day's one-record objects folded into one JSON-lines object, and every reader of
search records (search index, catalog records, reuse/tags/publish's "is it published", gc) on such a store,
through interruptions and concurrent runs."""

import hashlib
import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from tests._support.processes import CHILD_TIMEOUT_S
from tests._support.records import make_build_dir, write_record
from tests._support.stores import FailingStore
from venvbuild.build import publish
from venvbuild.cli import main
from venvbuild.errors import StoreError
from venvbuild.lifecycle import compaction, retention, reuse, tags
from venvbuild.record.versions import version_of
from venvbuild.store import layout, stored_builds
from venvbuild.store.local import LocalStore

DAY1 = ["venv_20250101_100000", "venv_20250101_110000", "venv_20250101_120000"]
DAY2 = ["venv_20250102_090000"]
DAY3 = ["venv_20250103_100000", "venv_20250103_230000"]
OLD = DAY1 + DAY2 + DAY3


def run(capsys, *argv):
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def published_store(tmp_path, versions=OLD, store=None):
    store = store or LocalStore(tmp_path / "store")
    for version in versions:
        build_dir = make_build_dir(
            tmp_path / "builds",
            version,
            build_key=version[-6:].rjust(64, "0"),
            fully_pinned=True,
            installed_packages=["kedro==0.19.9", f"lib-{version[-6:]}==1.0"],
        )
        publish.publish(build_dir, store)
    return store


def record_files(store):
    return sorted(
        str(p.relative_to(store.root / "venv-builds-metadata")) for p in (store.root / "venv-builds-metadata").glob("dt=*/*")
    )


def original_bytes(store):
    return {p.stem: p.read_bytes() for p in (store.root / "venv-builds-metadata").glob("dt=*/venv_*.json")}


def search_versions(capsys, store, *argv):
    code, out, err = run(capsys, "search", "--store", store.root, "--json", *argv)
    assert code in (0, 1), err
    versions = [json.loads(line)["venv_version"] for line in out.splitlines()]
    assert len(versions) == len(set(versions)), "a build listed twice"
    return sorted(versions)


def test_compact_folds_each_past_day_into_one_object_of_the_published_bytes(tmp_path, capsys):
    today = version_of(datetime.now(timezone.utc))
    store = published_store(tmp_path, OLD + [today])
    published = original_bytes(store)
    digests_before = {m["venv_version"]: d for m, d in stored_builds.records_with_digests(store)}

    code, out, err = run(capsys, "compact", "--store", store.root)
    assert code == 0, err
    assert "3 day(s) before" in out and "6 record(s), 6 object(s) folded" in out
    files = record_files(store)
    assert [f for f in files if "venv_" in f] == [f"dt={today[5:9]}-{today[9:11]}-{today[11:13]}/{today}.json"], (
        "a day within the last two stays as publish wrote it"
    )
    for day, versions in (("2025-01-01", DAY1), ("2025-01-02", DAY2), ("2025-01-03", DAY3)):
        [name] = [f for f in files if f.startswith(f"dt={day}/")]
        data = (store.root / "venv-builds-metadata" / name).read_bytes()
        assert name == f"dt={day}/records-{hashlib.sha256(data).hexdigest()[:16]}.json"
        assert data == b"".join(published[v] for v in versions), "each line a record's published bytes, in order"
    # Every reader sees the same builds, once each, with the same digests.
    assert {m["venv_version"]: d for m, d in stored_builds.records_with_digests(store)} == digests_before
    assert search_versions(capsys, store, "kedro") == sorted(OLD + [today])
    assert reuse.published(store, DAY1[1])["venv_version"] == DAY1[1]
    assert run(capsys, "compact", "--store", store.root)[1].startswith("0 day(s)"), "nothing left to do"
    assert record_files(store) == files


def test_publish_tags_and_reuse_see_a_compacted_build_as_published(tmp_path, capsys):
    store = published_store(tmp_path, DAY1)
    assert run(capsys, "compact", "--store", store.root, "--before", "2025-01-02")[0] == 0
    assert not list((store.root / "venv-builds-metadata").glob("dt=*/venv_*.json"))

    assert run(capsys, "tag", DAY1[0], "stable", "--store", store.root)[0] == 0
    assert tags.resolve(store, "stable") == DAY1[0]
    found = reuse.find(store, "demo", DAY1[2][-6:].rjust(64, "0"))
    assert found is not None and found["venv_version"] == DAY1[2]
    with pytest.raises(StoreError, match="already published"):
        publish.publish(tmp_path / "builds" / DAY1[1], store)  # the same build again


def test_gc_removes_a_build_from_its_compacted_file_and_search_agrees(tmp_path, capsys):
    store = published_store(tmp_path)
    assert run(capsys, "compact", "--store", store.root)[0] == 0
    assert search_versions(capsys, store, "kedro") == OLD  # the index is built before the collection
    code, out, err = run(capsys, "gc", "--store", store.root, "--keep-last", "2", "--apply")
    assert code == 0, err
    kept = OLD[-2:]
    assert sorted(p.name for p in (store.root / "venv-builds").iterdir()) == kept
    assert search_versions(capsys, store, "kedro") == kept
    assert sorted(m["venv_version"] for m in stored_builds.all_records(store)) == kept
    assert [f.split("/")[0] for f in record_files(store)] == ["dt=2025-01-03"], "emptied days leave no file"
    assert retention.plan(store, keep_last=2, keep_days=None).delete == []


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_an_interrupted_gc_on_a_compacted_day_loses_no_kept_build_and_the_next_run_finishes(tmp_path, capsys, fail_at):
    store = published_store(tmp_path, DAY1)
    run(capsys, "compact", "--store", store.root, "--before", "2025-01-02")
    failing = FailingStore(store.root, fail_at)
    result = retention.plan(failing, keep_last=1, keep_days=None)
    with pytest.raises(KeyboardInterrupt):
        retention.apply(failing, result, print)
    listed = search_versions(capsys, store, "kedro")
    assert DAY1[2] in listed
    for version in listed:
        assert (store.root / "venv-builds" / version / f"{version}.tar.gz").exists()
    assert run(capsys, "gc", "--store", store.root, "--keep-last", "1", "--apply")[0] == 0
    assert search_versions(capsys, store, "kedro") == [DAY1[2]]
    assert len(record_files(store)) == 1


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_an_interrupted_compaction_loses_nothing_and_the_next_run_finishes(tmp_path, capsys, fail_at):
    store = published_store(tmp_path)
    assert search_versions(capsys, store, "kedro") == OLD  # an index of the single objects
    failing = FailingStore(store.root, fail_at)
    with pytest.raises(KeyboardInterrupt):
        compaction.compact(failing, date(2025, 1, 4), print)
    # Midway: a day's records in single objects and its new compacted file at once; each listed once.
    assert search_versions(capsys, store, "kedro") == OLD
    assert sorted(m["venv_version"] for m in stored_builds.all_records(store)) == OLD
    assert sorted(b.venv_version for b in retention.plan(store, keep_last=0, keep_days=None).delete) == OLD
    assert run(capsys, "compact", "--store", store.root)[0] == 0
    assert len(record_files(store)) == 3 and all("records-" in f for f in record_files(store))
    assert search_versions(capsys, store, "kedro") == OLD


def test_a_day_in_two_compacted_files_and_single_objects_is_read_once_and_folded_into_one(tmp_path, capsys):
    store = published_store(tmp_path, DAY1)
    published = original_bytes(store)
    # An older compaction of the first two, and another of the last two: DAY1[1] is in both, and single.
    compaction.write_compacted(store, "2025-01-01", published[DAY1[0]] + published[DAY1[1]])
    compaction.write_compacted(store, "2025-01-01", published[DAY1[1]] + published[DAY1[2]])
    assert search_versions(capsys, store, "kedro") == DAY1
    assert [m["venv_version"] for m in stored_builds.all_records(store)] == DAY1
    assert run(capsys, "compact", "--store", store.root, "--before", "2025-01-02")[0] == 0
    [name] = record_files(store)
    assert (store.root / "venv-builds-metadata" / name).read_bytes() == b"".join(published[v] for v in DAY1)
    assert search_versions(capsys, store, "kedro") == DAY1


def test_a_record_published_into_the_day_while_it_is_compacted_stays_a_single_object(tmp_path, capsys):
    store = published_store(tmp_path, DAY1[:2])
    listed = compaction.days(store)["2025-01-01"]
    late = published_store(tmp_path / "late", DAY1[2:], store=store)  # publishes after the listing
    result = compaction.compact_day(late, "2025-01-01", listed)
    assert result.records == 2
    assert f"dt=2025-01-01/{DAY1[2]}.json" in record_files(store)
    assert search_versions(capsys, store, "kedro") == DAY1
    run(capsys, "compact", "--store", store.root, "--before", "2025-01-02")
    assert len(record_files(store)) == 1 and search_versions(capsys, store, "kedro") == DAY1


def test_two_compactions_at_once_lose_nothing(tmp_path, capsys):
    """Started together: the lease lets one run; the other stops in one line (or runs once the first ended)."""
    store = LocalStore(tmp_path / "store")
    versions = [f"venv_202501{d:02d}_{h:02d}0000" for d in range(1, 11) for h in range(10, 16)]
    for version in versions:
        write_record(store.root, version)
    published = original_bytes(store)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "venvbuild", "compact", "--store", str(store.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(2)
    ]
    codes = []
    for process in runs:
        _, err = process.communicate(timeout=120)
        codes.append(process.returncode)
        assert process.returncode == 0 or (
            process.returncode == StoreError.exit_code and b"holds the maintenance lease" in err
        ), err
    assert 0 in codes  # the lease lets one of them work (the other stops, or runs after)
    assert {m["venv_version"] for m in stored_builds.all_records(store)} == set(versions)
    assert run(capsys, "compact", "--store", store.root)[0] == 0
    assert len(record_files(store)) == 10
    joined = b"".join((store.root / "venv-builds-metadata" / f).read_bytes() for f in record_files(store))
    assert joined == b"".join(published[v] for v in versions)


def test_records_of_a_build_being_collected_are_left_out(tmp_path, capsys):
    store = published_store(tmp_path, DAY1)
    (store.root / "venv-builds-gc").mkdir()
    (store.root / "venv-builds-gc" / f"{DAY1[0]}.json").write_text(json.dumps({"venv_version": DAY1[0]}))
    assert run(capsys, "compact", "--store", store.root, "--before", "2025-01-02")[0] == 0
    assert sorted(m["venv_version"] for m in stored_builds.all_records(store)) == DAY1[1:]
    assert run(capsys, "gc", "--store", store.root, "--keep-last", "5", "--apply")[0] == 0  # finishes it
    assert sorted(p.name for p in (store.root / "venv-builds").iterdir()) == DAY1[1:]


def test_a_damaged_record_leaves_its_day_as_it_is_and_the_later_days_are_compacted(tmp_path, capsys):
    store = published_store(tmp_path)
    damaged = store.root / "venv-builds-metadata" / "dt=2025-01-01" / f"{DAY1[1]}.json"
    damaged.write_text('{"venv_version": "venv_20250101_110000"}\n')
    day1 = [f for f in record_files(store) if f.startswith("dt=2025-01-01/")]
    code, out, err = run(capsys, "compact", "--store", store.root)
    assert code == StoreError.exit_code and err.count("\n") == 1 and err.startswith("venvbuild: error: ")
    assert "1 day(s) not compacted" in err and "dt=2025-01-01" in err
    assert f"{DAY1[1]}.json: damaged build record" in out
    assert [f for f in record_files(store) if f.startswith("dt=2025-01-01/")] == day1
    assert [f.split("/")[0] for f in record_files(store) if "records-" in f] == ["dt=2025-01-02", "dt=2025-01-03"]
    assert not [f for f in record_files(store) if "venv_" in f and not f.startswith("dt=2025-01-01/")]


def test_a_record_of_a_newer_schema_is_folded_as_it_is_with_a_warning(tmp_path, capsys):
    store = published_store(tmp_path, DAY1)
    newer = store.root / "venv-builds-metadata" / "dt=2025-01-01" / f"{DAY1[1]}.json"
    record = json.loads(newer.read_bytes())
    newer.write_bytes((json.dumps({**record, "a_field_of_a_newer_venvbuild": 1}) + "\n").encode())
    published = original_bytes(store)
    code, out, err = run(capsys, "compact", "--store", store.root, "--before", "2025-01-02")
    assert code == 0, err
    assert "venvbuild: warning:" in err and "a_field_of_a_newer_venvbuild" in err
    [name] = record_files(store)
    assert (store.root / "venv-builds-metadata" / name).read_bytes() == b"".join(published[v] for v in DAY1)


@pytest.mark.parametrize("before", ["2025-13-01", "yesterday"])
def test_a_bad_before_is_one_line_naming_it(tmp_path, capsys, before):
    store = published_store(tmp_path, DAY2)
    files = record_files(store)
    code, out, err = run(capsys, "compact", "--store", store.root, "--before", before)
    assert code == 2 and err.count("\n") == 1 and "--before" in err and out == ""
    assert record_files(store) == files


def test_the_default_leaves_the_last_two_days():
    from venvbuild.cli.commands import compact

    assert compact.default_before(date(2026, 3, 1)) == date(2026, 2, 27)


def test_compact_and_gc_on_s3(tmp_path, capsys, s3_server, aws_env):
    import boto3

    from venvbuild.store.s3 import S3Store

    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="compact-bucket")
    store = published_store(tmp_path, OLD, store=S3Store("compact-bucket", endpoint_url=s3_server))
    digests = {m["venv_version"]: d for m, d in stored_builds.records_with_digests(store)}
    url = ["--store", "s3://compact-bucket/venv-builds", "--endpoint-url", s3_server]
    code, out, err = run(capsys, "compact", *url)
    assert code == 0, err
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="compact-bucket", Prefix="venv-builds-metadata/dt=")["Contents"])
    assert [k.split("/")[1] for k in keys] == ["dt=2025-01-01", "dt=2025-01-02", "dt=2025-01-03"]
    assert {m["venv_version"]: d for m, d in stored_builds.records_with_digests(store)} == digests
    assert reuse.published(store, DAY3[0])["venv_version"] == DAY3[0]
    assert run(capsys, "gc", *url, "--keep-last", "1", "--apply")[0] == 0
    assert [m["venv_version"] for m in stored_builds.all_records(store)] == [DAY3[1]]


def test_a_compacted_file_over_the_multipart_threshold_is_one_create_only_put(tmp_path, s3_server, aws_env):
    """The collector's policy allows only PutObject with If-None-Match: a multipart upload (boto3's choice
    from 8 MiB) would be denied, so a large day file must go up in one PutObject."""
    import boto3

    from venvbuild.store.base import ObjectExists
    from venvbuild.store.s3 import MULTIPART_THRESHOLD, S3Store

    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="big-day")
    store = S3Store("big-day", endpoint_url=s3_server)
    record = (json.dumps(stored_builds.parse(original_bytes(published_store(tmp_path, DAY1[:1]))[DAY1[0]], "x")) + "\n").encode()
    data = record * (MULTIPART_THRESHOLD // len(record) + 2)
    assert len(data) > MULTIPART_THRESHOLD
    key = compaction.write_compacted(store, "2025-01-01", data)
    head = s3.head_object(Bucket="big-day", Key=key)
    assert "-" not in head["ETag"], "a multipart upload's ETag"
    assert head["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    with pytest.raises(ObjectExists):
        store.put_new_bytes(key, data)


def test_catalog_of_a_compacted_store_is_the_same(tmp_path, capsys):
    store = published_store(tmp_path)
    assert run(capsys, "catalog", "--store", store.root, "--out", tmp_path / "before")[0] == 0
    assert run(capsys, "compact", "--store", store.root)[0] == 0
    assert run(capsys, "catalog", "--store", store.root, "--out", tmp_path / "after")[0] == 0
    before = {p.relative_to(tmp_path / "before"): p.read_bytes() for p in (tmp_path / "before").rglob("*") if p.is_file()}
    after = {p.relative_to(tmp_path / "after"): p.read_bytes() for p in (tmp_path / "after").rglob("*") if p.is_file()}
    assert after == before


def test_the_index_names_a_damaged_line_of_a_compacted_file_and_keeps_the_others(tmp_path, capsys):
    store = published_store(tmp_path, DAY1)
    run(capsys, "compact", "--store", store.root, "--before", "2025-01-02")
    [name] = record_files(store)
    path = store.root / "venv-builds-metadata" / name
    lines = path.read_bytes().splitlines(keepends=True)
    data = lines[0] + b'{"venv_version": "venv_20250101_130000"}\n' + lines[2]
    damaged = store.root / "venv-builds-metadata" / "dt=2025-01-01" / f"records-{hashlib.sha256(data).hexdigest()[:16]}.json"
    damaged.write_bytes(data)
    path.unlink()
    code, out, err = run(capsys, "search", "--store", store.root, "--json", "kedro")
    assert sorted(json.loads(line)["venv_version"] for line in out.splitlines()) == [DAY1[0], DAY1[2]]
    assert f"{damaged} line 2 skipped: does not match" in err


# --- races: a compact or gc moves records between objects while another reader or collector works ---------


class MovesRecordsOnFirstRead(LocalStore):
    """The real local store; its first read of a record object first lets another run move the day's records
    (between this reader's listing and its read, where the race happens in the field)."""

    def __init__(self, root, meanwhile, only=lambda key: "dt=" in key):
        super().__init__(root)
        self.meanwhile, self.only, self.fired = meanwhile, only, False

    def read(self, key):
        if not self.fired and self.only(key):
            self.fired = True
            self.meanwhile(LocalStore(self.root))
        return super().read(key)


@pytest.mark.parametrize("other", ["gc rewrites the day's file", "compact folds the day"])
def test_gc_planned_while_records_move_deletes_no_published_or_tagged_build(tmp_path, capsys, other):
    store = published_store(tmp_path, DAY1)
    if other.startswith("gc"):
        compaction.compact(store, date(2025, 1, 2), print)
        meanwhile = lambda plain: compaction.remove_record(plain, DAY1[2])  # noqa: E731 (another gc's step 2)
    else:
        meanwhile = lambda plain: compaction.compact(plain, date(2025, 1, 2), print)  # noqa: E731
    tags.tag(store, DAY1[0], "stable")

    result = retention.plan(MovesRecordsOnFirstRead(store.root, meanwhile), keep_last=10, keep_days=None)
    assert not {b.venv_version for b in result.incomplete} & set(DAY1[:2])
    retention.apply(store, result, print)

    assert {DAY1[0], DAY1[1]} <= {p.name for p in (store.root / "venv-builds").iterdir()}
    assert {DAY1[0], DAY1[1]} <= {m["venv_version"] for m in stored_builds.all_records(store)}
    assert tags.resolve(store, "stable") == DAY1[0]
    assert reuse.find(store, "demo", DAY1[0][-6:].rjust(64, "0"))["venv_version"] == DAY1[0]


def test_gc_apply_rechecks_a_build_planned_as_incomplete_and_a_stale_pointer(tmp_path):
    store = published_store(tmp_path, DAY1)
    stale = retention.Plan(
        incomplete=[retention.Build(DAY1[0], None, None)],
        stale_pointers=[layout.pointer_key(store, "demo", DAY1[1][-6:].rjust(64, "0"))],
    )
    said = []
    assert retention.apply(store, stale, said.append) == 0
    assert (store.root / "venv-builds" / DAY1[0]).exists() and reuse.pointer(store, "demo", DAY1[1][-6:].rjust(64, "0"))
    assert any("kept" in s and DAY1[0] in s for s in said)


def test_gc_apply_never_deletes_a_build_a_tag_points_at(tmp_path):
    store = published_store(tmp_path, DAY1)
    result = retention.plan(store, keep_last=0, keep_days=None)
    tags.tag(store, DAY1[1], "stable")  # after the plan
    retention.apply(store, result, print)
    assert [m["venv_version"] for m in stored_builds.all_records(store)] == [DAY1[1]]
    assert tags.resolve(store, "stable") == DAY1[1]


def test_is_published_and_reuse_see_a_build_whose_days_file_is_rewritten_meanwhile(tmp_path):
    store = published_store(tmp_path, DAY1)
    compaction.compact(store, date(2025, 1, 2), print)
    for victim, ask in ((DAY1[2], stored_builds.is_published), (DAY1[1], reuse.published)):
        racy = MovesRecordsOnFirstRead(
            store.root, lambda plain, v=victim: compaction.remove_record(plain, v), only=stored_builds.is_compacted
        )
        assert ask(racy, DAY1[0])
        assert racy.fired


def test_a_day_that_keeps_changing_is_an_error_never_a_silent_skip(tmp_path):
    store = published_store(tmp_path, DAY1)

    class Vanishing(LocalStore):
        def read(self, key):
            return None if "dt=" in key else super().read(key)

    with pytest.raises(StoreError, match="changed while reading"):
        stored_builds.all_records(Vanishing(store.root))
    with pytest.raises(StoreError, match="changed while reading"):
        retention.plan(Vanishing(store.root), keep_last=1, keep_days=None)


def test_compact_leaves_out_a_build_whose_collection_starts_while_it_reads(tmp_path, capsys):
    store = published_store(tmp_path, DAY1)
    gone = lambda: frozenset(b.venv_version for b in retention.tombstones(store))  # noqa: E731
    collection = MovesRecordsOnFirstRead(
        store.root,
        lambda plain: (
            (plain.root / "venv-builds-gc").mkdir(),
            (plain.root / "venv-builds-gc" / f"{DAY1[0]}.json").write_text(json.dumps({"venv_version": DAY1[0]})),
        ),
    )
    [result] = compaction.compact(collection, date(2025, 1, 2), print, gone)
    assert [stored_builds.version_in(line) for line in stored_builds.lines((store.root / result.written).read_bytes())] == DAY1[
        1:
    ]
    assert len(record_files(store)) == 1
    assert run(capsys, "gc", "--store", store.root, "--keep-last", "5", "--apply")[0] == 0  # finishes it
    assert sorted(p.name for p in (store.root / "venv-builds").iterdir()) == DAY1[1:]


def test_compact_does_not_write_back_a_build_collected_completely_while_it_reads(tmp_path):
    """Without the lease (the library, or a lease broken too early): a gc collects a build to the end, tombstone
    deleted, between compact's read of its record and compact's write."""
    store = published_store(tmp_path, DAY1)

    class GcRunsMeanwhile(LocalStore):
        reads = 0

        def read(self, key):
            data = super().read(key)
            if "dt=" in key:
                self.reads += 1
                if self.reads == len(DAY1):  # every single read: a gc --keep-last 1 runs to its end now
                    plain = LocalStore(self.root)
                    retention.apply(plain, retention.plan(plain, keep_last=1, keep_days=None), print)
            return data

    compaction.compact(GcRunsMeanwhile(store.root), date(2025, 1, 2), print)
    assert [m["venv_version"] for m in stored_builds.all_records(store)] == [DAY1[2]]
    assert sorted(p.name for p in (store.root / "venv-builds").iterdir()) == [DAY1[2]]


def test_remove_record_also_finds_the_line_a_compaction_writes_after_its_listing(tmp_path):
    store = published_store(tmp_path, DAY1)
    published = original_bytes(store)
    compaction.write_compacted(store, "2025-01-01", published[DAY1[0]] + published[DAY1[1]])

    class CompactsAfterListing(LocalStore):
        listed = False

        def keys_under(self, prefix):
            keys = super().keys_under(prefix)
            if "records-" in prefix and not self.listed:
                self.listed = True  # a compaction that read every single writes the day's file now
                compaction.write_compacted(LocalStore(self.root), "2025-01-01", b"".join(published[v] for v in DAY1))
            return keys

    compaction.remove_record(CompactsAfterListing(store.root), DAY1[0])
    assert DAY1[0] not in {m["venv_version"] for m in stored_builds.all_records(store)}


def test_gc_apply_and_compact_exclude_each_other_through_the_lease(tmp_path, capsys):
    store = published_store(tmp_path, DAY1)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom venvbuild.lifecycle import maintenance_lease\n"
            "from venvbuild.store.local import LocalStore\n"
            "with maintenance_lease.held(LocalStore(sys.argv[1]), 'compact'):\n"
            "    print('held', flush=True); sys.stdin.readline()\n",
            str(store.root),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        for argv in (["gc", "--keep-last", "0", "--apply"], ["compact"]):
            other = subprocess.run(
                [sys.executable, "-m", "venvbuild", *argv, "--store", str(store.root)],
                capture_output=True,
                text=True,
                env=env,
                timeout=CHILD_TIMEOUT_S,
            )
            assert other.returncode == StoreError.exit_code, other.stderr
            assert other.stderr.count("\n") == 1 and other.stderr.startswith("venvbuild: error: ")
            assert f"a compact by {os.uname().nodename} pid {holder.pid} holds the maintenance lease" in other.stderr
            assert " min " in other.stderr and "s ago" in other.stderr
        assert run(capsys, "gc", "--store", store.root, "--keep-last", "0")[0] == 0  # a dry run takes no lease
        assert sorted(p.name for p in (store.root / "venv-builds").iterdir()) == DAY1
    finally:
        holder.communicate("\n", timeout=30)
    assert holder.returncode == 0
    assert run(capsys, "gc", "--store", store.root, "--keep-last", "0", "--apply")[0] == 0
    assert not (store.root / "venv-builds-metadata" / "_maintenance" / "lease.json").exists()


def test_an_expired_lease_is_broken_once(tmp_path, capsys):
    from datetime import timedelta

    from venvbuild.lifecycle import maintenance_lease

    store = published_store(tmp_path, DAY1)
    dead = datetime.now(timezone.utc) - maintenance_lease.LEASE_TTL - timedelta(minutes=1)
    lease = store.root / "venv-builds-metadata" / "_maintenance" / "lease.json"
    with maintenance_lease.held(store, "gc --apply", now=dead):
        pass
    assert not lease.exists()
    body = (
        json.dumps(
            {
                "owner": "gone-host pid 1",
                "command": "gc --apply",
                "started_at": dead.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "expires_at": (dead + maintenance_lease.LEASE_TTL).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
        + "\n"
    )
    lease.parent.mkdir(parents=True, exist_ok=True)
    lease.write_text(body)
    now = datetime.now(timezone.utc)
    # two runs break the same dead lease: the one that creates the break marker second stops
    marker = layout.lease_break_key(store, body.encode())
    store.put_new_bytes(marker, b"{}")
    with pytest.raises(StoreError, match="another run is breaking it"):
        maintenance_lease.take(store, b"{}", now)
    store.delete(marker)
    with maintenance_lease.held(store, "compact", now=now):
        assert json.loads(lease.read_text())["command"] == "compact"
        with pytest.raises(StoreError, match="a compact by .* holds the maintenance lease"):
            maintenance_lease.take(store, b"{}", now)
    assert not lease.parent.exists() or not list(lease.parent.iterdir())


def test_a_forged_compacted_file_shadows_no_record_and_is_not_folded(tmp_path, capsys):
    store = published_store(tmp_path, DAY1)
    published = original_bytes(store)
    forged = json.loads(published[DAY1[0]])
    forged["env_name"] = "evil"
    day = store.root / "venv-builds-metadata" / "dt=2025-01-01"
    misnamed = day / "records-0000000000000000.json"
    misnamed.write_bytes((json.dumps(forged) + "\n").encode())
    got = {m["venv_version"]: m["env_name"] for m in stored_builds.all_records(store)}
    assert got[DAY1[0]] == "demo"
    assert json.loads(search_one(capsys, store))["env_name"] == "demo"
    code, out, err = run(capsys, "compact", "--store", store.root, "--before", "2025-01-02")
    assert code == 0, err
    assert misnamed.exists(), "compact deletes no object it does not trust"
    [name] = [f for f in record_files(store) if f != "dt=2025-01-01/records-0000000000000000.json"]
    assert (store.root / "venv-builds-metadata" / name).read_bytes() == b"".join(published[v] for v in DAY1)


def test_a_correctly_named_forged_copy_stops_its_day_and_never_wins(tmp_path, capsys):
    store = published_store(tmp_path, DAY1)
    published = original_bytes(store)
    forged = json.loads(published[DAY1[0]])
    forged["env_name"] = "evil"
    compaction.write_compacted(store, "2025-01-01", (json.dumps(forged) + "\n").encode())
    assert stored_builds.find_record(store, DAY1[0]) == published[DAY1[0]]
    assert {m["env_name"] for m in stored_builds.all_records(store)} == {"demo"}
    assert json.loads(search_one(capsys, store))["env_name"] == "demo"
    before = record_files(store)
    code, out, err = run(capsys, "compact", "--store", store.root, "--before", "2025-01-02")
    assert code == StoreError.exit_code and "dt=2025-01-01" in err and err.count("\n") == 1
    assert "differs from its copy" in out
    assert record_files(store) == before


def search_one(capsys, store):
    code, out, err = run(capsys, "search", "--store", store.root, "--json", f"lib-{DAY1[0][-6:]}")
    assert code == 0, err
    [line] = out.splitlines()
    return line
