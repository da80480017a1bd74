"""The parser of Athena's query result files: NULL (empty, unquoted) is not the empty string ("")."""

import csv
import io

import pytest

from tests._support.athena_on_trino import result_csv
from venvbuild.query.athena_csv import CsvError, parse


def test_null_is_an_unquoted_empty_field_and_the_empty_string_is_quoted():
    text = '"a","b","c"\n,"",\n"","x",""\n'
    assert parse(text) == (["a", "b", "c"], [(None, "", None), ("", "x", "")])


def test_values_may_hold_commas_doubled_quotes_and_newlines():
    text = '"name","note"\n"say ""hi"", twice","one\ntwo,\nthree"\n"""","a,""b"""\n'
    assert parse(text) == (["name", "note"], [('say "hi", twice', "one\ntwo,\nthree"), ('"', 'a,"b"')])


def test_a_header_only_file_is_no_rows_and_the_last_newline_is_optional():
    assert parse('"venv_version","packages"\n') == (["venv_version", "packages"], [])
    assert parse('"a"\n"1"\n"2"') == (["a"], [("1",), ("2",)])


def test_a_single_column_null_row_is_an_empty_line():
    assert parse('"a"\n\n"x"\n') == (["a"], [(None,), ("x",)])


@pytest.mark.parametrize(
    "text",
    [
        "",  # no header
        'a,"b"\n"1","2"\n',  # an unquoted name
        '"a","b"\n"1"\n',  # too few fields
        '"a","b"\n"1","2","3"\n',  # too many
        '"a","b"\n1,"2"\n',  # an unquoted value: Athena quotes every value
        '"a","b"\n"1"x,"2"\n',  # text after a closing quote
        '"a","b"\n"1,"2"\n',  # an unclosed quote
        '"a","b"\r\n"1","2"\r\n',  # Athena ends lines with \n alone
    ],
)
def test_anything_but_athenas_format_is_refused_not_guessed(text):
    with pytest.raises(CsvError):
        parse(text)


def test_it_reads_what_the_tests_athena_writes_and_what_the_csv_module_reads_where_there_is_no_null():
    rows = [("1", 'q"uote', "new\nline"), ("", ",", '""')]
    text = result_csv(["x", "y", "z"], [list(r) for r in rows])
    assert parse(text) == (["x", "y", "z"], rows)
    assert [tuple(r) for r in csv.reader(io.StringIO(text))][1:] == rows
