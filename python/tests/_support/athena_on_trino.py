"""An Athena-shaped endpoint on 127.0.0.1 whose queries run on a real Trino (the engine under Athena engine 3).

boto3's Athena client, pointed here with endpoint_url, calls StartQueryExecution, GetQueryExecution,
GetQueryResults and StopQueryExecution in either of the protocols Athena's endpoint answers: `rest-json`
(botocore 1.44.14 and later: `POST /query-executions`, `GET /query-executions/ID/results?NextToken=...`,
errors named in `x-amzn-ErrorType`) or `json` (earlier botocore: every call a POST naming its operation in
`X-Amz-Target`). A query runs in the
request's database as Athena runs it: with ExecutionParameters it is `EXECUTE IMMEDIATE '<query>' USING
<parameters>` (each parameter a SQL literal, applied to the `?` in order), without them the query itself.
Results come back as Athena shapes them: every value a VarCharValue string (NULL has none; arrays
`[a, b]`, rows `{field=value}`, timestamps `2025-01-01 10:00:00.000`), the column names repeated as the
first row of the first page, pages of MaxResults rows (at most 1000) with a NextToken while rows are left.
Given an S3 endpoint (the tests' moto server), a query started with an OutputLocation also leaves its
result file there, `<OutputLocation>/<QueryExecutionId>.csv`, in Athena's format (header row; each
non-NULL value quoted, quotes doubled; NULL an empty unquoted field), before it reports SUCCEEDED; if the
bucket is missing no file is written. The code under test sees Athena, not Trino.
"""

import functools
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests._support.athena_protocol import ProtocolError, is_rest_json, json_form, rest_error_headers
from tests._support.trino_client import TrinoClient, TrinoError

MAX_RESULTS = 1000
RESULTS_BUCKET = "athena-query-results"
RESULTS_OUTPUT = f"s3://{RESULTS_BUCKET}/results/"  # search --athena --output, once `results_bucket` made it


class Execution:
    def __init__(self, request: dict, client: TrinoClient, s3_endpoint=None):
        self.id = str(uuid.uuid4())
        self.request = request
        self.submitted = time.time()
        self.completed = None
        self.state = "QUEUED"
        self.reason = None
        self.columns = []
        self.rows = []
        self.statement = None
        self.lock = threading.Lock()
        self.s3_endpoint = s3_endpoint
        self.thread = threading.Thread(target=self._run, args=(client,), daemon=True)
        self.thread.start()

    def trino_sql(self) -> str:
        query = self.request["QueryString"]
        parameters = self.request.get("ExecutionParameters")
        if not parameters:
            return query
        return "EXECUTE IMMEDIATE '" + query.replace("'", "''") + "' USING " + ", ".join(parameters)

    def _run(self, client: TrinoClient) -> None:
        try:
            statement = client.start(self.trino_sql())
            with self.lock:
                self.statement = statement
            while not statement.done:
                with self.lock:
                    if self.state == "CANCELLED":
                        return
                    self.state = "QUEUED" if statement.state in ("QUEUED", "WAITING_FOR_RESOURCES") else "RUNNING"
                statement.advance()
            if statement.error:
                raise statement.error
            self._write_result_file(statement.columns or [], statement.rows)
            with self.lock:
                if self.state != "CANCELLED":
                    self.columns = statement.columns or []
                    self.rows = statement.rows
                    self.state = "SUCCEEDED"
        except TrinoError as exc:  # Athena's reason reads as Trino's: "TABLE_NOT_FOUND: line 1:15: ..."
            self._end("FAILED", str(exc))
        except OSError as exc:
            self._end("FAILED", f"INTERNAL_ERROR_QUERY_ENGINE: {exc}")
        finally:
            self.completed = self.completed or time.time()

    def output_location(self):
        output = self.request.get("ResultConfiguration", {}).get("OutputLocation")
        return f"{output.rstrip('/')}/{self.id}.csv" if output else None

    def _write_result_file(self, columns: list, rows: list) -> None:
        location = self.output_location()
        if not (location and self.s3_endpoint):
            return
        from botocore.exceptions import ClientError

        bucket, _, key = location[len("s3://") :].partition("/")
        s3 = _s3_client(self.s3_endpoint)
        text = result_csv(
            [c["name"] for c in columns], [[_text(v, c.get("typeSignature")) for v, c in zip(row, columns)] for row in rows]
        )
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
        except ClientError:
            pass  # no bucket: nothing written, as the tests of the fallback want

    def _end(self, state: str, reason: str) -> None:
        with self.lock:
            if self.state != "CANCELLED":
                self.state, self.reason = state, reason

    def stop(self) -> None:
        with self.lock:
            if self.state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                return
            self.state = "CANCELLED"
            statement = self.statement
        if statement is not None:
            try:
                statement.cancel()
            except (OSError, TrinoError):
                pass

    def description(self) -> dict:
        request = self.request
        status = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed and self.state != "RUNNING":
            status["CompletionDateTime"] = self.completed
        if self.reason:
            status["StateChangeReason"] = self.reason
            status["AthenaError"] = {"ErrorCategory": 2, "ErrorType": 1100, "Retryable": False, "ErrorMessage": self.reason}
        described = {
            "QueryExecutionId": self.id,
            "Query": request["QueryString"],
            "StatementType": "DML",
            "QueryExecutionContext": request.get("QueryExecutionContext", {}),
            "Status": status,
            "WorkGroup": request.get("WorkGroup", "primary"),
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        }
        if request.get("ExecutionParameters"):
            described["ExecutionParameters"] = request["ExecutionParameters"]
        if self.output_location():
            described["ResultConfiguration"] = {"OutputLocation": self.output_location()}
        return described

    def page(self, max_results: int, token) -> dict:
        """Rows start to start + max_results of [header, *rows], converted as they are served."""
        header = [[c["name"] for c in self.columns]] if self.columns else []
        start = int(token or 0)
        end = start + max_results
        served = header[start:end] + [
            [_text(v, c.get("typeSignature")) for v, c in zip(row, self.columns)]
            for row in self.rows[max(start - len(header), 0) : max(end - len(header), 0)]
        ]
        answer = {
            "UpdateCount": 0,
            "ResultSet": {
                "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in served],
                "ResultSetMetadata": {"ColumnInfo": [_column_info(c) for c in self.columns]},
            },
        }
        if end < len(header) + len(self.rows):
            answer["NextToken"] = str(end)
        return answer


@functools.cache
def _s3_client(endpoint: str):
    """One client per S3 endpoint (boto3 clients are thread-safe): making one costs ~0.15 s a query."""
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def result_csv(columns: list, rows: list) -> str:
    """Athena's result file: each non-NULL value quoted with quotes doubled, NULL an empty unquoted field."""

    def line(values):
        return ",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in values) + "\n"

    return line(columns) + "".join(line(row) for row in rows)


def _column_info(column: dict) -> dict:
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": column["name"],
        "Label": column["name"],
        "Type": column["type"].split("(", 1)[0],
        "Precision": 0,
        "Scale": 0,
        "Nullable": "UNKNOWN",
        "CaseSensitive": column["type"].startswith("varchar"),
    }


def _text(value, signature):
    """A Trino JSON value as Athena's VarCharValue text (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    raw = (signature or {}).get("rawType")
    arguments = (signature or {}).get("arguments", [])
    if isinstance(value, list) and raw == "row":
        fields = [a["value"] for a in arguments]
        return (
            "{"
            + ", ".join(
                f"{f.get('fieldName', {}).get('name', f'field{i}')}={_text(v, f.get('typeSignature')) or 'null'}"
                for i, (f, v) in enumerate(zip(fields, value))
            )
            + "}"
        )
    if isinstance(value, list):
        item = arguments[0]["value"] if arguments else None
        return "[" + ", ".join(_text(v, item) or "null" for v in value) + "]"
    if isinstance(value, dict):
        value_type = arguments[1]["value"] if len(arguments) > 1 else None
        return "{" + ", ".join(f"{k}={_text(v, value_type) or 'null'}" for k, v in value.items()) + "}"
    return str(value)


class AthenaOnTrino:
    """start() serves on 127.0.0.1 (url); stop() shuts the server down. Executions are kept for inspection."""

    def __init__(self, trino_url: str, catalog: str = "hive", s3_endpoint=None):
        self.trino_url = trino_url
        self.catalog = catalog
        self.s3_endpoint = s3_endpoint  # where result files are written; None writes none
        self.executions = {}
        self.requests = []  # (operation, request body) in order
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self._serve("POST")

            def do_GET(self):
                self._serve("GET")

            def _serve(self, method):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                rest = is_rest_json(self.headers)
                try:
                    operation, request = json_form(method, self.path, self.headers, body)
                    outer.requests.append((operation, request))
                    status, answer = 200, outer.answer(operation, request)
                except ProtocolError as exc:
                    status, answer = 400, {"__type": exc.kind, "Message": exc.message}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if rest else "application/x-amz-json-1.1")
                for key, value in rest_error_headers(answer["__type"]) if status != 200 and rest else []:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "AthenaOnTrino":
        self.thread.start()
        return self

    def stop(self) -> None:
        for execution in list(self.executions.values()):
            execution.stop()
        self.server.shutdown()
        self.server.server_close()

    def answer(self, operation: str, request: dict) -> dict:
        if operation == "StartQueryExecution":
            database = request.get("QueryExecutionContext", {}).get("Database")
            execution = Execution(request, TrinoClient(self.trino_url, catalog=self.catalog, schema=database), self.s3_endpoint)
            self.executions[execution.id] = execution
            return {"QueryExecutionId": execution.id}
        execution = self.executions.get(request.get("QueryExecutionId"))
        if execution is None:
            raise ProtocolError("InvalidRequestException", f"QueryExecution {request.get('QueryExecutionId')} was not found")
        if operation == "GetQueryExecution":
            with execution.lock:
                return {"QueryExecution": execution.description()}
        if operation == "StopQueryExecution":
            execution.stop()
            return {}
        if operation == "GetQueryResults":
            with execution.lock:
                if execution.state != "SUCCEEDED":
                    raise ProtocolError(
                        "InvalidRequestException", f"Query has not yet finished. Current state: {execution.state}"
                    )
                max_results = request.get("MaxResults", MAX_RESULTS)
                if not 1 <= max_results <= MAX_RESULTS:
                    raise ProtocolError("InvalidRequestException", f"MaxResults {max_results} is not 1 to {MAX_RESULTS}")
                return execution.page(max_results, request.get("NextToken"))
        raise ProtocolError("UnknownOperationException", f"{operation} is not served here")
