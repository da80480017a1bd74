"""The registry entry of one `venvbuild` subcommand, and the --json option the result-producing ones share."""

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """One subcommand: `venvbuild NAME`. Each module in venvbuild.cli.commands lists its own in COMMANDS."""

    name: str
    help: str  # one sentence that starts with a verb and ends with a period: the line in `venvbuild --help`
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    details: str = ""  # more paragraphs for `venvbuild NAME --help`, after the help sentence


def add_json_option(parser, what: str = "print the result as one JSON object") -> None:
    """--json: the shapes are in docs/reference/json-output.md."""
    parser.add_argument("--json", action="store_true", help=what)


def print_json(document) -> None:
    """One JSON document on one line of stdout, keys sorted; ASCII, so no character in it can drive a terminal."""
    print(json.dumps(document, sort_keys=True), flush=True)
