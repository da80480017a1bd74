"""Finding Java 24+ for Trino: a machine without it gets one line saying so (what .ci/run prints)."""

import glob
import os

import pytest

from tests._support import trino_server


def only_java_17(monkeypatch, tmp_path):
    java17 = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on PATH
    monkeypatch.delenv("VENVBUILD_JAVA", raising=False)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-such-jdk"))
    monkeypatch.setattr(glob, "glob", lambda pattern: [java17])
    monkeypatch.setattr(trino_server, "java_major", lambda java: 17 if java == os.path.realpath(java17) else None)
    monkeypatch.setattr(os, "access", lambda path, mode: True)


def test_without_java_24_prepare_fails_with_one_line(monkeypatch, tmp_path, capsys):
    only_java_17(monkeypatch, tmp_path)

    assert trino_server.main(["prepare"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("trino: error: Trino 476 needs Java 24+ (")
    assert " is 17)" in err


def test_the_newest_java_of_24_or_later_is_chosen(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("VENVBUILD_JAVA", raising=False)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    javas = {"/jvm/17/bin/java": 17, "/jvm/24/bin/java": 24, "/jvm/25/bin/java": 25}
    monkeypatch.setattr(glob, "glob", lambda pattern: sorted(javas))
    monkeypatch.setattr(os.path, "realpath", lambda path: path)
    monkeypatch.setattr(os, "access", lambda path, mode: True)
    monkeypatch.setattr(trino_server, "java_major", javas.get)

    assert trino_server.find_java() == "/jvm/25/bin/java"


@pytest.mark.parametrize(
    "banner, major",
    [
        ('openjdk version "25.0.3" 2026-04-21 LTS', 25),
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ("not a java", None),
    ],
)
def test_java_major_reads_what_java_version_prints(tmp_path, banner, major):
    java = tmp_path / "java"
    java.write_text(f"#!/bin/sh\necho '{banner}' >&2\n")
    java.chmod(0o755)
    assert trino_server.java_major(str(java)) == major
