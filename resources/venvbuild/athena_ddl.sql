-- Athena: the table over the search records, then a view with one row per build and package.
-- Run each statement on its own (the Athena console and StartQueryExecution take one at a time).
-- A projected day with no records (no dt= folder) is no error in Athena: it returns no rows.
CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (
${columns}
)
COMMENT 'venvbuild search records, one per build. Partition projection on dt: a day with no dt= folder reads as no rows, not an error.'
PARTITIONED BY (dt string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'timestamp.formats' = "yyyy-MM-dd'T'HH:mm:ss'Z'",
  'ignore.malformed.json' = 'false'
)
LOCATION '${location}'
TBLPROPERTIES (
  'classification' = 'json',
  'projection.enabled' = 'true',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '${since},NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = '${location}dt=$${dt}/'
);
