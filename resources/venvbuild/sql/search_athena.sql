-- `venvbuild search --athena` (Athena engine 3, Trino dialect) over the table of search records.
-- {table} is the validated "database"."table"; $name parameters become positional `?` execution
-- parameters, which Athena allows only in WHERE, so they all sit in this one WHERE. '' means no filter.
-- `dt` is the partition column (dt=YYYY-MM-DD folders), so --since prunes partitions.
-- One row per build holding every requested name (PEP 503 normalised, exact: kedro is not kedro-viz),
-- with only those packages, so a common name pages small rows: the array_except line keeps a search
-- for several names from fetching every build that holds any one of them (with one name the first line
-- says it all, and the planner drops the $name_count = 1 branch: a third of the engine's time at 100,000
-- records). The PEP 440 step, in Python and shared with the local search, applies the version specifiers.
-- GROUP BY: a record in two objects for a while (`venvbuild compact`) is one build.
-- Columns: venvbuild.query.matching.ROW_COLUMNS.
SELECT venv_version,
       env_name,
       CAST(created_at AS varchar) AS created_at,
       python_version,
       is_conflict_free,
       venv_archive,
       array_join(array_distinct(array_agg(pkg)), ' ') AS packages
FROM {table}
CROSS JOIN UNNEST(installed_packages) AS t (pkg)
WHERE contains(split($names, ','), lower(regexp_replace(split_part(pkg, '==', 1), '[-_.]+', '-')))
  AND ($name_count = 1 OR cardinality(array_except(split($names, ','), transform(installed_packages,
                               p -> lower(regexp_replace(split_part(p, '==', 1), '[-_.]+', '-'))))) = 0)
  AND ($conflict_free = '' OR is_conflict_free)
  AND ($python = '' OR python_version = $python)
  AND ($env_name = '' OR env_name = $env_name)
  AND ($since = '' OR dt >= $since)
GROUP BY venv_version, env_name, created_at, python_version, is_conflict_free, venv_archive
ORDER BY created_at DESC, venv_version DESC
