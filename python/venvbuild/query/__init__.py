"""`venvbuild search`: which published builds contain package X (version Y)?

One SPEC parser and one PEP 440 matcher (spec.py, matching.py) serve two backends that only narrow
builds by exact package name in SQL: a DuckDB index over a local store (local.py, local_index.py) and
Athena (athena.py). The SQL lives in resources/venvbuild/sql/.
"""
