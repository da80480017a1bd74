CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (
  env_name string,
  tag string,
  sequence bigint,
  venv_version string,
  action string,
  created_at timestamp,
  build_url string
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES (
  'timestamp.formats' = "yyyy-MM-dd'T'HH:mm:ss'Z'",
  'ignore.malformed.json' = 'false'
)
LOCATION '${location}'
TBLPROPERTIES ('classification' = 'json');
