"""Shared fixtures: synthetic build folders and a real S3-compatible server on 127.0.0.1."""

import hashlib
import json
import os
from pathlib import Path

import pytest

from venvbuild.record import artifacts, metadata
from venvbuild.store.local import LocalStore

RESULTS_BUCKET = "athena-query-results"
RESULTS_OUTPUT = f"s3://{RESULTS_BUCKET}/results/"  # search --athena --output, once `results_bucket` made it


# A test that uses one of these fixtures, directly or through another, gets the marker beside it.
MARKER_OF_FIXTURE = {
    "trino": "trino", "s3_server": "s3", "browser": "browser", "wheelhouse": "build", "athena_endpoint": "athena",
}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, marker in MARKER_OF_FIXTURE.items():
            if fixture in item.fixturenames:
                item.add_marker(marker)


def make_metadata(venv_version="venv_20250722_163000", **fields) -> dict:
    """A schema-valid metadata record; fields override any key (installed_packages, env_name, ...)."""
    created = venv_version[5:]
    created_at = f"{created[0:4]}-{created[4:6]}-{created[6:8]}T{created[9:11]}:{created[11:13]}:{created[13:15]}Z"
    base = "file:///builds/venv-builds/" + venv_version
    meta = {
        "venv_version": venv_version,
        "created_at": created_at,
        "python_version": "3.11",
        "requirements_file": f"{base}/requirements.txt",
        "pipdeptree_output": f"{base}/pipdeptree.json",
        "venv_archive": f"{base}/{venv_version}.tar.gz",
        "is_conflict_free": True,
        "conflicts": [],
        "installed_packages": ["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3"],
        "env_name": "demo",
        "python_full_version": "3.11.7",
        "python_home": "/usr/bin",
        "platform": "linux-x86_64",
        "installer": "pip",
        "archive_sha256": "0" * 64,
        "archive_size": 0,
        "requirements_sha256": "0" * 64,
        "venvbuild_version": "0.1.0",
        "build_url": None,
        "git_commit": None,
        "conflict_details": [],
    }
    meta.update(fields)
    return metadata.validate(meta, "test metadata")


def make_build_dir(root: Path, venv_version="venv_20250722_163000", archive_bytes=b"archive", **fields) -> Path:
    """A complete build folder with the seven artifacts (the archive is archive_bytes, not a real venv)."""
    build_dir = Path(root) / venv_version
    build_dir.mkdir(parents=True)
    meta = make_metadata(venv_version, **fields)
    archive = artifacts.archive_name(venv_version, metadata.compression_of(meta))
    (build_dir / archive).write_bytes(archive_bytes)
    meta["archive_sha256"] = hashlib.sha256(archive_bytes).hexdigest()
    meta["archive_size"] = len(archive_bytes)
    requirements = "".join(p + "\n" for p in meta["installed_packages"])
    (build_dir / artifacts.REQUIREMENTS).write_text(requirements)
    meta["requirements_sha256"] = hashlib.sha256(requirements.encode()).hexdigest()
    (build_dir / artifacts.PIPDEPTREE_TXT).write_text("\n".join(meta["installed_packages"]) + "\n")
    (build_dir / artifacts.PIPDEPTREE_JSON).write_text("[]\n")
    (build_dir / artifacts.INSTALLED_TXT).write_text(requirements)
    (build_dir / artifacts.INSTALLED_JSON).write_text(json.dumps(meta["installed_packages"]) + "\n")
    metadata.write(meta, build_dir / artifacts.METADATA)
    return build_dir


def write_record(store_root, version, **fields):
    """A search record written straight into the dt= layout (what publish's last step leaves)."""
    meta = make_metadata(version, **fields)
    folder = Path(store_root) / "venv-builds-metadata" / f"dt={meta['created_at'][:10]}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}.json"
    path.write_text(json.dumps(meta) + "\n")
    return path


class FailingStore(LocalStore):
    """The real local store, failing its nth delete: a gc or a compaction killed half way."""

    def __init__(self, root, fail_at):
        super().__init__(root)
        self.deletes, self.fail_at = 0, fail_at

    def delete(self, key):
        self.deletes += 1
        if self.deletes == self.fail_at:
            raise KeyboardInterrupt
        super().delete(key)


def run_cli(capsys, *argv):
    """(exit code, stdout, stderr) of `venvbuild ARGV...` run in-process; arguments may be paths."""
    from venvbuild import cli

    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def build_dir_factory(tmp_path):
    def factory(venv_version="venv_20250722_163000", **kwargs):
        return make_build_dir(tmp_path / "builds", venv_version, **kwargs)

    return factory


@pytest.fixture(scope="session")
def s3_server():
    """moto's standalone S3 server, listening on 127.0.0.1; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch):
    """Dummy credentials in the environment, as boto3's default chain would find them on an agent."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def trino(tmp_path_factory):
    """A real Trino on 127.0.0.1 for the whole session (trino_server.TrinoServer), stopped by its PID.

    Where Trino or Java 24+ is missing the Trino tests skip, except under CI, where they fail: CI
    cannot pass without running them (.ci/run fetches Trino first).
    """
    from trino_server import TrinoServer, Unavailable

    try:
        server = TrinoServer(tmp_path_factory.mktemp("trino"))
    except Unavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI is set, so the Trino suite must run: {exc}", pytrace=False)
        pytest.skip(str(exc))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory):
    """The tiny wheels of wheelhouse.py, for real builds that need no network."""
    from wheelhouse import make_wheelhouse

    return make_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture
def requirements(tmp_path, wheelhouse):
    """write(*lines): a requirements file installing from the wheelhouse only."""
    def write(*lines, name="requirements.txt"):
        path = tmp_path / name
        path.write_text("\n".join(["--no-index", f"--find-links {wheelhouse}", *lines]) + "\n")
        return path

    return write


@pytest.fixture(scope="session")
def results_bucket(s3_server):
    """An S3 bucket on the moto server for Athena's query result files; yields its s3:// output prefix."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket=RESULTS_BUCKET)
    return RESULTS_OUTPUT


@pytest.fixture(scope="module")
def athena_endpoint(trino, athena_tables, s3_server):
    """The tests' Athena-shaped endpoint over the session's Trino, once the module's `athena_tables` exist;
    a query started with an OutputLocation leaves its result file on the moto S3 server."""
    from athena_on_trino import AthenaOnTrino

    endpoint = AthenaOnTrino(trino.url, s3_endpoint=s3_server).start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def aws(monkeypatch, aws_env, s3_server):
    """Dummy credentials, S3 (Athena's result files) on the moto server, and Athena polled often: the
    endpoint answers in milliseconds."""
    from venvbuild.query import athena

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
    monkeypatch.setattr(athena, "FIRST_POLL_S", 0.05)
