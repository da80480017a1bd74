"""The search SQL in resources/ names its parameters `$name`; each engine gets them its own way.

DuckDB binds `$name` natively. Athena takes positional `?` with ExecutionParameters, each a SQL
literal: Athena parses the value as a literal, never as SQL text, and the values are validated
(normalised names, naming rules, dates) before they get here.
"""

import re

from venvbuild.errors import UsageError

_PLACEHOLDER = re.compile(r'(?<!")\$([a-z_]+)\b')  # "$path" is a hidden column of Athena's tables, not a parameter
ATHENA_MAX_PARAMETER = 1024  # characters in one execution parameter, as StartQueryExecution validates them
_GIVEN_AS = {"tags": "--tag", "names": "SPEC"}  # the parameters that join several values the user gave


def without_comments(sql: str) -> str:
    """The SQL without its whole-line `--` comments (which may mention $names)."""
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def named(sql: str, values: dict):
    """(sql, the values it uses) for DuckDB's execute(sql, parameters)."""
    sql = without_comments(sql)
    return sql, {name: values[name] for name in set(_PLACEHOLDER.findall(sql))}


def positional(sql: str, values: dict):
    """(sql with `?` placeholders, ExecutionParameters in order) for Athena."""
    sql = without_comments(sql)
    order = _PLACEHOLDER.findall(sql)
    parameters = [literal(values[name]) for name in order]
    for name, parameter in zip(order, parameters):
        if len(parameter) > ATHENA_MAX_PARAMETER:
            option = _GIVEN_AS.get(name, name)
            raise UsageError(
                f"{option}: the values given join to {len(parameter)} characters in one Athena query "
                f"parameter, more than the {ATHENA_MAX_PARAMETER} Athena takes; give fewer {option}"
            )
    return _PLACEHOLDER.sub("?", sql), parameters


def literal(value) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
