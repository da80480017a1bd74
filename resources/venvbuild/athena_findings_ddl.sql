-- Athena: the audit findings' table (venvbuild.vuln.findings, `venvbuild audit --all --publish`), one row per
-- finding, over <prefix>-findings/ only. Columns from finding.schema.json, as trino_findings_ddl.sql's.
-- snapshot_id is injected: a query names it (WHERE snapshot_id = '<the snapshot's first 16 hex digits>').
CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (
${columns}
)
COMMENT 'venvbuild audit findings, one per build, package and vulnerability of a snapshot. Name snapshot_id (16 hex digits) in every query.'
PARTITIONED BY (snapshot_id string, dt string)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'timestamp.formats' = "yyyy-MM-dd'T'HH:mm:ss'Z'",
  'ignore.malformed.json' = 'false'
)
LOCATION '${location}'
TBLPROPERTIES (
  'classification' = 'json',
  'projection.enabled' = 'true',
  'projection.snapshot_id.type' = 'injected',
  'projection.dt.type' = 'date',
  'projection.dt.format' = 'yyyy-MM-dd',
  'projection.dt.range' = '${since},NOW',
  'projection.dt.interval' = '1',
  'projection.dt.interval.unit' = 'DAYS',
  'storage.location.template' = '${location}snapshot=$${snapshot_id}/dt=$${dt}/'
);
