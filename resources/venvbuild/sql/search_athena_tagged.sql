-- `venvbuild search --athena --tag TAG` (Athena engine 3, Trino dialect): the builds some current tag
-- among $tags (comma-separated) points at, joined from the tag events' table. {table} and {tags_table}
-- are the validated "database"."table" names; $name parameters become positional `?` execution
-- parameters, which Athena allows only in WHERE, so they all sit in the last WHERE. '' means no filter.
-- A tag's current build is the venv_version of its highest `sequence` per (env_name, tag), unless that
-- event's action is 'remove' (venvbuild.tags.current, the local store's reading of the same events).
-- With SPECs ($name_count > 0), only builds holding every requested name; the version specifiers are
-- applied afterwards, in Python, as for search_athena.sql. DISTINCT: a record can be in two objects for a
-- while (`venvbuild compact`), and is one build. Columns: venvbuild.search.matching.ROW_COLUMNS.
WITH newest AS (
    SELECT env_name,
           tag,
           max_by(venv_version, sequence) AS venv_version,
           max_by(action, sequence) AS action
    FROM {tags_table}
    GROUP BY env_name, tag
),
tagged AS (
    SELECT env_name, venv_version, array_agg(tag) AS tags
    FROM newest
    WHERE action = 'add'
    GROUP BY env_name, venv_version
)
SELECT DISTINCT r.venv_version,
       r.env_name,
       CAST(r.created_at AS varchar) AS created_at,
       r.python_version,
       r.is_conflict_free,
       r.venv_archive,
       array_join(r.installed_packages, ' ') AS packages
FROM {table} AS r
JOIN tagged AS t ON t.venv_version = r.venv_version AND t.env_name = r.env_name
WHERE cardinality(array_intersect(t.tags, split($tags, ','))) > 0
  AND ($name_count = 0 OR cardinality(array_intersect(
        split($names, ','),
        transform(r.installed_packages, pkg -> lower(regexp_replace(split_part(pkg, '==', 1), '[-_.]+', '-')))
      )) = $name_count)
  AND ($conflict_free = '' OR r.is_conflict_free)
  AND ($python = '' OR r.python_version = $python)
  AND ($env_name = '' OR r.env_name = $env_name)
  AND ($since = '' OR r.dt >= $since)
-- (the output columns, as DISTINCT needs)
ORDER BY created_at DESC, venv_version DESC
