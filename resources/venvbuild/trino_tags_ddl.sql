-- Trino (the engine under Athena engine 3), Hive connector: the same tag events' table as
-- athena_tags_ddl.sql, with the same columns (tag_event.schema.json). extra_properties reach the OPENX_JSON
-- reader as Athena's SERDEPROPERTIES do: ignore.malformed.json as in athena_tags_ddl.sql.
CREATE TABLE IF NOT EXISTS ${table} (
${columns}
)
COMMENT 'venvbuild tag events, one per `venvbuild tag`. A tag points at the venv_version of its highest sequence per env_name and tag, unless that event''s action is remove.'
WITH (
  external_location = '${location}',
  format = 'OPENX_JSON',
  extra_properties = MAP(ARRAY['ignore.malformed.json'], ARRAY['true'])
);
