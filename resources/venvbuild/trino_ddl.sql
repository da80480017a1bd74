-- Trino (the engine Athena engine 3 is built on), Hive connector: the same table as athena_ddl.sql,
-- then the same view. The catalog needs hive.ignore-absent-partitions=true to read a projected day
-- with no records as Athena does (no rows, no error).
CREATE TABLE IF NOT EXISTS ${table} (
${columns},
  dt varchar WITH (
    partition_projection_type = 'DATE',
    partition_projection_format = 'yyyy-MM-dd',
    partition_projection_range = ARRAY['${since}', 'NOW'],
    partition_projection_interval = 1,
    partition_projection_interval_unit = 'DAYS'
  )
)
COMMENT 'venvbuild search records, one per build. Partition projection on dt: a day with no dt= folder reads as no rows (with hive.ignore-absent-partitions=true), not an error.'
WITH (
  external_location = '${location}',
  format = 'OPENX_JSON',
  partitioned_by = ARRAY['dt'],
  partition_projection_enabled = true,
  partition_projection_location_template = '${location}dt=$${dt}/'
);
