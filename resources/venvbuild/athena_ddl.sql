CREATE EXTERNAL TABLE IF NOT EXISTS ${table} (
  venv_version string,
  created_at timestamp,
  python_version string,
  requirements_file string,
  pipdeptree_output string,
  venv_archive string,
  is_conflict_free boolean,
  conflicts array<string>,
  installed_packages array<string>,
  env_name string,
  python_full_version string,
  python_home string,
  platform string,
  installer string,
  archive_sha256 string,
  archive_size bigint,
  requirements_sha256 string,
  venvbuild_version string,
  build_url string,
  git_commit string,
  conflict_details array<struct<kind:string,package:string,requirement:string,installed_version:string,required_by:string>>,
  archive_format bigint,
  relocation struct<placeholder:string,files:array<struct<path:string,kind:string>>,binary_files:array<string>>,
  extra_artifacts array<string>,
  build_id string,
  build_key string,
  content_key string,
  fully_pinned boolean,
  content_differs_from string
)
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
