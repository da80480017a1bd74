"""Printing search matches and query rows: an aligned table for people, JSON lines for programs, CSV for
spreadsheets.

A spreadsheet runs a cell that starts with '=', '+', '-' or '@' as a formula (`=HYPERLINK(...)`,
`=cmd|' /C calc'!A0`), and some also after a leading tab or CR. Every text cell of the CSV that starts so
gets a single quote in front, as OWASP recommends for CSV injection: the spreadsheet shows the text, a
program reading the CSV sees the quote. Numbers are written as numbers.
"""

import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal

from venvbuild._util.terminal import printable

MATCH_HEADERS = ("VERSION", "ENV", "CREATED", "PYTHON", "PACKAGES", "CONFLICT-FREE")
MATCH_CSV_HEADERS = ("venv_version", "env_name", "created_at", "python_version", "packages", "is_conflict_free", "venv_archive")


def match_json(match) -> str:
    build = match.build
    return json.dumps(
        {
            "venv_version": build.venv_version,
            "env_name": build.env_name,
            "created_at": build.created_at,
            "python_version": build.python_version,
            "is_conflict_free": build.is_conflict_free,
            "packages": list(match.packages),
            "venv_archive": build.venv_archive,
        }
    )


def match_cells(match) -> tuple:
    build = match.build
    conflict_free = {True: "yes", False: "no"}.get(build.is_conflict_free, "?")
    return (
        build.venv_version,
        build.env_name or "",
        build.created_at,
        build.python_version or "",
        " ".join(match.packages),
        conflict_free,
    )


def match_csv_row(match) -> tuple:
    build = match.build
    conflict_free = {True: "true", False: "false"}.get(build.is_conflict_free, "")
    return (
        build.venv_version,
        build.env_name or "",
        build.created_at,
        build.python_version or "",
        " ".join(match.packages),
        conflict_free,
        build.venv_archive or "",
    )


CSV_HELP = (
    "print CSV with a header row, for spreadsheets; a text cell starting with =, +, -, @, tab or CR "
    "gets a ' in front, so no spreadsheet runs it as a formula"
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """text as a CSV cell a spreadsheet shows and never runs: a quote in front when it starts a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


class _CsvWriter:
    """csv.writer whose text cells go through spreadsheet_text."""

    def __init__(self, out):
        self.writer = csv.writer(out)

    def writerow(self, row) -> None:
        self.writer.writerow([spreadsheet_text(c) if isinstance(c, str) else c for c in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out=None) -> _CsvWriter:
    """RFC 4180 CSV (quoted where needed, CRLF line ends), as spreadsheets read it, formulas defused."""
    return _CsvWriter(out or sys.stdout)


def csv_cell(value):
    """A query value for CSV: empty for NULL, a number as itself, otherwise as the table shows it."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    return cell(value)


def table(headers, rows) -> str:
    """Columns padded to their widest cell; the last column is not padded. Each cell is made printable
    (terminal.printable): a value cannot drive the terminal, nor break its row in two."""
    rows = [tuple(printable(str(c), lines=False) for c in row) for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = []
    for row in [tuple(headers)] + rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:-1], widths)) + ("  " if len(row) > 1 else "") + row[-1])
    return "\n".join(line.rstrip() for line in lines)


def cell(value) -> str:
    """A query value as text: NULL, true/false, ISO timestamps, JSON for lists and structs."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=_jsonable)
    return str(_jsonable(value)) if isinstance(value, (datetime, date, Decimal)) else str(value)


def row_json(columns, row) -> str:
    return json.dumps(dict(zip(columns, row)), default=_jsonable)


def _jsonable(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)
