"""Publishing only what the build's metadata.json describes, and telling builds apart."""

import json
import os
import stat
import subprocess
import sys
import uuid

import boto3
import pytest

from tests._support.processes import CHILD_TIMEOUT_S
from tests._support.records import make_build_dir
from venvbuild.cli import main
from venvbuild.record import artifacts

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
def test_a_build_folder_changed_after_its_metadata_is_not_published_to_s3(
    build_dir_factory, s3_server, s3_bucket, capsys, change
):
    client, bucket = s3_bucket
    build = build_dir_factory(archive_bytes=b"archive!")
    TAMPERING[change](build)

    code, out, err = publish(capsys, build, "--store", f"s3://{bucket}", "--endpoint-url", s3_server)

    assert code == 6 and out == "" and "nothing published" in err
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


# The local store's files.
@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_stored_files_follow_the_umask(build_dir_factory, tmp_path, capsys, umask):
    build, store = build_dir_factory(), tmp_path / "store"
    old = os.umask(umask)
    try:
        code, _, err = publish(capsys, build, "--store", str(store))
    finally:
        os.umask(old)
    assert code == 0, err
    stored = list(store.rglob("*"))
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
        assert events[i - 1] == ("fsync", "file"), events[i - 1 : i + 2]
        assert events[i + 1] == ("fsync", "dir"), events[i - 1 : i + 2]


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
    dies_at_the_limit = [
        sys.executable,
        "-c",
        "import signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_DFL); "
        "from venvbuild.cli import main; sys.exit(main(sys.argv[1:]))",
        *command[3:],
    ]
    killed = subprocess.run(
        dies_at_the_limit, preexec_fn=limit_file_size, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S
    )
    assert killed.returncode == -signal.SIGXFSZ, killed.stderr
    folder = store / "venv-builds" / VERSION
    assert [p.name for p in folder.iterdir() if p.name.startswith(".part-")], "the kill left a part behind"

    again = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)

    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(artifacts.publish_order(VERSION, "gz"))


# Two builds of one second whose archives are byte-identical.
def twin_builds(root, **differences):
    """Two build folders of one version and identical bytes, as two uv builds at one workspace path make;
    they differ only in their build_id (and in `differences`, field -> (first, second))."""
    builds = []
    for i, name in enumerate(("first", "second")):
        fields = {k: v[i] for k, v in differences.items()}
        builds.append(
            make_build_dir(root / name, VERSION, archive_bytes=b"identical archive", build_id=uuid.uuid4().hex, **fields)
        )
    return builds


def test_an_identical_build_that_meets_a_half_published_one_moves_on_and_both_finish(tmp_path):
    from venvbuild.build.publish import publish as publish_build
    from venvbuild.store.local import LocalStore

    class KilledAfterTheArchive(LocalStore):
        def put_new(self, key, path, sha256, movable=False):
            super().put_new(key, path, sha256, movable)
            if key.endswith(".tar.gz"):
                raise KeyboardInterrupt  # Jenkins aborted the first build right after its archive

    first, second = twin_builds(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        publish_build(first, KilledAfterTheArchive(tmp_path / "store"), renumber=True)
    store = LocalStore(tmp_path / "store")

    moved = publish_build(second, store, renumber=True)
    resumed = publish_build(first, store, renumber=True)

    assert moved["venv_version"] == "venv_20250722_163001"
    assert resumed["venv_version"] == VERSION
    for build, stored in ((first, resumed), (second, moved)):
        record = tmp_path / "store" / "venv-builds-metadata" / "dt=2025-07-22" / f"{stored['venv_version']}.json"
        assert json.loads(record.read_text())["build_id"] == json.loads((build / artifacts.METADATA).read_text())["build_id"]


def test_a_build_rerun_after_its_claim_finds_its_own_claim(tmp_path, capsys):
    from venvbuild.build.publish import publish as publish_build
    from venvbuild.store.local import LocalStore

    class KilledAfterTheClaim(LocalStore):
        def put_new(self, key, path, sha256, movable=False):
            super().put_new(key, path, sha256, movable)
            if "/_claims/" in key:
                raise KeyboardInterrupt

    first, _ = twin_builds(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        publish_build(first, KilledAfterTheClaim(tmp_path / "store"))
    assert publish_build(first, LocalStore(tmp_path / "store"))["venv_version"] == VERSION


@pytest.mark.parametrize(
    "differences", [{}, {"build_url": ("https://ci/job/1/", "https://ci/job/2/")}], ids=["same-metadata", "other-build-url"]
)
def test_concurrent_publishes_of_identical_archives_are_renumbered(tmp_path, differences):
    """Real processes started together, several rounds: each must end published, under its own version."""
    for round_ in range(4):
        root = tmp_path / f"round{round_}"
        builds = twin_builds(root, **differences)
        store = root / "store"
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "venvbuild", "publish", str(b), "--store", str(store), "--next-free-version", "--json"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for b in builds
        ]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
        assert [r[0] for r in results] == [0, 0], results
        stored = [json.loads(out) for _, out, _ in results]
        assert sorted(s["venv_version"] for s in stored) == [VERSION, "venv_20250722_163001"], results
        for build, meta in zip(builds, stored):
            own = json.loads((build / artifacts.METADATA).read_text())
            assert meta == own
            folder = store / "venv-builds" / meta["venv_version"]
            assert json.loads((folder / artifacts.METADATA).read_text())["build_id"] == own["build_id"]


# An endpoint whose answers make no sense for S3.
@pytest.fixture
def proxy(s3_server):
    from tests._support.fault_proxy import FaultProxy

    proxy = FaultProxy(s3_server).start()
    yield proxy
    proxy.stop()


@pytest.mark.parametrize("body", [b"", b"<html><body>OK</body></html>"], ids=["empty", "web-page"])
def test_an_endpoint_that_answers_200_to_everything_is_named_and_called_nonsense(
    build_dir_factory, s3_bucket, proxy, capsys, body
):
    _, bucket = s3_bucket
    proxy.answer(body=body)

    code, out, err = publish(capsys, build_dir_factory(), "--store", f"s3://{bucket}", "--endpoint-url", proxy.url)

    assert code == 6 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("venvbuild: error: "), err
    assert proxy.url in lines[0] and "makes no sense" in lines[0] and "already published" not in lines[0]


def test_a_put_answered_200_by_something_else_than_s3_is_not_taken_as_stored(build_dir_factory, s3_bucket, proxy, capsys):
    client, bucket = s3_bucket
    proxy.answer("PUT")  # reads go to the real server; writes are swallowed with a bare 200

    code, _, err = publish(capsys, build_dir_factory(), "--store", f"s3://{bucket}", "--endpoint-url", proxy.url)

    assert code == 6 and proxy.url in err and "PutObject" in err and "makes no sense" in err
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
