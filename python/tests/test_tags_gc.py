"""Tags (`venvbuild tag`, `search --tag`, tags.resolve) and retention (`venvbuild gc`), on published builds."""

import json
import os
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from tests._support.records import make_build_dir
from tests._support.stores import FailingStore
from venvbuild._util.resources import load_json
from venvbuild.build import publish
from venvbuild.cli import main
from venvbuild.errors import UsageError
from venvbuild.lifecycle import retention, reuse, tags
from venvbuild.query import ddl
from venvbuild.record.versions import version_of
from venvbuild.store.local import LocalStore

OLD = ["venv_20250101_100000", "venv_20250102_100000", "venv_20250103_100000", "venv_20250104_100000"]


def run(capsys, *argv):
    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def published_store(tmp_path, versions=OLD, env_name="demo", store=None):
    store = store or LocalStore(tmp_path / "store")
    for version in versions:
        build_dir = make_build_dir(
            tmp_path / "builds" / env_name, version, env_name=env_name, build_key=version[-6:].rjust(64, "0"), fully_pinned=True
        )
        publish.publish(build_dir, store)
    return store


def files(store: LocalStore):
    return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file() and "_index" not in p.parts)


def search_versions(capsys, store, *argv):
    code, out, err = run(capsys, "search", "--store", store.root, "--json", *argv)
    assert code in (0, 1), err
    return sorted(json.loads(line)["venv_version"] for line in out.splitlines())


def test_the_newest_tag_event_wins_and_remove_is_an_event(tmp_path, capsys):
    store = published_store(tmp_path)
    assert run(capsys, "tag", OLD[0], "stable", "--store", store.root)[0] == 0
    assert tags.resolve(store, "stable") == OLD[0]
    assert run(capsys, "tag", OLD[2], "stable", "--store", store.root)[0] == 0
    assert tags.resolve(store, "stable", "demo") == OLD[2]
    code, out, _ = run(capsys, "tag", OLD[2], "stable", "--store", store.root, "--remove")
    assert code == 0 and "removed" in out
    with pytest.raises(UsageError, match="no build is tagged stable"):
        tags.resolve(store, "stable")
    events = [e for e in files(store) if e.startswith("venv-builds-tags/")]
    assert events == [f"venv-builds-tags/demo~stable~{n:010d}.json" for n in (1, 2, 3)]
    assert [json.loads((store.root / e).read_text())["action"] for e in events] == ["add", "add", "remove"]


def test_a_tag_is_per_env_name_and_ambiguous_without_one(tmp_path, capsys):
    store = published_store(tmp_path, OLD[:1])
    published_store(tmp_path, ["venv_20250201_100000"], env_name="other", store=store)
    run(capsys, "tag", OLD[0], "stable", "--store", store.root)
    run(capsys, "tag", "venv_20250201_100000", "stable", "--store", store.root)
    assert tags.resolve(store, "stable", "other") == "venv_20250201_100000"
    with pytest.raises(UsageError, match="several env names carry it"):
        tags.resolve(store, "stable")


@pytest.mark.parametrize(
    "argv, parameter",
    [
        (["venv_20990101_000000", "stable"], "VERSION"),
        (["not-a-version", "stable"], "VERSION"),
        ([OLD[0], "bad tag!"], "TAG"),
        ([OLD[0], "~x"], "TAG"),
        ([OLD[1], "stable", "--remove"], "TAG"),  # stable points at OLD[0]
    ],
)
def test_bad_tag_input_is_one_line_and_changes_nothing(tmp_path, capsys, argv, parameter):
    store = published_store(tmp_path, OLD[:2])
    run(capsys, "tag", OLD[0], "stable", "--store", store.root)
    before = files(store)
    code, out, err = run(capsys, "tag", *argv, "--store", store.root)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"venvbuild: error: {parameter} ")
    assert files(store) == before


def test_search_by_tag(tmp_path, capsys):
    store = published_store(tmp_path)
    run(capsys, "tag", OLD[1], "stable", "--store", store.root)
    run(capsys, "tag", OLD[3], "candidate", "--store", store.root)
    assert search_versions(capsys, store, "--tag", "stable") == [OLD[1]]
    assert search_versions(capsys, store, "kedro", "--tag", "stable", "--tag", "candidate") == [OLD[1], OLD[3]]
    assert search_versions(capsys, store, "--tag", "nothing") == []
    code, _, err = run(capsys, "search", "--store", store.root)
    assert code == 2 and err.startswith("venvbuild: error: SPEC")


def test_gc_keep_last_0_leaves_exactly_the_tagged_builds_and_search_agrees(tmp_path, capsys):
    store = published_store(tmp_path)
    run(capsys, "tag", OLD[1], "stable", "--store", store.root)
    assert search_versions(capsys, store, "kedro") == OLD  # the index exists before the collection
    before = files(store)

    code, out, _ = run(capsys, "gc", "--store", store.root, "--keep-last", "0")
    assert code == 0 and out.count("would delete") == 3 and f"keep    {OLD[1]}  (tagged stable)" in out
    assert files(store) == before, "without --apply nothing is deleted"

    code, out, _ = run(capsys, "gc", "--store", store.root, "--keep-last", "0", "--apply")
    assert code == 0, out
    assert sorted(p.name for p in (store.root / "venv-builds").iterdir()) == [OLD[1]]
    assert search_versions(capsys, store, "kedro") == [OLD[1]]
    assert not list(store.root.glob("venv-builds-gc/*")), "no tombstone left"
    assert not [k for k in files(store) if k.startswith("venv-builds-reuse/keys/") and OLD[1][-6:] not in k]


def test_gc_keeps_the_newest_the_recent_and_the_recently_reused(tmp_path, capsys):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    recent = [version_of(now - timedelta(days=d)) for d in (1, 2)]
    store = published_store(tmp_path, OLD + recent)
    reuse.record_returned(store, reuse.published(store, OLD[0]))  # returned today: still in use
    result = retention.plan(store, keep_last=1, keep_days=7)
    assert result.keep == {
        recent[0]: "one of the newest 1",
        recent[1]: "created within the keep window",
        OLD[0]: "returned by a reuse within the keep window",
    }
    assert sorted(b.venv_version for b in result.delete) == OLD[1:]
    # Without --keep-days there is no window: only the newest is kept.
    assert set(retention.plan(store, keep_last=1, keep_days=None).keep) == {recent[0]}


def test_gc_without_a_keep_rule_is_one_line_and_changes_nothing(tmp_path, capsys):
    store = published_store(tmp_path, OLD[:2])
    before = files(store)
    code, out, err = run(capsys, "gc", "--store", store.root, "--apply")
    assert code == 2 and out == "" and err.count("\n") == 1 and "--keep-last" in err
    with pytest.raises(SystemExit) as exited:
        main(["gc", "--store", str(store.root), "--keep-last", "-1"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and err.count("\n") == 1 and "--keep-last '-1'" in err
    assert files(store) == before


@pytest.mark.parametrize("fail_at", [1, 2, 4])
def test_an_interrupted_gc_never_shows_a_build_without_its_archive_and_the_next_run_finishes(tmp_path, capsys, fail_at):
    store = published_store(tmp_path, OLD[:2])
    failing = FailingStore(store.root, fail_at)
    result = retention.plan(failing, keep_last=1, keep_days=None)
    assert [b.venv_version for b in result.delete] == [OLD[0]]
    with pytest.raises(KeyboardInterrupt):
        retention.apply(failing, result, print)
    for version in search_versions(capsys, store, "kedro"):
        assert (store.root / "venv-builds" / version / f"{version}.tar.gz").exists()
    code, out, _ = run(capsys, "gc", "--store", store.root, "--keep-last", "1", "--apply")
    assert code == 0
    assert sorted(p.name for p in (store.root / "venv-builds").iterdir()) == [OLD[1]]
    assert search_versions(capsys, store, "kedro") == [OLD[1]]
    assert not (store.root / "venv-builds-gc").exists()


def test_an_incomplete_publish_is_collected_only_once_unchanged_for_a_day(tmp_path, capsys):
    """A build folder without a record is collected once neither its version nor its files are from the
    last day: an old build published just now (recent files) is a publish in progress."""
    store = published_store(tmp_path, OLD[:1])
    fresh = version_of(datetime.now(timezone.utc))
    for version in ("venv_20240101_000000", "venv_20240102_000000", fresh):  # an archive only: cut short
        (store.root / "venv-builds" / version).mkdir(parents=True)
        (store.root / "venv-builds" / version / f"{version}.tar.gz").write_bytes(b"partial")
    long_ago = datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()
    folder = store.root / "venv-builds" / "venv_20240101_000000"
    for path in (folder / "venv_20240101_000000.tar.gz", folder):
        os.utime(path, (long_ago, long_ago))
    result = retention.plan(store, keep_last=5, keep_days=None)
    assert [b.venv_version for b in result.incomplete] == ["venv_20240101_000000"]
    assert "a publish may be under way" in result.keep["venv_20240102_000000"]
    retention.apply(store, result, print)
    assert sorted(p.name for p in (store.root / "venv-builds").iterdir()) == sorted([OLD[0], "venv_20240102_000000", fresh])


def test_tags_and_gc_on_s3(tmp_path, capsys, s3_server, aws_env):
    import boto3

    from venvbuild.store.s3 import S3Store

    s3 = boto3.client("s3", endpoint_url=s3_server)
    s3.create_bucket(Bucket="gc-bucket")
    store = published_store(tmp_path, OLD[:3], store=S3Store("gc-bucket", endpoint_url=s3_server))
    url = ["--store", "s3://gc-bucket/venv-builds", "--endpoint-url", s3_server]
    assert run(capsys, "tag", OLD[0], "stable", *url)[0] == 0
    assert tags.resolve(store, "stable") == OLD[0]
    code, out, err = run(capsys, "gc", *url, "--keep-last", "0", "--apply")
    assert code == 0, err
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="gc-bucket")["Contents"]}
    assert {k.split("/")[1] for k in keys if k.startswith("venv-builds/")} == {OLD[0]}
    assert sorted(k for k in keys if k.startswith("venv-builds-metadata/")) == [
        f"venv-builds-metadata/_claims/{OLD[0]}",
        f"venv-builds-metadata/dt=2025-01-01/{OLD[0]}.json",
    ]
    assert not [k for k in keys if k.startswith("venv-builds-gc/")]


def test_the_tag_events_table_reads_what_venvbuild_tag_writes(tmp_path, capsys):
    import sqlglot
    from sqlglot import exp

    code, out, err = run(capsys, "ddl", "--bucket", "my-bucket", "--prefix", "team/builds", "--tags", "--database", "tools")
    assert code == 0, err
    tree = sqlglot.parse_one(out, read="hive")
    assert tree.this.this.name == "venv_build_tags" and tree.this.this.args["db"].name == "tools"
    location = next(p for p in tree.args["properties"].expressions if isinstance(p, exp.LocationProperty)).this.name
    assert location == "s3://my-bucket/team/builds-tags/"
    columns = [c.name for c in tree.this.expressions]
    store = published_store(tmp_path, OLD[:1])
    run(capsys, "tag", OLD[0], "stable", "--store", store.root)
    [event] = store.root.glob("venv-builds-tags/*.json")
    assert event.read_text().count("\n") == 1, "one JSON object per line, as the SerDe reads"
    assert columns == list(json.loads(event.read_text()))
    jsonschema.validate(json.loads(event.read_text()), load_json(ddl.TAG_EVENT_SCHEMA))

    # Trino's table (what the Trino suite creates) has the same columns, from the same schema.
    code, out, err = run(capsys, "ddl", "--bucket", "my-bucket", "--prefix", "team/builds", "--tags", "--engine", "trino")
    assert code == 0, err
    tree = sqlglot.parse_one(out, read="trino")
    assert [c.name for c in tree.this.expressions] == columns
    assert "external_location = 's3://my-bucket/team/builds-tags/'" in out


def test_concurrent_taggers_each_get_their_own_event_and_the_newest_wins(tmp_path):
    import subprocess
    import sys

    store = published_store(tmp_path)
    taggers = [
        subprocess.Popen(
            [sys.executable, "-m", "venvbuild", "tag", version, "stable", "--store", str(store.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for version in OLD
    ]
    assert [p.wait(timeout=120) for p in taggers] == [0] * len(OLD), [p.stderr.read() for p in taggers]
    history = tags.events(store, "demo", "stable")
    assert [e.sequence for e in history] == [1, 2, 3, 4]
    assert sorted(e.venv_version for e in history) == OLD
    assert tags.resolve(store, "stable") == history[-1].venv_version


# --- what an event is (the Athena query, sql/search_athena_tagged.sql, reads the objects by the same rules) ---


def event_object(store: LocalStore, name: str, text: str) -> str:
    path = store.root / "venv-builds-tags" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return store.url(f"venv-builds-tags/{name}")


EVENT = {
    "env_name": "demo",
    "tag": "stable",
    "sequence": 2,
    "venv_version": OLD[1],
    "action": "add",
    "created_at": "2025-03-01T00:00:00Z",
    "build_url": None,
}
GOOD = json.dumps(EVENT)
DAMAGED = {
    "a blank line": "\n",
    "not JSON": "garbage\n",
    "a JSON list": "[1, 2]\n",
    "JSON null": "null\n",
    "no venv_version": json.dumps({k: v for k, v in EVENT.items() if k != "venv_version"}) + "\n",
    "no action": json.dumps({k: v for k, v in EVENT.items() if k != "action"}) + "\n",
    "an unknown action": json.dumps({**EVENT, "action": "delete"}) + "\n",
    "a number for venv_version": json.dumps({**EVENT, "venv_version": 5}) + "\n",
    "two events": GOOD + "\n" + GOOD + "\n",
    "a blank line after it": GOOD + "\n\n",  # Athena reads two rows: the event and one of nulls
    "pretty-printed": json.dumps(EVENT, indent=2) + "\n",
}


@pytest.mark.parametrize("contents", list(DAMAGED.values()), ids=list(DAMAGED))
def test_a_damaged_newest_event_leaves_the_tag_unset_and_is_warned_about_once(tmp_path, capsys, monkeypatch, contents):
    monkeypatch.setattr(tags, "_warned", set())
    store = published_store(tmp_path, OLD[:2])
    run(capsys, "tag", OLD[0], "stable", "--store", store.root)
    url = event_object(store, "demo~stable~0000000002.json", contents)

    code, out, err = run(capsys, "search", "--store", store.root, "--tag", "stable", "--json")
    assert (code, out) == (1, "")
    assert err == (
        f"venvbuild: warning: tag event {url} is not one line holding a JSON object with a venv_version "
        "and an action add or remove: it leaves the tag unset while it is the newest event\n"
    )
    with pytest.raises(UsageError, match="no build is tagged stable"):
        tags.resolve(store, "stable")
    monkeypatch.setattr(tags, "_warned", set())
    code, out, err = run(capsys, "gc", "--store", store.root, "--keep-last", "0")  # reads the events per build
    assert code == 0 and err.count("venvbuild: warning: tag event") == 1, err

    assert run(capsys, "tag", OLD[1], "stable", "--store", store.root)[0] == 0  # the next event sets it again
    assert (store.root / "venv-builds-tags" / "demo~stable~0000000003.json").is_file()
    assert tags.resolve(store, "stable") == OLD[1]


def test_one_line_event_with_or_without_its_newline_is_an_event(tmp_path, capsys):
    store = published_store(tmp_path, OLD[:2])
    run(capsys, "tag", OLD[0], "stable", "--store", store.root)
    for sequence, contents in ((2, GOOD), (3, GOOD.replace(OLD[1], OLD[0]) + "\r\n")):
        event_object(store, f"demo~stable~{sequence:010d}.json", contents)
        code, _, err = run(capsys, "search", "--store", store.root, "--tag", "stable")
        assert code == 0 and "warning" not in err
    assert tags.resolve(store, "stable") == OLD[0]


def test_an_empty_object_holds_no_event_and_the_next_tag_numbers_past_it(tmp_path, capsys, monkeypatch):
    """Athena reads no row at all from an empty object, so it cannot be the newest event on either side."""
    monkeypatch.setattr(tags, "_warned", set())
    store = published_store(tmp_path, OLD[:2])
    run(capsys, "tag", OLD[0], "stable", "--store", store.root)
    url = event_object(store, "demo~stable~0000000002.json", "")

    assert search_versions(capsys, store, "--tag", "stable") == [OLD[0]]
    assert capsys.readouterr().err == ""  # warned once, in the search above
    monkeypatch.setattr(tags, "_warned", set())
    code, out, err = run(capsys, "search", "--store", store.root, "--tag", "stable")
    assert code == 0 and err == f"venvbuild: warning: tag event {url} is empty: it holds no tag event\n"
    assert run(capsys, "tag", OLD[1], "stable", "--store", store.root)[0] == 0
    assert (store.root / "venv-builds-tags" / "demo~stable~0000000003.json").is_file()
    assert tags.resolve(store, "stable") == OLD[1]


@pytest.mark.parametrize(
    "name",
    [
        "demo~stable~2.json",
        "demo~stable~00000000002.json",
        "demo~stable~000000000x.json",
        "demo~stable~0000000002.json.bak",
        "sub/demo~stable~0000000002.json",
    ],
)
def test_only_what_venvbuild_tag_names_is_an_event(tmp_path, capsys, name):
    """A sequence of exactly 10 digits, as event_key writes: no two events of a tag share one."""
    store = published_store(tmp_path, OLD[:2])
    run(capsys, "tag", OLD[0], "stable", "--store", store.root)
    event_object(store, name, GOOD + "\n")

    assert tags.resolve(store, "stable") == OLD[0]
    assert search_versions(capsys, store, "--tag", "stable") == [OLD[0]]


def test_an_events_name_not_its_contents_says_whose_event_it_is(tmp_path, capsys):
    store = published_store(tmp_path, OLD[:2])
    run(capsys, "tag", OLD[0], "stable", "--store", store.root)
    event_object(
        store, "demo~stable~0000000002.json", json.dumps({**EVENT, "env_name": "other", "tag": "lts", "sequence": 999999}) + "\n"
    )
    run(capsys, "tag", OLD[0], "stable", "--store", store.root)  # sequence 3, whatever event 2 says of itself

    assert tags.current(store) == {("demo", "stable"): OLD[0]}


def test_an_event_points_only_at_a_build_of_its_own_env_name(tmp_path, capsys):
    store = published_store(tmp_path, OLD[:1])
    published_store(tmp_path, ["venv_20250201_100000"], env_name="other", store=store)
    event_object(
        store,
        "demo~swap~0000000001.json",
        json.dumps({**EVENT, "tag": "swap", "sequence": 1, "venv_version": "venv_20250201_100000"}) + "\n",
    )
    event_object(
        store,
        "other~swap~0000000001.json",
        json.dumps({**EVENT, "env_name": "other", "tag": "swap", "sequence": 1, "venv_version": OLD[0]}) + "\n",
    )

    assert search_versions(capsys, store, "--tag", "swap") == []
    assert search_versions(capsys, store, "kedro", "--tag", "swap") == []
    code, out, err = run(
        capsys, "pull", "--tag", "swap", "--env-name", "other", "--store", store.root, "--dest", tmp_path / "pulled"
    )
    assert (code, out) == (2, "")
    assert err == (f"venvbuild: error: --tag swap: for env other it points at {OLD[0]}, a build of env demo; not pulled\n")
    assert not (tmp_path / "pulled").exists()


@pytest.mark.parametrize("option", [["--since", "2024-01-01"], ["--view", "v"]])
def test_ddl_tags_refuses_the_records_tables_options(capsys, option):
    code, out, err = run(capsys, "ddl", "--bucket", "my-bucket", "--tags", *option)
    assert (code, out) == (2, "")
    assert err == f"venvbuild: error: {option[0]} does not apply to --tags\n"
