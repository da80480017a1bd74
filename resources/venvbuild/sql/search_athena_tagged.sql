-- `venvbuild search --athena --tag TAG` (Athena engine 3, Trino dialect): the builds some current tag
-- among $tags (comma-separated) points at, joined from the tag events' table. {table} and {tags_table}
-- are the validated "database"."table" names; $name parameters become positional `?` execution
-- parameters, which Athena allows only in WHERE, so they all sit in the last WHERE. '' means no filter.
-- The tag events are read as venvbuild.lifecycle.tags reads them (the local search, pull --tag, gc): the env name,
-- tag and sequence come from the object's name, <env_name>~<tag>~<10 digits>.json ("$path"; any other
-- object is no event), only venv_version and action from its contents. An object that is not one line
-- holding a venv_version and an action add|remove (several rows, or a row the SerDe read as nulls) is a
-- damaged event: as a tag's newest event it leaves the tag unset. A tag's current build is the
-- venv_version of its highest sequence per (env_name, tag), one ROW so both come from that one event,
-- when that event is an add; the build must be of the event's env name.
-- With SPECs ($name_count > 0), only builds holding every requested name; the version specifiers are
-- applied afterwards, in Python, as for search_athena.sql. DISTINCT: a record can be in two objects for a
-- while (a record in two objects is one build). Columns: venvbuild.query.matching.ROW_COLUMNS.
WITH named AS (
    SELECT regexp_extract("$path", '-tags/([^/~]+)~([^/~]+)~([0-9]{10})\.json$', 1) AS env_name,
           regexp_extract("$path", '-tags/([^/~]+)~([^/~]+)~([0-9]{10})\.json$', 2) AS tag,
           CAST(regexp_extract("$path", '-tags/([^/~]+)~([^/~]+)~([0-9]{10})\.json$', 3) AS bigint) AS sequence,
           "$path" AS path,
           venv_version,
           action
    FROM {tags_table}
    WHERE regexp_like("$path", '-tags/([^/~]+)~([^/~]+)~([0-9]{10})\.json$')
),
events AS (
    SELECT env_name,
           tag,
           sequence,
           CASE WHEN count(*) = 1 AND arbitrary(venv_version) IS NOT NULL AND arbitrary(action) IN ('add', 'remove')
                THEN arbitrary(action) END AS action,
           arbitrary(venv_version) AS venv_version
    FROM named
    GROUP BY path, env_name, tag, sequence
),
newest AS (
    SELECT env_name, tag, max_by(ROW(venv_version, action), sequence) AS event
    FROM events
    GROUP BY env_name, tag
),
tagged AS (
    SELECT env_name, event[1] AS venv_version, array_agg(tag) AS tags
    FROM newest
    WHERE event[2] = 'add'
    GROUP BY env_name, event[1]
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
