"""Secrets in URLs are masked everywhere the helper writes: the console, install.log,
the unpinned report and the stored requirements."""

import pytest

from tests._support.processes import venvbuild
from tests._support.wheelhouse import make_wheelhouse
from venvbuild._util.redact import redact
from venvbuild.cli import main

pytestmark = pytest.mark.build  # real builds with pip or uv


@pytest.mark.parametrize(
    "text, masked",
    [
        # pip takes the user-info up to the LAST '@' of the authority.
        ("--index-url https://user:PASS@WORD555@host/simple", "--index-url https://****@host/simple"),
        ("https://tok@en@x@host:8443/s?q=1", "https://****@host:8443/s?q=1"),
        ("git+ssh://git@github.com/a/b@v1.0#egg=b", "git+ssh://****@github.com/a/b@v1.0#egg=b"),
        ("https://host/simple/ and mail me@example.com", "https://host/simple/ and mail me@example.com"),
        ("https://h/x.whl?token=abc&v=1", "https://h/x.whl?token=****&v=1"),
        ("https://h/simple?access_token=abc", "https://h/simple?access_token=****"),
        (
            "https://b.s3.amazonaws.com/x.whl?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=dead&X-Amz-Security-Token=tok",
            "https://b.s3.amazonaws.com/x.whl?X-Amz-Algorithm=AWS4&X-Amz-Credential=****&X-Amz-Signature=****&X-Amz-Security-Token=****",
        ),
        (
            "https://h/x?api_key=k1&Signature=s2&sig=s3&client_secret=s4#sha256=ab",
            "https://h/x?api_key=****&Signature=****&sig=****&client_secret=****#sha256=ab",
        ),
        # pip's documented way to keep a secret out of the file is no secret itself.
        ("https://${USER}:${PASSWORD}@host/s?token=${TOKEN}", "https://${USER}:${PASSWORD}@host/s?token=${TOKEN}"),
        ("https://me:${PASSWORD}@host/s?token=x${TOKEN}", "https://****@host/s?token=****"),
    ],
)
def test_redact(text, masked):
    assert redact(text) == masked


def test_the_unpinned_report_masks_a_password_with_at_and_tokens_after_expansion(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DL_TOKEN", "tok3n-from-env")
    path = tmp_path / "requirements.txt"
    path.write_text(
        "a @ https://user:PASS@WORD555@files.example/a-1.0.tar.gz\n"
        "b @ https://files.example/b-1.0.tar.gz?token=${DL_TOKEN}\n"
        "c @ https://files.example/c-1.0.tar.gz?X-Amz-Signature=0ddba11\n"
    )
    assert main(["check-pins", str(path)]) == 3
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "files.example" in out, "the report names the URLs"
    for secret in ("PASS", "WORD555", "tok3n-from-env", "0ddba11", "user:"):
        assert secret not in out


def test_the_stored_requirements_mask_them(tmp_path, monkeypatch):
    monkeypatch.setenv("INDEX_TOKEN", "tok3n-from-env")
    path = tmp_path / "requirements.txt"
    path.write_text(
        "--index-url https://user:PASS@WORD555@pypi.example/simple\n"
        "--extra-index-url https://pypi.example/extra?token=${INDEX_TOKEN}\n"
        "pandas==1.5.3\n"
    )
    work = tmp_path / "work"
    assert main(["validate", "--work-dir", str(work), "--requirements", str(path), "--env-name", "demo"]) == 0
    stored = (work / "artifacts" / "requirements.txt").read_text()
    assert "https://****@pypi.example/simple" in stored
    # A ${VAR} reference is stored as written (pip expands it when it reads the copy), never its value.
    assert "https://pypi.example/extra?token=${INDEX_TOKEN}" in stored
    for secret in ("PASS", "WORD555", "tok3n-from-env", "user:"):
        assert secret not in stored


def test_a_build_masks_them_on_the_console_and_in_install_log(tmp_path):
    wheels = make_wheelhouse(tmp_path / "wheels")
    work, store = tmp_path / "work", tmp_path / "store"
    req = tmp_path / "requirements.txt"
    # Unreachable indexes on 127.0.0.1 (pip names them on the console); the package comes from the wheelhouse.
    req.write_text(
        "--extra-index-url https://builder:PASS@WORD555@127.0.0.1:9/simple\n"
        "--extra-index-url https://127.0.0.1:9/other?token=${INDEX_TOKEN}\n"
        f"--find-links {wheels}\n"
        "beta==1.0\n"
    )
    env = {"INDEX_TOKEN": "tok3n-from-env", "PIP_RETRIES": "0", "PIP_TIMEOUT": "1"}
    done = venvbuild("build", "--requirements", req, "--env-name", "demo", "--store", store, "--work-dir", work, env=env)
    assert done.returncode == 0, done.stderr
    log = (work / "install.log").read_text()
    assert "127.0.0.1:9/other?token=****" in log, "pip names the index; we mask its token"
    places = [done.stdout, done.stderr, log] + [p.read_text(errors="replace") for p in store.rglob("*.txt")]
    for secret in ("PASS", "WORD555", "tok3n-from-env", "builder:"):
        assert not [p for p in places if secret in p], secret
