"""Publishing only what the build's metadata.json describes, and telling builds apart (issue 9, points 3-5)."""

import json
import os
import stat
import subprocess
import sys
import uuid

import boto3
import pytest

from conftest import make_build_dir
from venvbuild import artifacts
from venvbuild.cli import main

VERSION = "venv_20250722_163000"
ARCHIVE = f"{VERSION}.tar.gz"


def publish(capsys, build, *store):
    code = main(["publish", str(build), *store])
    out, err = capsys.readouterr()
    return code, out, err


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def s3_bucket(s3_server, aws_env):
    client = boto3.client("s3", endpoint_url=s3_server)
    name = f"test-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name)
    return client, name


# Files changed after the Metadata stage, each in the way a hand or a faulty step would change it.
TAMPERING = {
    "archive, same size": lambda b: (b / ARCHIVE).write_bytes(b"ARCHIVE!"),
    "archive, truncated": lambda b: (b / ARCHIVE).write_bytes(b"arch"),
    "requirements": lambda b: (b / artifacts.REQUIREMENTS).write_text("evil==6.6.6\n"),
}


@pytest.mark.parametrize("change", sorted(TAMPERING))
def test_a_build_folder_changed_after_its_metadata_is_not_published_locally(build_dir_factory, tmp_path, capsys, change):
    build = build_dir_factory(archive_bytes=b"archive!")
    TAMPERING[change](build)
    store = tmp_path / "store"

    code, out, err = publish(capsys, build, "--store", str(store))

    assert code == 6 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("venvbuild: error: ") and "nothing published" in lines[0], err
    changed = artifacts.REQUIREMENTS if change == "requirements" else ARCHIVE
    assert str(build / changed) in lines[0]
    assert files_under(store) == []


@pytest.mark.parametrize("change", sorted(TAMPERING))
def test_a_build_folder_changed_after_its_metadata_is_not_published_to_s3(build_dir_factory, s3_server, s3_bucket, capsys, change):
    client, bucket = s3_bucket
    build = build_dir_factory(archive_bytes=b"archive!")
    TAMPERING[change](build)

    code, out, err = publish(capsys, build, "--store", f"s3://{bucket}", "--endpoint-url", s3_server)

    assert code == 6 and out == "" and "nothing published" in err
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


# Point 5: the local store's files.
@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_stored_files_follow_the_umask(build_dir_factory, tmp_path, capsys, umask):
    build, store = build_dir_factory(), tmp_path / "store"
    old = os.umask(umask)
    try:
        code, _, err = publish(capsys, build, "--store", str(store))
    finally:
        os.umask(old)
    assert code == 0, err
    stored = [p for p in store.rglob("*")]
    assert len([p for p in stored if p.is_file()]) >= 8  # seven artifacts and the search record
    for path in stored:
        expected = (0o777 if path.is_dir() else 0o666) & ~umask
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_stored_files_and_their_folder_are_synced_before_and_after_the_link(build_dir_factory, tmp_path, capsys, monkeypatch):
    """The order of fsync and link as the kernel sees it: file data, then the link, then the folder."""
    events = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(fd):
        events.append(("fsync", "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"))
        return real_fsync(fd)

    def link(src, dst, **kwargs):
        events.append(("link", os.path.basename(dst)))
        return real_link(src, dst, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    code, _, err = publish(capsys, build_dir_factory(), "--store", str(tmp_path / "store"))
    assert code == 0, err
    linked = [i for i, e in enumerate(events) if e[0] == "link"]
    assert len(linked) >= 8
    for i in linked:
        assert events[i - 1] == ("fsync", "file"), events[i - 1: i + 2]
        assert events[i + 1] == ("fsync", "dir"), events[i - 1: i + 2]


def test_a_publish_killed_mid_copy_leaves_no_part_after_the_rerun(tmp_path):
    """A real process killed while copying the archive (SIGXFSZ at a file size limit), then published again."""
    import resource
    import signal

    build = make_build_dir(tmp_path / "builds", VERSION, archive_bytes=os.urandom(3 << 20))
    store = tmp_path / "store"
    command = [sys.executable, "-m", "venvbuild", "publish", str(build), "--store", str(store)]

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    # Python ignores SIGXFSZ; this child takes the signal's default action, death, like a kill -9 mid-write.
    dies_at_the_limit = [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_DFL); "
                         "from venvbuild.cli import main; sys.exit(main(sys.argv[1:]))", *command[3:]]
    killed = subprocess.run(dies_at_the_limit, preexec_fn=limit_file_size, capture_output=True, text=True)
    assert killed.returncode == -signal.SIGXFSZ, killed.stderr
    folder = store / "venv-builds" / VERSION
    assert [p.name for p in folder.iterdir() if p.name.startswith(".part-")], "the kill left a part behind"

    again = subprocess.run(command, capture_output=True, text=True)

    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(artifacts.publish_order(VERSION, "gz"))
