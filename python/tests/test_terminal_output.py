"""Nothing read from a store or a build drives the terminal: every human-readable output of the command
(diff, search and sql tables, verify, warnings, error lines) shows control characters and bidi overrides
as visible escapes, while --json stays JSON."""

import json
import re

import pytest

from tests._support.cli import run_cli as run
from tests._support.records import make_build_dir
from venvbuild._util import console
from venvbuild._util.terminal import printable
from venvbuild.build import publish
from venvbuild.store.local import LocalStore

# What a terminal would act on: C0 controls but newline, DEL, C1 controls, bidi embeddings/overrides/isolates.
ACTIVE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
OLD, NEW = "venv_20250101_100000", "venv_20250102_100000"
# Installed versions may hold any character but '=' and white space; platform and conflicts any at all.
HOSTILE_VERSION = "2.0\x1b]0;owned\x07\x1b[2J\u202eevil\x9b31m"
HOSTILE_TEXT = "linux\x1b[31m\rforged line\nvenvbuild: error: fake\u2066x\u2069\x7f"


@pytest.fixture
def store(tmp_path, capsys):
    store = LocalStore(tmp_path / "store")
    publish.publish(make_build_dir(tmp_path / "builds", OLD, installed_packages=["six==1.0"]), store)
    publish.publish(
        make_build_dir(
            tmp_path / "builds",
            NEW,
            installed_packages=[f"six=={HOSTILE_VERSION}"],
            platform=HOSTILE_TEXT,
            is_conflict_free=False,
            conflicts=[HOSTILE_TEXT],
            conflict_details=[
                {"kind": "cycle", "package": "six", "requirement": HOSTILE_TEXT, "installed_version": None, "required_by": "six"}
            ],
        ),
        store,
    )
    capsys.readouterr()
    return tmp_path / "store"


def test_printable_escapes_what_drives_a_terminal_and_keeps_the_rest():
    assert printable("a\x1b[2Jb\x07c\rd\x7fe\x9bf\u202eg\u2069h") == "a\\x1b[2Jb\\x07c\\x0dd\\x7fe\\x9bf\\u202eg\\u2069h"
    assert printable("one\n\ttwo") == "one\n\ttwo"
    assert printable("one\n\ttwo", lines=False) == "one\\x0a\\x09two"
    assert printable("naïve 中文 → ✓") == "naïve 中文 → ✓"


@pytest.mark.parametrize("shape", [(), ("--markdown",)], ids=["text", "markdown"])
def test_diff_shows_record_text_escaped(capsys, store, shape):
    code, out, err = run(capsys, "diff", OLD, NEW, *shape, "--store", store)
    assert code == 1 and err == ""
    assert not ACTIVE.search(out), out
    assert "\\x1b]0;owned\\x07\\x1b[2J\\u202eevil\\x9b31m" in out
    assert not any(line.startswith(("forged", "venvbuild:")) for line in out.splitlines()), "a value started a line"


def test_diff_json_stays_json_and_ascii(capsys, store):
    code, out, _ = run(capsys, "diff", OLD, NEW, "--json", "--store", store)
    assert code == 1 and out.isascii() and "\n" not in out.rstrip("\n")
    assert json.loads(out)["changed"] == [["six", "1.0", HOSTILE_VERSION]]


def test_search_and_sql_tables_show_record_text_escaped(capsys, store):
    code, out, err = run(capsys, "search", "six", "--store", store)
    assert code == 0 and not ACTIVE.search(out + err) and "\\u202eevil" in out
    assert len(out.splitlines()) == 3, "a header and one row per build"
    code, out, err = run(capsys, "sql", "SELECT platform FROM venv_builds_metadata ORDER BY venv_version", "--store", store)
    assert code == 0 and not ACTIVE.search(out + err), out
    assert out.splitlines()[-1] == printable(HOSTILE_TEXT, lines=False)
    code, out, _ = run(capsys, "search", "six", "--json", "--store", store)
    assert out.isascii() and any(HOSTILE_VERSION in p for r in map(json.loads, out.splitlines()) for p in r["packages"])


def test_error_and_warning_lines_show_values_escaped(capsys, tmp_path):
    where = tmp_path / "store\x1b]0;owned\x07\u202e"
    code, out, err = run(capsys, "diff", OLD, NEW, "--store", where)
    assert code == 2 and out == ""
    assert not ACTIVE.search(err) and err.count("\n") == 1 and "store\\x1b]0;owned\\x07\\u202e" in err
    console.say("warning: record\x1b[2J\nvenvbuild: error: forged")
    err = capsys.readouterr().err
    assert err == "venvbuild: warning: record\\x1b[2J\\x0avenvbuild: error: forged\n"


def test_verify_lists_file_names_escaped(capsys, monkeypatch, tmp_path):
    from venvbuild.consume import verify

    monkeypatch.setattr(verify, "differences", lambda root: ["added: bin/\x1b[2Jplanted\rchanged: bin/python"])
    code, out, _ = run(capsys, "verify", tmp_path)
    assert code == 1 and out == "added: bin/\\x1b[2Jplanted\\x0dchanged: bin/python\n"
