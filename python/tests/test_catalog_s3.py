"""diff and catalog with the store in S3 (moto's real server on 127.0.0.1), and the catalog written to S3."""

import json
import uuid

import boto3
import pytest

from tests._support.cli import run_cli as run
from tests._support.records import make_build_dir, with_own_svg
from venvbuild.build import publish
from venvbuild.store.s3 import S3Store

OLD, NEW = "venv_20250101_100000", "venv_20250102_100000"


@pytest.fixture
def s3(s3_server, aws_env):
    return boto3.client("s3", endpoint_url=s3_server)


@pytest.fixture
def bucket(s3, s3_server, tmp_path, capsys):
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    store = S3Store(name, "venv-builds", endpoint_url=s3_server)
    publish.publish(make_build_dir(tmp_path / "b", OLD, installed_packages=["pandas==1.5.3"]), store)
    publish.publish(make_build_dir(tmp_path / "b", NEW, installed_packages=["pandas==1.10.0"]), store)
    capsys.readouterr()
    return name


def objects(s3, bucket, prefix):
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"][len(prefix) :]: o for o in listing}


def test_diff_reads_builds_from_s3(capsys, bucket, s3_server):
    code, out, err = run(capsys, "diff", OLD, NEW, "--json", "--store", f"s3://{bucket}/venv-builds", "--endpoint-url", s3_server)
    assert code == 1, err
    assert json.loads(out)["upgraded"] == [["pandas", "1.5.3", "1.10.0"]]
    code, _, err = run(
        capsys, "diff", OLD, "venv_20990101_000000", "--store", f"s3://{bucket}/venv-builds", "--endpoint-url", s3_server
    )
    assert code == 2 and f"B venv_20990101_000000: no such build in s3://{bucket}/venv-builds" in err


def test_catalog_from_s3_to_s3_uploads_only_what_changed(capsys, bucket, s3, s3_server, tmp_path):
    argv = ["catalog", "--store", f"s3://{bucket}/venv-builds", "--out", f"s3://{bucket}/catalog", "--endpoint-url", s3_server]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    stored = objects(s3, bucket, "catalog/")
    assert {
        "index.html",
        "data/index.js",
        "assets/catalog.js",
        f"builds/{NEW}.html",
        "packages/pandas.html",
        ".venvbuild-catalog.json",
    } <= set(stored)
    head = s3.head_object(Bucket=bucket, Key="catalog/index.html")
    assert head["ContentType"].startswith("text/html")
    page = s3.get_object(Bucket=bucket, Key=f"catalog/builds/{NEW}.html")["Body"].read().decode()
    assert f"venvbuild pull {NEW} --store s3://{bucket}/venv-builds --dest ./{NEW}" in page
    assert "upgraded</td><td>pandas</td><td>1.5.3</td><td>1.10.0" in page

    store = S3Store(bucket, "venv-builds", endpoint_url=s3_server)
    publish.publish(make_build_dir(tmp_path / "b", "venv_20250103_100000", installed_packages=["numpy==2.0.0"]), store)
    capsys.readouterr()
    code, _, err = run(capsys, *argv)
    assert code == 0 and "4 file(s) written" in err, err  # its page, package page, data/index.js, records
    after = objects(s3, bucket, "catalog/")
    unchanged = [k for k in stored if k not in ("data/index.js", ".venvbuild-catalog.json", ".venvbuild-catalog-records.jsonl")]
    assert all(after[k]["ETag"] == stored[k]["ETag"] for k in unchanged)


def test_catalog_refuses_a_prefix_it_did_not_write(capsys, bucket, s3, s3_server):
    s3.put_object(Bucket=bucket, Key="website/index.html", Body=b"<p>hand made</p>")
    code, _, err = run(
        capsys, "catalog", "--store", f"s3://{bucket}/venv-builds", "--out", f"s3://{bucket}/website", "--endpoint-url", s3_server
    )
    assert code == 2 and "not written by venvbuild catalog" in err and err.count("\n") == 1
    assert set(objects(s3, bucket, "website/")) == {"index.html"}


def test_no_object_of_the_site_is_served_as_svg_or_a_guessed_type(capsys, bucket, s3, s3_server, tmp_path):
    """S3 serves an object with the Content-Type given at upload: a build's SVG uploaded as image/svg+xml
    would run its scripts on the site's origin. The site holds only its own kinds, each with its exact
    type, and nothing from a build."""
    publish.publish(
        with_own_svg(make_build_dir(tmp_path / "b", "venv_20250103_100000")),
        S3Store(bucket, "venv-builds", endpoint_url=s3_server),
    )
    capsys.readouterr()
    code, _, err = run(
        capsys, "catalog", "--store", f"s3://{bucket}/venv-builds", "--out", f"s3://{bucket}/catalog", "--endpoint-url", s3_server
    )
    assert code == 0, err
    types = {key: s3.head_object(Bucket=bucket, Key="catalog/" + key)["ContentType"] for key in objects(s3, bucket, "catalog/")}
    expected = {
        "html": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "json": "application/json",
        "jsonl": "application/octet-stream",
    }
    assert {key: expected[key.rsplit(".", 1)[-1]] for key in types} == types
    page = s3.get_object(Bucket=bucket, Key="catalog/builds/venv_20250103_100000.html")["Body"].read().decode()
    assert "<script" not in page and ">six 1.16.0</text>" in page
