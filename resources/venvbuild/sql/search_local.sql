-- `venvbuild search` over a local store's index (DuckDB; tables from venvbuild/search/local_index.py).
-- Narrows to the builds holding every requested name (PEP 503 normalised, exact: kedro is not
-- kedro-viz); the version specifiers are applied afterwards, in Python, by the code the Athena search
-- shares. Parameters: names is a comma-separated list; '' means no filter.
-- Columns: venvbuild.query.matching.ROW_COLUMNS.
WITH hits AS (
    SELECT record_id, string_agg(name || '==' || version, ' ') AS packages
    FROM packages
    WHERE name_normalised IN (SELECT unnest(string_split($names, ',')))
    GROUP BY record_id
    HAVING count(DISTINCT name_normalised) = $name_count
)
SELECT r.venv_version,
       r.env_name,
       strftime(r.created_at, '%Y-%m-%dT%H:%M:%SZ') AS created_at,
       r.python_version,
       r.is_conflict_free,
       r.venv_archive,
       hits.packages
FROM hits
JOIN records AS r USING (record_id)
WHERE ($conflict_free = '' OR r.is_conflict_free)
  AND ($python = '' OR r.python_version = $python)
  AND ($env_name = '' OR r.env_name = $env_name)
  AND ($since = '' OR r.dt >= $since)
ORDER BY r.created_at DESC, r.venv_version DESC
