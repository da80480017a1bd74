#!/usr/bin/env bash
# The design document's sections 2 to 4, verbatim but for the version and the requirements path
# (given through the environment), timed against `venvbuild build` by bench_build.py.
set -euo pipefail
cd "$BENCH_WORK"

python -m venv venv/
source venv/bin/activate
pip install --upgrade pip
pip install -r "$BENCH_REQUIREMENTS"

pip install pipdeptree
pipdeptree --warn silence > pipdeptree.txt
pipdeptree --warn silence --json > pipdeptree.json

pip freeze > installed_packages.txt

python -c 'import pkg_resources, json; print(json.dumps(sorted(["{}=={}".format(d.project_name, d.version) for d in pkg_resources.working_set])))' > installed_packages.json

tar -czf "venv_${BENCH_VERSION}.tar.gz" venv/
