"""Publishing to a directory store: the same create-only, resumable rules as S3."""

import json
import os
import tempfile
from pathlib import Path

import pytest

from venvbuild.cli import main
from venvbuild.record import artifacts
from venvbuild.store import layout

VERSION = "venv_20250722_163000"


def publish(capsys, build, store, *options):
    code = main(["publish", str(build), "--store", str(store), *options])
    out, err = capsys.readouterr()
    return code, out, err


def test_publish_twice_is_refused(build_dir_factory, tmp_path, capsys):
    build, store = build_dir_factory(), tmp_path / "store"
    assert publish(capsys, build, store)[0] == 0
    record = store / "venv-builds-metadata" / "dt=2025-07-22" / f"{VERSION}.json"
    assert json.loads(record.read_text())["venv_archive"] == (store / "venv-builds" / VERSION / f"{VERSION}.tar.gz").as_uri()

    code, out, err = publish(capsys, build, store)

    assert code == 6 and out == ""
    assert err.strip().splitlines() == [
        f"venvbuild: error: {VERSION} is already published in {store}; a version is never overwritten"
    ]


def test_interrupted_publish_is_finished_by_a_rerun(build_dir_factory, tmp_path, capsys):
    build, store = build_dir_factory(), tmp_path / "store"
    assert publish(capsys, build, store)[0] == 0
    # As if the publish had stopped before its last two objects.
    (store / "venv-builds" / VERSION / artifacts.METADATA).unlink()
    record = store / "venv-builds-metadata" / "dt=2025-07-22" / f"{VERSION}.json"
    record.unlink()

    code, _, err = publish(capsys, build, store)

    assert code == 0, err
    assert f"venv-builds/{VERSION}/{VERSION}.tar.gz already stored with the same sha256, skipped" in err
    assert record.read_text() == (build / artifacts.METADATA).read_text()


def test_stored_object_with_other_content_is_refused(build_dir_factory, tmp_path, capsys):
    build, store = build_dir_factory(), tmp_path / "store"
    folder = store / "venv-builds" / VERSION
    folder.mkdir(parents=True)
    # This build's own archive (as an interrupted publish leaves it), beside someone else's requirements.
    archive = f"{VERSION}.tar.gz"
    (folder / archive).write_bytes((build / archive).read_bytes())
    (folder / artifacts.REQUIREMENTS).write_text("other==1.0\n")

    code, _, err = publish(capsys, build, store)

    assert code == 6
    assert "requirements.txt already exists with other content" in err
    assert not list((store / "venv-builds-metadata").glob("dt=*")), "no search record"
    assert not (folder / artifacts.METADATA).exists()


def test_a_version_another_build_took_is_refused_or_moved_to_the_next_free_second(build_dir_factory, tmp_path, capsys):
    import json

    store = tmp_path / "store"
    first = build_dir_factory(VERSION, archive_bytes=b"first build")
    assert publish(capsys, first, store)[0] == 0
    (tmp_path / "second").mkdir()
    from tests._support.records import make_build_dir

    second = make_build_dir(tmp_path / "second", VERSION, archive_bytes=b"second build")

    code, _, err = publish(capsys, second, store)
    assert code == 6 and f"{VERSION} belongs to another build" in err

    code, out, err = publish(capsys, second, store, "--next-free-version", "--json")
    assert code == 0, err
    moved = "venv_20250722_163001"
    assert f"{VERSION} was taken by another build; publishing as {moved}" in err
    stored = json.loads(out)
    assert stored["venv_version"] == moved and stored["created_at"] == "2025-07-22T16:30:01Z"
    assert stored["venv_archive"].endswith(f"/{moved}/{moved}.tar.gz")
    assert (store / "venv-builds" / moved / f"{moved}.tar.gz").read_bytes() == b"second build"
    assert (store / "venv-builds" / VERSION / f"{VERSION}.tar.gz").read_bytes() == b"first build"
    assert (second / f"{moved}.tar.gz").exists() and not (second / f"{VERSION}.tar.gz").exists()
    assert json.loads((second / artifacts.METADATA).read_text()) == stored
    records = sorted(p.name for p in (store / "venv-builds-metadata").rglob("*.json"))
    assert records == [f"{VERSION}.json", f"{moved}.json"]

    code, _, err = publish(capsys, second, store, "--next-free-version")
    assert code == 6 and f"{moved} is already published" in err, "its own version again is refused, not moved"


def test_a_build_that_wins_the_race_between_check_and_store_moves_the_other_on(build_dir_factory, tmp_path):
    """Both builds see a free version; the create-only store of the archive decides who keeps it."""
    from tests._support.records import make_build_dir
    from venvbuild._util.checksum import sha256_file
    from venvbuild.build.publish import publish as publish_build
    from venvbuild.store.local import LocalStore

    class RacingStore(LocalStore):
        def any_under(self, key_prefix):
            return False  # as when the other build's archive lands right after the look

    store = RacingStore(tmp_path / "store")
    winner = build_dir_factory(VERSION, archive_bytes=b"winner")
    archive = f"{VERSION}.tar.gz"
    store.put_new(layout.artifact_key(store, VERSION, archive), winner / archive, sha256_file(winner / archive))  # mid-publish
    loser = make_build_dir(tmp_path / "loser", VERSION, archive_bytes=b"loser")
    stored = publish_build(loser, store, renumber=True)
    assert stored["venv_version"] == "venv_20250722_163001"
    assert (tmp_path / "store" / "venv-builds" / VERSION / f"{VERSION}.tar.gz").read_bytes() == b"winner"


def _stored_archive(store):
    return store / "venv-builds" / VERSION / f"{VERSION}.tar.gz"


def test_a_temporary_builds_archive_is_linked_into_a_store_on_the_same_file_system(build_dir_factory, tmp_path):
    from venvbuild._util.checksum import sha256_file
    from venvbuild.build.publish import publish as publish_build
    from venvbuild.store.local import LocalStore

    build = build_dir_factory()
    archive = build / f"{VERSION}.tar.gz"
    publish_build(build, LocalStore(tmp_path / "store"), give_up_archive=True)

    stored = _stored_archive(tmp_path / "store")
    assert stored.samefile(archive), "not written a second time"
    digest = sha256_file(stored)
    archive.unlink()  # the temporary work folder goes
    assert sha256_file(stored) == digest == json.loads((build / artifacts.METADATA).read_text())["archive_sha256"]
    assert [p.name for p in stored.parent.iterdir() if p.name.startswith(".part-")] == []


def test_a_kept_builds_archive_is_copied(build_dir_factory, tmp_path):
    from venvbuild.build.publish import publish as publish_build
    from venvbuild.store.local import LocalStore

    build = build_dir_factory()
    publish_build(build, LocalStore(tmp_path / "store"))

    stored = _stored_archive(tmp_path / "store")
    assert not stored.samefile(build / f"{VERSION}.tar.gz"), "a work folder the user keeps never shares the store's bytes"
    assert stored.read_bytes() == (build / f"{VERSION}.tar.gz").read_bytes()


def test_a_store_on_another_file_system_gets_a_copy(build_dir_factory, tmp_path):
    from venvbuild.build.publish import publish as publish_build
    from venvbuild.store.local import LocalStore

    build = build_dir_factory()
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(build).st_dev:
        pytest.skip("no second file system here")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as other:
        publish_build(build, LocalStore(other), give_up_archive=True)
        stored = _stored_archive(Path(other))
        assert not stored.samefile(build / f"{VERSION}.tar.gz")
        assert stored.read_bytes() == (build / f"{VERSION}.tar.gz").read_bytes()
