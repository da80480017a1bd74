-- `venvbuild search --athena` (Athena engine 3, Trino dialect) over the table of search records.
-- {table} is the validated "database"."table"; $name parameters become positional `?` execution
-- parameters, which Athena allows only in WHERE. '' means no filter. `dt` is the partition column
-- (dt=YYYY-MM-DD folders), so --since prunes partitions.
-- Narrows to the builds holding every requested name (PEP 503 normalised, exact: kedro is not
-- kedro-viz) and returns only those packages, so a common name pages small rows; the version
-- specifiers are applied afterwards, in Python, by the code the local search shares. A build whose
-- record is in two objects for a while (`venvbuild compact` between writing and deleting) is one group.
-- Columns: venvbuild.search.matching.ROW_COLUMNS.
WITH hits AS (
    SELECT venv_version, env_name, created_at, python_version, is_conflict_free, venv_archive, pkg,
           lower(regexp_replace(split_part(pkg, '==', 1), '[-_.]+', '-')) AS name
    FROM {table}
    CROSS JOIN UNNEST(installed_packages) AS t(pkg)
    WHERE contains(split($names, ','), lower(regexp_replace(split_part(pkg, '==', 1), '[-_.]+', '-')))
      AND ($conflict_free = '' OR is_conflict_free)
      AND ($python = '' OR python_version = $python)
      AND ($env_name = '' OR env_name = $env_name)
      AND ($since = '' OR dt >= $since)
),
builds AS (
    SELECT venv_version, env_name, created_at, python_version, is_conflict_free, venv_archive,
           array_join(array_distinct(array_agg(pkg)), ' ') AS packages,
           count(DISTINCT name) AS names_found
    FROM hits
    GROUP BY venv_version, env_name, created_at, python_version, is_conflict_free, venv_archive
)
SELECT venv_version,
       env_name,
       CAST(created_at AS varchar) AS created_at,
       python_version,
       is_conflict_free,
       venv_archive,
       packages
FROM builds
WHERE names_found = $name_count
ORDER BY created_at DESC, venv_version DESC
