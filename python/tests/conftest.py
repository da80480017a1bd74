"""Shared fixtures: synthetic build folders and a real S3-compatible server on 127.0.0.1."""

import os

import pytest

from tests._support.athena_on_trino import RESULTS_BUCKET, RESULTS_OUTPUT
from tests._support.records import make_build_dir

# A test that uses one of these fixtures, directly or through another, gets the marker beside it.
MARKER_OF_FIXTURE = {
    "trino": "trino",
    "s3_server": "s3",
    "browser": "browser",
    "wheelhouse": "build",
    "athena_endpoint": "athena",
}


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, marker in MARKER_OF_FIXTURE.items():
            if fixture in item.fixturenames:
                item.add_marker(marker)


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
    from tests._support.trino_server import TrinoServer, Unavailable

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
    from tests._support.wheelhouse import make_wheelhouse

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

    s3 = boto3.client(
        "s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    s3.create_bucket(Bucket=RESULTS_BUCKET)
    return RESULTS_OUTPUT


@pytest.fixture(scope="module")
def athena_endpoint(trino, athena_tables, s3_server):
    """The tests' Athena-shaped endpoint over the session's Trino, once the module's `athena_tables` exist;
    a query started with an OutputLocation leaves its result file on the moto S3 server."""
    from tests._support.athena_on_trino import AthenaOnTrino

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
