"""The naming rules, read from resources/venvbuild/naming.json (the Groovy steps read the same file)."""

import re
from datetime import date

from venvbuild._util.resources import load_json
from venvbuild.errors import UsageError


def rule(kind: str) -> dict:
    return load_json("naming.json")[kind]


def day(value: str, parameter: str) -> str:
    """value as a YYYY-MM-DD day, or a UsageError naming parameter."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise UsageError(f"{parameter} {value!r} is not a date: give YYYY-MM-DD, for example 2025-07-01")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise UsageError(f"{parameter} {value!r} is not a date: {exc}") from None


def check(kind: str, value: str | None, parameter: str) -> str:
    """Return value when it follows the rule for kind, else raise a UsageError naming parameter."""
    spec = rule(kind)
    if not isinstance(value, str) or not re.fullmatch(spec["pattern"], value):
        raise UsageError(f"{parameter} {value!r} is not valid: {spec['rule']}")
    return value
