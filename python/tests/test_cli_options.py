"""The options every command shares: -q and -v (how much goes to stderr besides the result), and the command
registry that `venvbuild --help` lists."""

import argparse

import pytest

from tests._support.cli import run_cli
from tests._support.records import make_build_dir
from venvbuild._util import console
from venvbuild.cli import app

VERSION = "venv_20250722_163000"


@pytest.fixture(autouse=True)
def normal_verbosity():
    yield
    console.set_verbosity(console.NORMAL)  # main sets it on every run; a test calling library code after one must not inherit it


def test_without_an_option_progress_lines_go_to_stderr(tmp_path, capsys):
    code, out, err = run_cli(capsys, "publish", make_build_dir(tmp_path / "builds"), "--store", tmp_path / "store")
    assert code == 0
    assert out.startswith(f"{VERSION}  env demo  published")
    assert err.startswith(f"venvbuild: published {VERSION} to ")


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_leaves_the_result_and_no_progress_line(tmp_path, capsys, where):
    argv = ["-q", "publish", make_build_dir(tmp_path / "builds"), "--store", tmp_path / "store"]
    if where == "after":
        argv = argv[1:] + ["-q"]
    code, out, err = run_cli(capsys, *argv)
    assert (code, err) == (0, "")
    assert out.startswith(f"{VERSION}  env demo  published")


def test_quiet_still_prints_the_one_error_line(tmp_path, capsys):
    build = make_build_dir(tmp_path / "builds")
    assert run_cli(capsys, "publish", build, "--store", tmp_path / "store")[0] == 0
    (build / f"{VERSION}.tar.gz").write_bytes(b"other bytes")  # another build under the same version
    code, out, err = run_cli(capsys, "-q", "publish", build, "--store", tmp_path / "store")
    assert (code, out) == (6, "")
    assert len(err.splitlines()) == 1 and err.startswith("venvbuild: error: "), err


def test_verbose_adds_the_store_the_keys_written_and_the_time_taken(tmp_path, capsys):
    code, out, err = run_cli(capsys, "-v", "publish", make_build_dir(tmp_path / "builds"), "--store", tmp_path / "store")
    assert code == 0
    lines = err.splitlines()
    assert [line for line in lines if line.startswith("venvbuild: store: ")] == [f"venvbuild: store: {tmp_path / 'store'}"]
    assert f"venvbuild: stored venv-builds/{VERSION}/{VERSION}.tar.gz" in lines
    assert f"venvbuild: published {VERSION} to " in err, "and the normal lines too"
    assert lines[-1].startswith("venvbuild: publish: exit 0 after ") and lines[-1].endswith(" s")


def test_quiet_and_verbose_together_is_bad_usage(capsys):
    code, out, err = run_cli(capsys, "-q", "-v", "ddl", "--bucket", "b")
    assert (code, out) == (2, "")
    assert err.splitlines() == ["venvbuild: error: argument -v/--verbose: not allowed with argument -q/--quiet"]


def test_every_command_is_registered_once_with_a_one_sentence_help():
    commands = app.commands()
    names = [c.name for c in commands]
    assert len(names) == len(set(names))
    assert {
        "build",
        "check-pins",
        "validate",
        "install",
        "inspect",
        "package",
        "metadata",
        "publish",
        "tag",
        "gc",
        "compact",
        "pull",
        "verify",
        "cache",
        "ddl",
        "search",
        "sql",
        "diff",
        "sbom",
        "vulndb",
        "audit",
        "catalog",
    } == set(names)
    for command in commands:
        assert command.help[0].isupper() and command.help.endswith(".") and ". " not in command.help.replace("e.g. ", ""), command
    parser = app.build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(subparsers.choices) == names
