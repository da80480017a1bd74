"""Publishing to S3, against moto's server on 127.0.0.1 (and a fault-injecting proxy in front of it)."""

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid

import boto3
import pytest

from tests._support.fault_proxy import FaultProxy
from tests._support.processes import CHILD_TIMEOUT_S
from venvbuild.build import publish
from venvbuild.cli import main
from venvbuild.errors import StoreError, UsageError
from venvbuild.record import artifacts
from venvbuild.store import layout, open_store
from venvbuild.store.base import ObjectExists
from venvbuild.store.s3 import MIB, S3Store

VERSION = "venv_20250722_163000"
BUILD_PREFIX = f"venv-builds/{VERSION}/"
RECORD_KEY = f"venv-builds-metadata/dt=2025-07-22/{VERSION}.json"
CLAIM_KEY = f"venv-builds-metadata/_claims/{VERSION}"  # which build holds the version


@pytest.fixture
def s3(s3_server, aws_env):
    """A plain client on the test server, to set up buckets and look at what was stored."""
    return boto3.client("s3", endpoint_url=s3_server)


@pytest.fixture
def bucket(s3):
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def proxy(s3_server):
    proxy = FaultProxy(s3_server).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def few_attempts(monkeypatch):
    """Fewer retries where a test waits for them to run out (botocore's backoff is up to 2^n seconds)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def auth_s3_server():
    """A second moto server that checks credentials (none are known to it), in its own process."""
    port = _free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("the credential-checking moto server did not start")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def stored_keys(s3, bucket) -> set:
    listing = s3.list_objects_v2(Bucket=bucket)
    return {obj["Key"] for obj in listing.get("Contents", [])}


def sha256_of_object(s3, bucket, key) -> str:
    return hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()


def sha256_of_file(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line_error(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("venvbuild: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def test_publish_stores_the_seven_artifacts_and_the_record_with_their_sha256(build_dir_factory, s3, bucket, s3_server, capsys):
    build = build_dir_factory(archive_bytes=os.urandom(4096))

    code, out, err = run_cli(
        capsys, "publish", build, "--store", f"s3://{bucket}/venv-builds", "--endpoint-url", s3_server, "--json"
    )

    assert code == 0, err
    names = artifacts.publish_order(VERSION, "gz")
    assert stored_keys(s3, bucket) == {BUILD_PREFIX + n for n in names} | {RECORD_KEY, CLAIM_KEY}
    for name in names:
        key = BUILD_PREFIX + name
        local = sha256_of_file(build / name)
        assert sha256_of_object(s3, bucket, key) == local, name
        assert s3.head_object(Bucket=bucket, Key=key)["Metadata"]["sha256"] == local, name
    record = s3.get_object(Bucket=bucket, Key=RECORD_KEY)["Body"].read().decode()
    assert record.count("\n") == 1 and record.endswith("\n"), "one JSON object per line for Athena"
    meta = json.loads(record)
    assert meta == json.loads(out)
    assert meta == json.loads((build / artifacts.METADATA).read_text())
    base = f"s3://{bucket}/{BUILD_PREFIX}"
    assert meta["requirements_file"] == base + "requirements.txt"
    assert meta["pipdeptree_output"] == base + "pipdeptree.json"
    assert meta["venv_archive"] == base + f"{VERSION}.tar.gz"
    for field in ("requirements_file", "pipdeptree_output", "venv_archive"):
        assert meta[field][len(f"s3://{bucket}/") :] in stored_keys(s3, bucket)


def test_every_object_is_sent_create_only_with_a_sha256_checksum(build_dir_factory, bucket, proxy, capsys):
    build = build_dir_factory()

    code, _, err = run_cli(capsys, "publish", build, "--store", f"s3://{bucket}", "--endpoint-url", proxy.url)

    assert code == 0, err
    puts = proxy.matching("PUT", f"/{bucket}/")
    assert len(puts) == 9  # the claim, seven artifacts, the record
    for request in puts:
        assert request.headers.get("if-none-match") == "*", request.path
        assert request.headers.get("x-amz-checksum-sha256"), request.path


def test_publishing_a_version_twice_is_refused_and_changes_nothing(build_dir_factory, s3, bucket, s3_server, capsys):
    build = build_dir_factory()
    store = ["--store", f"s3://{bucket}/venv-builds", "--endpoint-url", s3_server]
    assert run_cli(capsys, "publish", build, *store)[0] == 0
    before = {k: s3.head_object(Bucket=bucket, Key=k)["ETag"] for k in stored_keys(s3, bucket)}

    code, out, err = run_cli(capsys, "publish", build, *store)

    assert code == 6
    assert out == ""
    assert_one_line_error(err, VERSION, "already published", f"s3://{bucket}/venv-builds")
    assert {k: s3.head_object(Bucket=bucket, Key=k)["ETag"] for k in stored_keys(s3, bucket)} == before


def test_interrupted_publish_leaves_no_record_and_a_rerun_finishes_it(
    build_dir_factory, s3, bucket, s3_server, proxy, few_attempts, capsys
):
    build = build_dir_factory()
    proxy.fail("PUT", "/pipdeptree.json", status=500)  # the server keeps failing part-way through

    code, _, err = run_cli(capsys, "publish", build, "--store", f"s3://{bucket}", "--endpoint-url", proxy.url)

    assert code == 6
    assert_one_line_error(err, "pipdeptree.json", "after 3 attempts", "500")
    assert proxy.count("PUT", "/pipdeptree.json") == 3
    keys = stored_keys(s3, bucket)
    assert RECORD_KEY not in keys
    assert BUILD_PREFIX + artifacts.METADATA not in keys
    assert BUILD_PREFIX + f"{VERSION}.tar.gz" in keys

    code, _, err = run_cli(capsys, "publish", build, "--store", f"s3://{bucket}", "--endpoint-url", s3_server)

    assert code == 0, err
    assert f"{BUILD_PREFIX}{VERSION}.tar.gz already stored with the same sha256, skipped" in err
    assert stored_keys(s3, bucket) == {BUILD_PREFIX + n for n in artifacts.publish_order(VERSION, "gz")} | {RECORD_KEY, CLAIM_KEY}


def test_another_build_of_an_unfinished_version_is_refused(
    build_dir_factory, tmp_path, s3, bucket, s3_server, proxy, few_attempts, capsys
):
    first = build_dir_factory(archive_bytes=b"first archive")
    proxy.fail("PUT", "/requirements.txt", status=500)
    assert run_cli(capsys, "publish", first, "--store", f"s3://{bucket}", "--endpoint-url", proxy.url)[0] == 6
    from tests._support.records import make_build_dir

    other = make_build_dir(tmp_path / "other", VERSION, archive_bytes=b"another archive")

    code, _, err = run_cli(capsys, "publish", other, "--store", f"s3://{bucket}", "--endpoint-url", s3_server)

    assert code == 6
    assert_one_line_error(err, f"{VERSION}.tar.gz already exists with other content")
    assert sha256_of_object(s3, bucket, BUILD_PREFIX + f"{VERSION}.tar.gz") == hashlib.sha256(b"first archive").hexdigest()
    assert RECORD_KEY not in stored_keys(s3, bucket)


def test_5xx_answers_and_dropped_connections_are_retried(build_dir_factory, s3, bucket, proxy, capsys):
    build = build_dir_factory()
    proxy.fail("PUT", "/requirements.txt", status=503, times=1)
    proxy.fail("HEAD", "/pipdeptree.txt", status=500, times=1)
    proxy.drop("PUT", "/installed_packages.txt", times=1)

    code, _, err = run_cli(capsys, "publish", build, "--store", f"s3://{bucket}", "--endpoint-url", proxy.url)

    assert code == 0, err
    assert [r.outcome for r in proxy.matching("PUT", "/requirements.txt")] == ["failed 503", "forwarded"]
    assert [r.outcome for r in proxy.matching("HEAD", "/pipdeptree.txt")] == ["failed 500", "forwarded"]
    assert [r.outcome for r in proxy.matching("PUT", "/installed_packages.txt")] == ["dropped", "forwarded"]
    assert RECORD_KEY in stored_keys(s3, bucket)


def test_missing_bucket_is_one_line_and_exit_6(build_dir_factory, s3_server, aws_env, capsys):
    build = build_dir_factory()

    code, _, err = run_cli(
        capsys, "publish", build, "--store", "s3://no-such-bucket-here/venv-builds", "--endpoint-url", s3_server
    )

    assert code == 6
    assert_one_line_error(err, "bucket 'no-such-bucket-here' does not exist")


def test_refused_credentials_are_one_line_and_exit_6(build_dir_factory, auth_s3_server, aws_env, capsys):
    build = build_dir_factory()

    code, _, err = run_cli(capsys, "publish", build, "--store", "s3://some-bucket", "--endpoint-url", auth_s3_server)

    assert code == 6
    assert_one_line_error(err, "s3://some-bucket/venv-builds", "403", "credentials")


def test_refused_credentials_on_write_name_the_cause(auth_s3_server, aws_env, tmp_path):
    store = S3Store("some-bucket", endpoint_url=auth_s3_server)
    (tmp_path / "f").write_bytes(b"x")

    with pytest.raises(StoreError, match="the AWS credentials were refused \\(InvalidAccessKeyId"):
        store.put_new("venv-builds/x", tmp_path / "f", hashlib.sha256(b"x").hexdigest())


def test_no_credentials_at_all_is_one_line_and_exit_6(build_dir_factory, s3_server, aws_env, monkeypatch, tmp_path, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254
    build = build_dir_factory()

    code, _, err = run_cli(capsys, "publish", build, "--store", "s3://some-bucket", "--endpoint-url", s3_server)

    assert code == 6
    assert_one_line_error(err, "no usable AWS credentials")


def test_unreachable_endpoint_is_one_line_and_exit_6(build_dir_factory, aws_env, few_attempts, capsys):
    build = build_dir_factory()
    closed = f"http://127.0.0.1:{_free_port()}"

    code, _, err = run_cli(capsys, "publish", build, "--store", "s3://some-bucket", "--endpoint-url", closed)

    assert code == 6
    assert_one_line_error(err, f"cannot reach the S3 endpoint {closed}")


def test_endpoint_from_aws_endpoint_url_s3(build_dir_factory, s3, bucket, s3_server, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
    build = build_dir_factory()

    code, _, err = run_cli(capsys, "publish", build, "--store", f"s3://{bucket}/team/builds")

    assert code == 0, err
    assert f"team/builds-metadata/dt=2025-07-22/{VERSION}.json" in stored_keys(s3, bucket)


def test_sse_is_applied_to_every_object(build_dir_factory, s3, bucket, s3_server, capsys):
    build = build_dir_factory()

    code, _, err = run_cli(capsys, "publish", build, "--store", f"s3://{bucket}", "--endpoint-url", s3_server, "--sse", "AES256")

    assert code == 0, err
    for key in stored_keys(s3, bucket):
        assert s3.head_object(Bucket=bucket, Key=key).get("ServerSideEncryption") == "AES256", key


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--store", "s3://bkt", "--kms-key-id", "k"], "--kms-key-id needs --sse aws:kms"),
        (["--store", "s3://Not_A_Bucket/x"], "--store bucket 'Not_A_Bucket' is not valid"),
        (["--store", "s3://bkt/../x"], "--store prefix '../x' is not valid"),
        (
            ["--store", "s3://bkt", "--endpoint-url", "127.0.0.1:9000"],
            "--endpoint-url '127.0.0.1:9000' is not valid: an http:// or https:// URL",
        ),
        (["--store", "s3://bkt", "--region", "eu west 1"], "--region 'eu west 1' is not valid: an AWS region"),
        (["--store", "{dir}", "--region", "eu-west-1"], "--region only apply to an s3:// --store"),
    ],
)
def test_bad_store_options_are_usage_errors(build_dir_factory, tmp_path, aws_env, capsys, argv, message):
    build = build_dir_factory()
    argv = [a.replace("{dir}", str(tmp_path / "store")) for a in argv]

    code, _, err = run_cli(capsys, "publish", build, *argv)

    assert code == 2
    assert_one_line_error(err, message)


def test_store_url_gives_bucket_and_prefix():
    assert (S3Store.from_url("s3://bkt").bucket, S3Store.from_url("s3://bkt").prefix) == ("bkt", "venv-builds")
    assert S3Store.from_url("s3://bkt/a/b/").prefix == "a/b"
    store = open_store("s3://bkt/team")
    assert store.url(layout.record_key(store, VERSION)) == f"s3://bkt/team-metadata/dt=2025-07-22/{VERSION}.json"
    with pytest.raises(UsageError):
        S3Store.from_url("s3://")


@pytest.fixture
def small_parts_store(bucket, proxy):
    """Multipart from 5 MiB on (S3's smallest part), so a test file of a few MiB takes three parts."""
    return S3Store(bucket, endpoint_url=proxy.url, multipart_threshold=5 * MIB, part_size=5 * MIB)


def test_multipart_upload_is_parallel_checksummed_and_create_only(small_parts_store, s3, bucket, proxy, tmp_path):
    data = os.urandom(11 * MIB)
    path = tmp_path / "big.tar.gz"
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()

    small_parts_store.put_new("venv-builds/big.tar.gz", path, sha)

    parts = proxy.matching("PUT", "/big.tar.gz", "partNumber=")
    assert sorted(p.query.split("partNumber=")[1].split("&")[0] for p in parts) == ["1", "2", "3"]
    assert all(p.headers.get("x-amz-checksum-sha256") for p in parts)
    assert proxy.matching("POST", "/big.tar.gz", "uploadId=")[0].headers.get("if-none-match") == "*"
    assert small_parts_store.checksum("venv-builds/big.tar.gz") == sha
    assert sha256_of_object(s3, bucket, "venv-builds/big.tar.gz") == sha

    other = tmp_path / "other.tar.gz"
    other.write_bytes(os.urandom(11 * MIB))
    with pytest.raises(ObjectExists):
        small_parts_store.put_new("venv-builds/big.tar.gz", other, hashlib.sha256(other.read_bytes()).hexdigest())
    assert sha256_of_object(s3, bucket, "venv-builds/big.tar.gz") == sha
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == [], "the refused upload was aborted"


def test_failed_multipart_upload_is_aborted(small_parts_store, s3, bucket, proxy, few_attempts, tmp_path):
    path = tmp_path / "big.tar.gz"
    path.write_bytes(os.urandom(11 * MIB))
    proxy.fail("PUT", "/big.tar.gz", "partNumber=2", status=500)

    with pytest.raises(StoreError, match="UploadPart .* still failed after 3 attempts"):
        small_parts_store.put_new("venv-builds/big.tar.gz", path, hashlib.sha256(path.read_bytes()).hexdigest())

    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert "venv-builds/big.tar.gz" not in stored_keys(s3, bucket)
    assert small_parts_store.checksum("venv-builds/big.tar.gz") is None


def test_resumed_publish_reuses_a_multipart_archive(build_dir_factory, s3, bucket, proxy, few_attempts, capsys):
    build = build_dir_factory(archive_bytes=os.urandom(6 * MIB))
    store = S3Store(bucket, endpoint_url=proxy.url, multipart_threshold=5 * MIB, part_size=5 * MIB)
    proxy.fail("PUT", "/metadata.json", status=500)
    with pytest.raises(StoreError):
        publish.publish(build, store)
    proxy.clear()

    publish.publish(build, store)

    assert proxy.count("POST", f"/{VERSION}.tar.gz", "uploads") == 1, "the archive was uploaded once"
    assert RECORD_KEY in stored_keys(s3, bucket)


def test_build_publishes_straight_to_s3_and_the_ddl_reads_its_records(tmp_path, s3, bucket, s3_server):
    from tests._support.wheelhouse import make_wheelhouse

    wheels = make_wheelhouse(tmp_path / "wheels")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--no-index\n--find-links {wheels}\nalpha==1.0\nbeta==1.0\n")

    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "venvbuild",
            "build",
            "--requirements",
            requirements,
            "--env-name",
            "demo",
            "--store",
            f"s3://{bucket}/venv-builds",
            "--endpoint-url",
            s3_server,
            "--work-dir",
            tmp_path / "work",
        ],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )

    assert build.returncode == 0, build.stderr
    keys = stored_keys(s3, bucket)
    [record_key] = [k for k in keys if k.startswith("venv-builds-metadata/dt=")]
    meta = json.loads(s3.get_object(Bucket=bucket, Key=record_key)["Body"].read())
    version = meta["venv_version"]
    assert {k for k in keys if k.startswith("venv-builds/")} == {
        f"venv-builds/{version}/{n}" for n in artifacts.publish_order(version, "gz", meta["extra_artifacts"])
    }
    assert {"pipdeptree.mmd", "pipdeptree.dot"} <= set(meta["extra_artifacts"])
    assert meta["venv_archive"] == f"s3://{bucket}/venv-builds/{version}/{version}.tar.gz"
    assert sha256_of_object(s3, bucket, f"venv-builds/{version}/{version}.tar.gz") == meta["archive_sha256"]

    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "venvbuild",
            "publish",
            tmp_path / "work" / "artifacts",
            "--store",
            f"s3://{bucket}/venv-builds",
            "--endpoint-url",
            s3_server,
        ],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
    )
    assert again.returncode == 6
    assert_one_line_error(again.stderr, "already published")

    ddl = subprocess.run(
        [sys.executable, "-m", "venvbuild", "ddl", "--bucket", bucket], capture_output=True, text=True, timeout=CHILD_TIMEOUT_S
    )
    template = next(line for line in ddl.stdout.splitlines() if "storage.location.template" in line)
    location = template.split("= '")[1].rstrip("'")
    assert f"s3://{bucket}/{record_key}" == location.replace("${dt}", meta["created_at"][:10]) + f"{version}.json"


@pytest.mark.parametrize("when_required", [False, True])
def test_object_stored_by_another_tool_is_hashed_and_checksum_option_is_honoured(
    build_dir_factory, s3, bucket, proxy, capsys, when_required
):
    build = build_dir_factory()
    # Same bytes, put by a plain client: no x-amz-meta-sha256, so publish must read the object to compare.
    s3.put_object(Bucket=bucket, Key=BUILD_PREFIX + "requirements.txt", Body=(build / "requirements.txt").read_bytes())
    flag = ["--checksum-when-required"] if when_required else []

    code, _, err = run_cli(capsys, "publish", build, "--store", f"s3://{bucket}", "--endpoint-url", proxy.url, *flag)

    assert code == 0, err
    assert f"{BUILD_PREFIX}requirements.txt already stored with the same sha256, skipped" in err
    [get] = proxy.matching("GET", "/requirements.txt")
    # botocore asks for response checksums by default; when_required leaves them out for servers that refuse them.
    assert ("x-amz-checksum-mode" in get.headers) is not when_required
    assert all(r.headers.get("x-amz-checksum-sha256") for r in proxy.matching("PUT", f"/{bucket}/"))
