"""Publishing to a directory store: the same create-only, resumable rules as S3."""

import json

from venvbuild import artifacts
from venvbuild.cli import main

VERSION = "venv_20250722_163000"


def publish(capsys, build, store):
    code = main(["publish", str(build), "--store", str(store)])
    out, err = capsys.readouterr()
    return code, out, err


def test_publish_twice_is_refused(build_dir_factory, tmp_path, capsys):
    build, store = build_dir_factory(), tmp_path / "store"
    assert publish(capsys, build, store)[0] == 0
    record = store / "venv-builds-metadata" / "dt=2025-07-22" / f"{VERSION}.json"
    assert json.loads(record.read_text())["venv_archive"] == (store / "venv-builds" / VERSION / f"{VERSION}.tar.gz").as_uri()

    code, out, err = publish(capsys, build, store)

    assert code == 6 and out == ""
    assert err.strip().splitlines() == [f"venvbuild: error: {VERSION} is already published in {store}; a version is never overwritten"]


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
    (folder / artifacts.REQUIREMENTS).write_text("other==1.0\n")

    code, _, err = publish(capsys, build, store)

    assert code == 6
    assert "requirements.txt already exists with other content" in err
    assert not (store / "venv-builds-metadata").exists()
    assert not (folder / artifacts.METADATA).exists()
