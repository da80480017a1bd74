"""Search over real builds, end to end: a store made by a real `venvbuild build`, then `venvbuild search`."""

import json

import pytest

from tests._support.processes import venvbuild
from tests._support.records import make_metadata
from tests._support.wheelhouse import kedro_requirements

pytestmark = pytest.mark.build  # real builds with pip or uv


def test_search_finds_a_real_build_by_normalised_name_and_version(tmp_path):
    requirements = kedro_requirements(tmp_path)
    store = tmp_path / "store"
    built = venvbuild("build", "--requirements", requirements, "--env-name", "e2e", "--store", store)
    assert built.returncode == 0, built.stderr
    # A second build with kedro-viz but no kedro, as a record beside it.
    other = make_metadata("venv_20250102_100000", installed_packages=["kedro_viz==6.7.0"])
    folder = store / "venv-builds-metadata" / "dt=2025-01-02"
    folder.mkdir()
    (folder / "venv_20250102_100000.json").write_text(json.dumps(other) + "\n")

    found = venvbuild("search", "kedro", "--json", "--store", store)
    assert found.returncode == 0, found.stderr
    (match,) = [json.loads(line) for line in found.stdout.splitlines()]
    assert match["env_name"] == "e2e" and match["packages"] == ["kedro==0.19.10"]
    assert (store / "venv-builds" / match["venv_version"] / f"{match['venv_version']}.tar.gz").is_file()

    assert venvbuild("search", "kedro-viz", "--count", "--store", store).stdout == "2\n"
    assert venvbuild("search", "scikit-learn>=1.5", "kedro<0.19.10", "--store", store).returncode == 1
    counted = venvbuild("sql", "SELECT count(*) AS n FROM venv_builds_metadata WHERE is_conflict_free", "--store", store)
    assert counted.stdout.split() == ["n", "2"]
