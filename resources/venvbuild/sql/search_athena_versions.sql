-- `venvbuild search --athena NAME[SPECIFIER] --count` with one SPEC: how many builds hold each installed
-- version of the name, so a count pages a few rows however many builds there are; the PEP 440 step then
-- judges each version once. Parameters and filters as in search_athena.sql (all in the one WHERE);
-- count(DISTINCT venv_version): a record in two objects for a while (`venvbuild compact`) is one build.
-- Columns: packages (one "Name==version"), builds.
SELECT pkg AS packages,
       count(DISTINCT venv_version) AS builds
FROM {table}
CROSS JOIN UNNEST(installed_packages) AS t (pkg)
WHERE contains(split($names, ','), lower(regexp_replace(split_part(pkg, '==', 1), '[-_.]+', '-')))
  AND ($conflict_free = '' OR is_conflict_free)
  AND ($python = '' OR python_version = $python)
  AND ($env_name = '' OR env_name = $env_name)
  AND ($since = '' OR dt >= $since)
GROUP BY pkg
