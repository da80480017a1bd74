"""The Athena backend: run the search SQL with execution parameters, wait, read the results.

The results are read from the CSV file Athena writes for every query (its OutputLocation), one S3
GetObject, as PyAthena's and awswrangler's S3 readers do: paging GetQueryResults by 1,000 rows costs a
round trip per page (24,000 rows, 24 trips). The S3 client is made in the same region; boto3 reads a
separate S3 endpoint from `search --endpoint-url`, else AWS_ENDPOINT_URL_S3. Without an OutputLocation, or when the file cannot be
read or parsed, the results are paged as before.
"""

import re
import time
from dataclasses import dataclass

from venvbuild import naming
from venvbuild._util.resources import read_text
from venvbuild.errors import StoreError, UsageError
from venvbuild.query import athena_csv, sqlparams
from venvbuild.query.ddl import DEFAULT_TABLE

DEFAULT_TIMEOUT_S = 300.0
FIRST_POLL_S = 0.2
# A query is seen done at most a quarter of a second late (awswrangler polls every 0.2 s; 5 s made a 5.6 s
# query 8.6 s): four GetQueryExecution calls a second at most, far below Athena's API quota.
MAX_POLL_S = 0.25
PAGE_SIZE = 1000  # get_query_results' maximum

_WORKGROUP = re.compile(r"[A-Za-z0-9._-]{1,128}")


@dataclass(frozen=True)
class Target:
    database: str
    table: str = DEFAULT_TABLE
    workgroup: str | None = None
    output: str | None = None
    region: str | None = None
    endpoint_url: str | None = None  # Athena's
    timeout_s: float = DEFAULT_TIMEOUT_S
    s3_endpoint_url: str | None = None  # where the result files are read from


def target(
    database,
    table=DEFAULT_TABLE,
    workgroup=None,
    output=None,
    region=None,
    endpoint_url=None,
    timeout_s=DEFAULT_TIMEOUT_S,
    s3_endpoint_url=None,
) -> Target:
    """A validated Target; each bad value is a UsageError naming its option."""
    # Spliced into the SQL (identifiers cannot be parameters): only names the naming rule allows.
    naming.check("athena_name", database, "--database")
    naming.check("athena_name", table, "--table")
    if workgroup is not None:
        _check(_WORKGROUP, workgroup, "--workgroup", "letters, digits, '.', '_' and '-', at most 128")
    if output is not None:
        if not output.startswith("s3://") or any(c.isspace() for c in output):
            raise UsageError(f"--output {output!r} is not an s3://bucket/prefix/ URL")
        naming.check("bucket", output[len("s3://") :].split("/", 1)[0], "--output bucket")
    if region is not None:
        naming.check("region", region, "--region")
    if endpoint_url is not None:
        naming.check("endpoint_url", endpoint_url, "--athena-endpoint-url")
    if s3_endpoint_url is not None:
        naming.check("endpoint_url", s3_endpoint_url, "--endpoint-url")
    return Target(database, table, workgroup, output, region, endpoint_url, timeout_s, s3_endpoint_url)


def candidates(where: Target, criteria, client=None) -> list:
    """Rows (matching.ROW_COLUMNS) of the builds holding every requested name, newest first."""
    sql, parameters = search_sql(where, criteria)
    columns, rows = run_query(client or make_client(where), sql, parameters, where)
    return once_each(rows)


def once_each(rows) -> list:
    """Each venv_version's first row: while `venvbuild compact` runs, a record can be in two objects."""
    first: dict = {}
    for row in rows:
        first.setdefault(row[0], row)
    return list(first.values())


def counted(where: Target, criteria, client=None) -> list:
    """[(a "Name==version", how many builds hold it)] for a one-SPEC search: `--count` pages a few rows
    however many builds hold the name (the PEP 440 step then judges each version once)."""
    sql, parameters = search_sql(where, criteria, "sql/search_athena_versions.sql")
    columns, rows = run_query(client or make_client(where), sql, parameters, where)
    return rows


def search_sql(where: Target, criteria, resource: str = "sql/search_athena.sql"):
    """(the SQL with `?` placeholders, its ExecutionParameters) of a search: what run_query sends."""
    table = f'"{where.database}"."{where.table}"'  # both checked against the athena_name rule
    return sqlparams.positional(read_text(resource).replace("{table}", table), criteria.sql_parameters())


def make_client(where: Target):
    import boto3
    from botocore.exceptions import BotoCoreError, NoRegionError

    try:
        return boto3.session.Session(region_name=where.region).client("athena", endpoint_url=where.endpoint_url)
    except NoRegionError:
        raise UsageError("--region: no AWS region given or configured (AWS_DEFAULT_REGION)") from None
    except BotoCoreError as exc:
        raise StoreError(f"Athena: {exc}") from None


def make_s3_client(where: Target):
    """The client that reads the result file: same region; without an S3 endpoint of its own, boto3 takes it
    from AWS_ENDPOINT_URL_S3."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError

    # Short connect timeout, few retries: an S3 this machine cannot reach costs seconds before paging, not minutes.
    config = Config(connect_timeout=5, retries={"max_attempts": 2, "mode": "standard"})
    try:
        return boto3.session.Session(region_name=where.region).client("s3", config=config, endpoint_url=where.s3_endpoint_url)
    except BotoCoreError:
        return None  # then the results are paged; the Athena client made with the same settings worked


def run_query(client, sql: str, parameters: list, where: Target, sleep=time.sleep):
    """Start the query, wait for it, and return (column names, rows of strings or None)."""
    request = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": where.database},
    }
    if parameters:
        request["ExecutionParameters"] = parameters
    if where.workgroup:
        request["WorkGroup"] = where.workgroup
    if where.output:
        request["ResultConfiguration"] = {"OutputLocation": where.output}
    with _reported("StartQueryExecution"):
        execution_id = client.start_query_execution(**request)["QueryExecutionId"]
    execution = wait(client, execution_id, where.timeout_s, sleep)
    location = execution.get("ResultConfiguration", {}).get("OutputLocation")
    if location:
        read = result_file(make_s3_client(where), location)
        if read is not None:
            return read
    return results(client, execution_id)


def result_file(s3, location: str):
    """(column names, rows) from the query's result CSV at location, or None when it cannot be read.

    None falls back to paging, quietly: the rows are the same either way, and a user whose role may not
    read the output location would otherwise get the same note on every search.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = location[len("s3://") :].partition("/") if location.startswith("s3://") else ("", "", "")
    if s3 is None or not bucket or not key:
        return None
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            text = body.read().decode("utf-8")
        finally:
            body.close()
        return athena_csv.parse(text)
    except (ClientError, BotoCoreError, UnicodeDecodeError, athena_csv.CsvError):
        return None


def wait(client, execution_id: str, timeout_s: float = DEFAULT_TIMEOUT_S, sleep=time.sleep) -> dict:
    """Poll until the query SUCCEEDED (returning GetQueryExecution's QueryExecution), backing off;
    FAILED, CANCELLED or too slow is a StoreError."""
    deadline = time.monotonic() + timeout_s
    delay = FIRST_POLL_S
    while True:
        with _reported("GetQueryExecution"):
            execution = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        status = execution["Status"]
        state = status.get("State")
        if state == "SUCCEEDED":
            return execution
        if state in ("FAILED", "CANCELLED"):
            reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage")
            raise StoreError(f"Athena query {execution_id} {state}: {reason or 'Athena gave no reason'}")
        if time.monotonic() + delay > deadline:
            with _reported("StopQueryExecution"):
                client.stop_query_execution(QueryExecutionId=execution_id)
            raise StoreError(f"Athena query {execution_id} still {state} after --timeout {timeout_s:g} s; stopped it")
        sleep(delay)
        delay = min(delay * 1.6, MAX_POLL_S)


def results(client, execution_id: str):
    pages = []
    token = None
    while True:
        request = {"QueryExecutionId": execution_id, "MaxResults": PAGE_SIZE}
        if token:
            request["NextToken"] = token
        with _reported("GetQueryResults"):
            page = client.get_query_results(**request)
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            return rows_from_pages(pages)


def rows_from_pages(pages):
    """(column names, rows) from get_query_results pages: values are strings, None for NULL.

    Athena repeats the column names as the first row of the first page of a SELECT's results.
    """
    columns = []
    rows = []
    for number, page in enumerate(pages):
        result_set = page.get("ResultSet", {})
        if number == 0:
            info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            columns = [c.get("Label") or c.get("Name") for c in info]
        for row in result_set.get("Rows", []):
            rows.append(tuple(cell.get("VarCharValue") for cell in row.get("Data", [])))
        if number == 0 and rows and columns and list(rows[0]) == columns:
            del rows[0]
    return columns, rows


class _reported:
    """Turn boto3's exceptions into a one-line StoreError naming the Athena operation."""

    def __init__(self, operation: str):
        self.operation = operation

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            raise StoreError(f"Athena {self.operation}: {error.get('Code')}: {error.get('Message')}") from None
        if isinstance(exc, BotoCoreError):
            raise StoreError(f"Athena {self.operation}: {exc}") from None
        return False


def _check(pattern, value, option: str, rule: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise UsageError(f"{option} {value!r} is not valid: {rule}")
