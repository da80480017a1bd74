-- `venvbuild search --athena` (Athena engine 3, Trino dialect) over the table of search records.
-- {table} is the validated "database"."table"; $name parameters become positional `?` execution
-- parameters, which Athena allows only in WHERE. '' means no filter. `dt` is the partition column
-- (dt=YYYY-MM-DD folders), so --since prunes partitions.
-- Narrows to the builds holding every requested name (PEP 503 normalised, exact: kedro is not
-- kedro-viz); the version specifiers are applied afterwards, in Python, by the code the local search
-- shares. Columns: venvbuild.search.matching.ROW_COLUMNS.
SELECT venv_version,
       env_name,
       CAST(created_at AS varchar) AS created_at,
       python_version,
       is_conflict_free,
       venv_archive,
       array_join(installed_packages, ' ') AS packages
FROM {table}
WHERE cardinality(array_intersect(
        split($names, ','),
        transform(installed_packages, pkg -> lower(regexp_replace(split_part(pkg, '==', 1), '[-_.]+', '-')))
      )) = $name_count
  AND ($conflict_free = '' OR is_conflict_free)
  AND ($python = '' OR python_version = $python)
  AND ($env_name = '' OR env_name = $env_name)
  AND ($since = '' OR dt >= $since)
ORDER BY created_at DESC, venv_version DESC
