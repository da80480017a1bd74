-- One row per build and installed package, the "name==version" string split (Athena engine 3 and
-- Trino alike): "which environments contain kedro 0.19.x" is a plain WHERE on package and version.
-- package is the PEP 503 normalised name (Scikit_Learn is scikit-learn), package_name as installed.
CREATE OR REPLACE VIEW ${view} AS
SELECT b.venv_version,
       b.env_name,
       b.created_at,
       b.python_version,
       b.is_conflict_free,
       b.venv_archive,
       lower(regexp_replace(split_part(p.pkg, '==', 1), '[-_.]+', '-')) AS package,
       split_part(p.pkg, '==', 1) AS package_name,
       split_part(p.pkg, '==', 2) AS version,
       b.dt
FROM ${table} AS b
CROSS JOIN UNNEST(b.installed_packages) AS p (pkg);
