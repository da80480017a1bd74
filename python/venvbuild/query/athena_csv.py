"""Parse the result file Athena writes for a query (`<OutputLocation>/<QueryExecutionId>.csv`).

Athena's format: a header row of column names, then one line per row; every non-NULL value in double
quotes with embedded quotes doubled (values may hold commas, quotes and newlines); NULL an empty
UNQUOTED field, so `,,` is NULL and `,"",` the empty string. Python's csv module reads both as '' before
3.12 (QUOTE_NOTNULL), hence this parser: one regular expression per row, strict, so anything else is a
CsvError rather than a guess.
"""

import re

# A quoted value (group 1, quotes still doubled) or nothing (NULL: group 1 does not take part).
_FIELD = r'(?:"([^"]*(?:""[^"]*)*)"|)'
_NAME = re.compile(r'"([^"]*(?:""[^"]*)*)"(,|\n|\Z)')


class CsvError(ValueError):
    pass


def parse(text: str):
    """(column names, rows of str or None) of an Athena result CSV."""
    if not text:
        raise CsvError("the result file is empty: no header row")
    columns, position = _header(text)
    row = re.compile(",".join([_FIELD] * len(columns)) + r"(?:\n|\Z)")
    rows: list = []
    while position < len(text):
        match = row.match(text, position)
        if match is None:
            raise CsvError(f"row {len(rows) + 1} is not {len(columns)} Athena CSV fields")
        rows.append(tuple(_value(v) for v in match.groups()))
        position = match.end()
    return columns, rows


def _header(text: str):
    """The column names, each quoted, and where the first row starts."""
    columns = []
    position = 0
    while True:
        match = _NAME.match(text, position)
        if match is None:
            raise CsvError("the header row is not quoted column names separated by commas")
        columns.append(_value(match.group(1)))
        position = match.end()
        if match.group(2) != ",":
            return columns, position


def _value(raw):
    if raw is None:
        return None
    return raw.replace('""', '"') if '"' in raw else raw
