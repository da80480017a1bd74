"""Inspecting a built venv with pipdeptree, run from the helper's own environment.

`--python` points pipdeptree at the venv, so neither pipdeptree nor its dependencies are ever installed
into the environment being built (nor appear in its installed packages).
"""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from venvbuild.errors import InstallError


@dataclass(frozen=True)
class Package:
    name: str  # as the distribution spells it
    version: str

    def pin(self) -> str:
        return f"{self.name}=={self.version}"


def _pipdeptree(python: Path, output: str) -> str:
    command = [sys.executable, "-m", "pipdeptree", "--python", str(python), "-o", output, "--warn", "silence"]
    done = subprocess.run(command, capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InstallError(f"pipdeptree could not inspect {python}: {detail}")
    return done.stdout


def run(python: Path):
    """(text tree, JSON text) for the environment of python."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        text = pool.submit(_pipdeptree, python, "text")
        as_json = pool.submit(_pipdeptree, python, "json")
        return text.result(), as_json.result()


def packages(tree: list) -> list[Package]:
    """Every distribution in the environment, sorted by name (case-insensitively)."""
    found = {
        entry["package"]["key"]: Package(entry["package"]["package_name"], entry["package"]["installed_version"])
        for entry in tree
    }
    return sorted(found.values(), key=lambda p: (p.name.lower(), p.version))


def load(text: str) -> list:
    tree = json.loads(text)
    if not isinstance(tree, list):
        raise InstallError("pipdeptree's JSON output is not a list")
    return tree
