-- Trino (the engine under Athena engine 3), Hive connector: the same findings' table as
-- athena_findings_ddl.sql, with the same columns (finding.schema.json). A query names snapshot_id.
CREATE TABLE IF NOT EXISTS ${table} (
${columns},
  snapshot_id varchar WITH (
    partition_projection_type = 'INJECTED'
  ),
  dt varchar WITH (
    partition_projection_type = 'DATE',
    partition_projection_format = 'yyyy-MM-dd',
    partition_projection_range = ARRAY['${since}', 'NOW'],
    partition_projection_interval = 1,
    partition_projection_interval_unit = 'DAYS'
  )
)
COMMENT 'venvbuild audit findings, one per build, package and vulnerability of a snapshot. Name snapshot_id (16 hex digits) in every query.'
WITH (
  external_location = '${location}',
  format = 'OPENX_JSON',
  partitioned_by = ARRAY['snapshot_id', 'dt'],
  partition_projection_enabled = true,
  partition_projection_location_template = '${location}snapshot=$${snapshot_id}/dt=$${dt}/'
);
