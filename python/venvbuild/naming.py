"""The naming rules, read from resources/venvbuild/naming.json (the Groovy steps read the same file)."""

import re

from venvbuild.errors import UsageError
from venvbuild.resources import load_json


def rule(kind: str) -> dict:
    return load_json("naming.json")[kind]


def check(kind: str, value: str, parameter: str) -> str:
    """Return value when it follows the rule for kind, else raise a UsageError naming parameter."""
    spec = rule(kind)
    if not isinstance(value, str) or not re.fullmatch(spec["pattern"], value):
        raise UsageError(f"{parameter} {value!r} is not valid: {spec['rule']}")
    return value
