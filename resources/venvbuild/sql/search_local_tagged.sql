-- `venvbuild search --tag TAG` without a SPEC, over a local store's index (DuckDB): the builds among
-- $versions (what the current tags point at, read from the tag events), with every installed package.
-- Columns: venvbuild.query.matching.ROW_COLUMNS. '' means no filter.
SELECT r.venv_version,
       r.env_name,
       strftime(r.created_at, '%Y-%m-%dT%H:%M:%SZ') AS created_at,
       r.python_version,
       r.is_conflict_free,
       r.venv_archive,
       array_to_string(r.installed_packages, ' ') AS packages
FROM records AS r
WHERE list_contains($versions, r.venv_version)
  AND ($conflict_free = '' OR r.is_conflict_free)
  AND ($python = '' OR r.python_version = $python)
  AND ($env_name = '' OR r.env_name = $env_name)
  AND ($since = '' OR r.dt >= $since)
ORDER BY r.created_at DESC, r.venv_version DESC
