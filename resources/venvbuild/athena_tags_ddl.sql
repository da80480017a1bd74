-- Athena: the tag events' table (venvbuild.lifecycle.tags), one row per event, over <prefix>-tags/ only.
-- Columns from tag_event.schema.json, as trino_tags_ddl.sql's. A malformed object is a row of nulls, not
-- an error that fails every tag search: the query reads it as a damaged event (the tag unset), as venvbuild.lifecycle.tags does.
CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (
${columns}
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'timestamp.formats' = "yyyy-MM-dd'T'HH:mm:ss'Z'",
  'ignore.malformed.json' = 'true'
)
LOCATION '${location}'
TBLPROPERTIES ('classification' = 'json');
