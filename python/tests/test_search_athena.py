"""`venvbuild search --athena` against moto's server on 127.0.0.1.

moto runs no SQL: it answers a query with the next canned result posted to
/moto-api/static/athena/query-results, which tests the request flow and the result parsing; the
version filtering after it is the same code as the local search's.
"""

import json
import urllib.request

import boto3
import pytest

from tests._support.fault_proxy import FaultProxy
from venvbuild import cli
from venvbuild.errors import StoreError
from venvbuild.query import athena

pytestmark = pytest.mark.athena

GET_EXECUTION = "AmazonAthena.GetQueryExecution"
GET_RESULTS = "AmazonAthena.GetQueryResults"
HEADER = ["venv_version", "env_name", "created_at", "python_version", "is_conflict_free", "venv_archive", "packages"]
ARCHIVE = "s3://bucket/venv-builds/{0}/{0}.tar.gz"


def athena_rows(*rows):
    """Rows as Athena returns them: strings, a missing VarCharValue for NULL, the header row first."""
    return [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in [HEADER, *rows]]


def post(endpoint, path, body):
    request = urllib.request.Request(
        endpoint + path, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)


def canned(endpoint, rows, header=HEADER):
    post(
        endpoint,
        "/moto-api/static/athena/query-results",
        {
            "region": "us-east-1",
            "results": [{"rows": rows, "column_info": [{"Name": n, "Label": n, "Type": "varchar"} for n in header]}],
        },
    )


GROUPS = ("packages", "builds")


def canned_groups(endpoint, *groups):
    """What `--count` asks Athena for: the candidates grouped by their requested packages, with how many."""
    canned(endpoint, [{"Data": [{"VarCharValue": v} for v in row]} for row in [GROUPS, *groups]], GROUPS)


@pytest.fixture
def moto(s3_server, aws_env, monkeypatch):
    """moto's Athena, through a proxy that forwards botocore's rest-json calls in the json form moto
    answers (fault_proxy.FaultProxy), so the client speaks whichever protocol its botocore speaks."""
    monkeypatch.setattr(athena, "FIRST_POLL_S", 0.01)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)  # the result files Athena reports, on moto too
    translating = FaultProxy(s3_server).start()
    yield translating.url
    translating.stop()


@pytest.fixture
def slow_queries(moto):
    """Queries stay QUEUED/RUNNING for a few polls (moto's state manager), on the shared server."""

    def set_polls(times):
        post(
            moto,
            "/moto-api/state-manager/set-transition",
            {"model_name": "athena::execution", "transition": {"progression": "manual", "times": times}},
        )

    yield set_polls
    post(moto, "/moto-api/state-manager/unset-transition", {"model_name": "athena::execution"})


@pytest.fixture
def proxy(moto):
    """A proxy on 127.0.0.1 in front of moto that rewrites chosen Athena answers (fault_proxy.FaultProxy)."""
    proxy = FaultProxy(moto).start()
    yield proxy
    proxy.stop()


def athena_pages(request, answer):
    """Page moto's whole result as Athena does (moto ignores MaxResults and NextToken): MaxResults rows a
    page, the header row counted on the first, and a NextToken while rows are left."""
    rows = answer["ResultSet"]["Rows"]
    start = int(request.get("NextToken", "rows-from-0").rpartition("-")[2])
    end = start + request.get("MaxResults", 1000)
    answer["ResultSet"]["Rows"] = rows[start:end]
    if end < len(rows):
        answer["NextToken"] = f"rows-from-{end}"
    return answer


def client(endpoint):
    return boto3.client("athena", endpoint_url=endpoint, region_name="us-east-1")


def executions(endpoint):
    return set(client(endpoint).list_query_executions()["QueryExecutionIds"])


def search(capsys, endpoint, *argv):
    try:
        code = cli.main(
            [
                "search",
                *argv,
                "--athena",
                "--database",
                "venvs",
                "--athena-endpoint-url",
                endpoint,
                "--region",
                "us-east-1",
                "--output",
                "s3://athena-results/venvbuild/",
            ]
        )
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_request_flow_parameters_and_filtering(capsys, moto, slow_queries):
    slow_queries(2)  # QUEUED, RUNNING, RUNNING, then SUCCEEDED: the search polls until it is done
    canned(
        moto,
        athena_rows(
            [
                "venv_20250105_100000",
                "other",
                "2025-01-05 10:00:00.000",
                "3.12",
                "true",
                ARCHIVE.format("venv_20250105_100000"),
                "Kedro==0.19.10 PyYAML==6.0",
            ],
            [
                "venv_20250104_100000",
                "demo",
                "2025-01-04 10:00:00.000",
                "3.11",
                "false",
                ARCHIVE.format("venv_20250104_100000"),
                "kedro==0.19.0rc1 pandas==2.0.0rc1",
            ],
            ["venv_20250101_100000", "demo", "2025-01-01 10:00:00.000", "3.11", "true", None, "kedro==0.18.14"],
        ),
    )
    before = executions(moto)
    code, out, err = search(capsys, moto, "kedro>=0.19", "--env-name", "other", "--since", "2025-01-01", "--json")

    # Athena (moto) returned three candidates; PEP 440 keeps 0.19.10 only (0.19.0rc1 is a pre-release).
    assert code == 0, err
    assert [json.loads(line) for line in out.splitlines()] == [
        {
            "venv_version": "venv_20250105_100000",
            "env_name": "other",
            "created_at": "2025-01-05T10:00:00Z",
            "python_version": "3.12",
            "is_conflict_free": True,
            "packages": ["Kedro==0.19.10"],
            "venv_archive": ARCHIVE.format("venv_20250105_100000"),
        }
    ]
    (started,) = executions(moto) - before
    execution = client(moto).get_query_execution(QueryExecutionId=started)["QueryExecution"]
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["QueryExecutionContext"]["Database"] == "venvs"
    assert execution["ResultConfiguration"]["OutputLocation"].startswith("s3://athena-results/venvbuild/")
    query = execution["Query"]
    assert 'FROM "venvs"."venv_builds_metadata"' in query
    assert "kedro" not in query and "other" not in query and "2025-01-01" not in query and "$" not in query
    assert execution["ExecutionParameters"] == [
        "'kedro'",
        "1",
        "'kedro'",
        "''",
        "''",
        "''",
        "'other'",
        "'other'",
        "'2025-01-01'",
        "'2025-01-01'",
    ]


def test_count_from_athena_pages_groups_of_builds_not_builds(capsys, moto):
    canned_groups(moto, ["pandas==1.5.3", "3"], ["pandas==2.1.4", "2"], ["Pandas==1.5.3rc1", "4"])
    before = executions(moto)
    code, out, err = search(capsys, moto, "pandas>=1.5,<2", "--count")
    assert (code, out) == (0, "3\n"), err
    (started,) = executions(moto) - before
    query = client(moto).get_query_execution(QueryExecutionId=started)["QueryExecution"]["Query"]
    assert "count(DISTINCT venv_version) AS builds" in query and query.rstrip().endswith("GROUP BY pkg")
    canned_groups(moto, ["pandas==1.5.3", "3"])
    assert search(capsys, moto, "pandas>=1.5,<2", "--count", "--limit", "2")[:2] == (0, "2\n")


def test_no_rows_exits_1(capsys, moto):
    canned(moto, athena_rows())
    code, out, err = search(capsys, moto, "kedro")
    assert code == 1 and out == "" and "no build matches kedro" in err


def test_a_slow_query_is_stopped_after_the_timeout(capsys, moto, slow_queries):
    slow_queries(10_000)
    before = executions(moto)
    code, out, err = search(capsys, moto, "kedro", "--timeout", "0.3")
    assert code == 6 and "after --timeout 0.3 s; stopped it" in err and err.count("\n") == 1
    (started,) = executions(moto) - before
    assert client(moto).get_query_execution(QueryExecutionId=started)["QueryExecution"]["Status"]["State"] == "CANCELLED"


def test_a_cancelled_query_is_reported_with_its_state(moto):
    athena_client = client(moto)
    started = athena_client.start_query_execution(QueryString="SELECT 1")["QueryExecutionId"]
    athena_client.stop_query_execution(QueryExecutionId=started)
    with pytest.raises(StoreError) as caught:
        athena.wait(athena_client, started)
    assert str(caught.value) == f"Athena query {started} CANCELLED: Athena gave no reason"


def test_an_aws_error_is_one_line_exit_6(capsys, moto):
    code, out, err = search(capsys, moto, "kedro", "--workgroup", "no-such-workgroup")
    assert code == 6 and "StartQueryExecution" in err and "WorkGroup does not exist" in err
    assert err.count("\n") == 1


def test_injection_attempts_never_reach_athena(capsys, moto):
    before = executions(moto)
    for argv in (["x' OR 1=1 --"], ["kedro", "--env-name", "x' OR 1=1 --"], ["kedro", "--table", "t; DROP TABLE t"]):
        code, out, err = search(capsys, moto, *argv)
        assert code == 2 and "Traceback" not in err
    assert executions(moto) == before


def test_results_across_pages_skip_the_header_once():
    """moto returns one page whatever MaxResults says; real Athena pages by 1000 with NextToken."""
    columns = [{"Name": "venv_version", "Label": "venv_version"}, {"Name": "packages", "Label": "packages"}]

    def page(*rows, token=None):
        result = {
            "ResultSet": {
                "ResultSetMetadata": {"ColumnInfo": columns},
                "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in r]} for r in rows],
            }
        }
        return {**result, "NextToken": token} if token else result

    pages = [
        page(("venv_version", "packages"), ("venv_20250102_100000", "kedro==1.0"), token="t1"),
        page(("venv_version", "packages"), ("venv_20250101_100000", None)),  # a data row that looks like the header
    ]
    assert athena.rows_from_pages(pages) == (
        ["venv_version", "packages"],
        [("venv_20250102_100000", "kedro==1.0"), ("venv_version", "packages"), ("venv_20250101_100000", None)],
    )


def test_results_are_read_across_every_page(capsys, moto, proxy, monkeypatch):
    monkeypatch.setattr(athena, "PAGE_SIZE", 3)
    proxy.rewrite(GET_RESULTS, athena_pages)
    versions = [f"venv_2025010{day}_100000" for day in range(9, 0, -1)]  # newest first, as the SQL orders them
    canned(
        moto,
        athena_rows(
            *[[v, "demo", f"2025-01-0{v[12]} 10:00:00.000", "3.11", "true", None, f"kedro==0.19.{v[12]}"] for v in versions]
        ),
    )
    code, out, err = search(capsys, proxy.url, "kedro", "--json")

    # The header and nine rows in pages of three: [header, 9, 8] [7, 6, 5] [4, 3, 2] [1].
    assert code == 0, err
    found = [json.loads(line) for line in out.splitlines()]
    assert [(b["venv_version"], b["packages"]) for b in found] == [(v, [f"kedro==0.19.{v[12]}"]) for v in versions]
    calls = proxy.calls(GET_RESULTS)
    assert [c.get("NextToken") for c in calls] == [None, "rows-from-3", "rows-from-6", "rows-from-9"]
    assert {c["MaxResults"] for c in calls} == {3}
    assert len({c["QueryExecutionId"] for c in calls}) == 1


def test_polls_until_the_query_succeeds(capsys, moto, proxy):
    states = iter(["QUEUED", "RUNNING", "RUNNING"])

    def not_yet(request, answer):
        answer["QueryExecution"]["Status"]["State"] = next(states)
        return answer

    proxy.rewrite(GET_EXECUTION, not_yet, times=3)  # then moto's own answer: SUCCEEDED
    canned_groups(moto, ["kedro==0.19.1", "1"])
    code, out, err = search(capsys, proxy.url, "kedro", "--count")

    assert (code, out) == (0, "1\n"), err
    operations = [(r.headers.get("x-amz-target"), r.outcome) for r in proxy.requests]
    assert operations == [
        ("AmazonAthena.StartQueryExecution", "forwarded"),
        (GET_EXECUTION, "rewritten"),
        (GET_EXECUTION, "rewritten"),
        (GET_EXECUTION, "rewritten"),
        (GET_EXECUTION, "forwarded"),
        (GET_RESULTS, "forwarded"),  # the results are read only once the query SUCCEEDED
    ]


@pytest.mark.parametrize(
    "status, reason",
    [
        (
            {
                "State": "FAILED",
                "StateChangeReason": "SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved",
                "AthenaError": {
                    "ErrorCategory": 2,
                    "ErrorType": 1100,
                    "Retryable": False,
                    "ErrorMessage": "SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved",
                },
            },
            "FAILED: SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved",
        ),
        (
            {"State": "FAILED", "AthenaError": {"ErrorCategory": 1, "ErrorMessage": "Query exhausted resources"}},
            "FAILED: Query exhausted resources",
        ),
        (
            {"State": "FAILED", "StateChangeReason": "HIVE_BAD_DATA: Error parsing field value\n  at row 2\n"},
            "FAILED: HIVE_BAD_DATA: Error parsing field value at row 2",
        ),
        ({"State": "CANCELLED"}, "CANCELLED: Athena gave no reason"),
    ],
)
def test_a_failed_query_is_one_line_with_athenas_reason(capsys, moto, proxy, status, reason):
    def ended(request, answer):
        times = {k: v for k, v in answer["QueryExecution"]["Status"].items() if k.endswith("DateTime")}
        answer["QueryExecution"]["Status"] = {**times, **status}
        return answer

    proxy.rewrite(GET_EXECUTION, ended)
    code, out, err = search(capsys, proxy.url, "kedro")

    (poll,) = proxy.calls(GET_EXECUTION)
    assert (code, out) == (6, "")
    assert err == f"venvbuild: error: Athena query {poll['QueryExecutionId']} {reason}\n"
    assert proxy.calls(GET_RESULTS) == []


@pytest.mark.parametrize(
    "argv, option",
    [
        (["--tag", "bad tag!"], "--tag"),
        (["kedro", "--tag", "stable", "--tag", "1st"], "--tag"),
        (["--tag", "stable,candidate"], "--tag"),  # the tags travel comma-joined: a ',' must never get through
        (["--tag", "x' OR 1=1 --"], "--tag"),
        (["--tag", "stable", "--tags-table", "t; DROP TABLE t"], "--tags-table"),
        (["--tags-table", "venv_build_tags"], "--tags-table"),  # without --tag it would do nothing
    ],
)
def test_bad_tag_input_is_one_line_naming_the_option_and_never_reaches_athena(capsys, moto, tmp_path, argv, option):
    before = executions(moto)
    code, out, err = search(capsys, moto, *argv)

    assert (code, out) == (2, "")
    assert err.startswith(f"venvbuild: error: {option} ") and err.count("\n") == 1, err
    assert executions(moto) == before
    if option == "--tag":  # the local search refuses it in the same words
        (tmp_path / "store").mkdir()
        assert cli.main(["search", *argv, "--store", str(tmp_path / "store")]) == 2
        assert capsys.readouterr() == ("", err)


def test_tags_table_needs_athena(capsys, tmp_path):
    code = cli.main(["search", "--tag", "stable", "--tags-table", "venv_build_tags", "--store", str(tmp_path)])
    assert (code, capsys.readouterr()) == (2, ("", "venvbuild: error: --tags-table needs --athena\n"))


@pytest.mark.parametrize(
    "argv, option",
    [
        ([f"--tag=t{n:04d}" for n in range(210)], "--tag"),  # 210 x 6 characters, comma-joined
        ([f"package-{n:03d}" for n in range(100)], "SPEC"),  # the names travel comma-joined too
        ([f"package-{n:03d}" for n in range(100)] + ["--tag", "stable"], "SPEC"),
    ],
)
def test_values_longer_than_one_athena_parameter_are_one_line_and_never_reach_athena(capsys, moto, argv, option):
    """StartQueryExecution refuses an execution parameter over 1024 characters: say which option, exit 2."""
    before = executions(moto)
    code, out, err = search(capsys, moto, *argv)

    assert (code, out) == (2, "")
    assert err.startswith(f"venvbuild: error: {option}: ") and err.count("\n") == 1, err
    assert "1024" in err
    assert executions(moto) == before


def _parameters_outside_the_outer_where(sql: str) -> list:
    import collections

    import sqlglot
    from sqlglot import exp

    from venvbuild.query import sqlparams

    sql = sql.replace("{tags_table}", '"d"."tags"').replace("{table}", '"d"."t"')
    sql, parameters = sqlparams.positional(sql, collections.defaultdict(str))
    tree = sqlglot.parse_one(sql, read="trino")
    assert isinstance(tree, exp.Select)
    where = tree.args.get("where")
    inside = {id(p) for p in where.find_all(exp.Placeholder)} if where else set()
    placeholders = list(tree.find_all(exp.Placeholder))
    assert len(placeholders) == len(parameters) > 0
    return [p.parent.sql("trino") for p in placeholders if id(p) not in inside]


def test_athena_execution_parameters_sit_only_in_the_outermost_where():
    """Athena takes execution parameters only in WHERE; the Trino test endpoint's EXECUTE IMMEDIATE takes them
    anywhere, so only this reading of the shipped SQL catches one elsewhere."""
    from venvbuild._util.resources import resource_dir

    shipped = sorted((resource_dir() / "sql").glob("search_athena*.sql"))
    assert [p.name for p in shipped][:2] == ["search_athena.sql", "search_athena_tagged.sql"]
    for path in shipped:
        assert _parameters_outside_the_outer_where(path.read_text()) == [], path.name

    tagged = (resource_dir() / "sql" / "search_athena_tagged.sql").read_text()
    in_a_cte = tagged.replace("WHERE event[2] = 'add'", "WHERE event[2] = 'add' AND tag <> $python")
    assert len(_parameters_outside_the_outer_where(in_a_cte)) == 1
    in_the_select = tagged.replace("SELECT DISTINCT r.venv_version,", "SELECT DISTINCT r.venv_version, $since AS s,")
    assert len(_parameters_outside_the_outer_where(in_the_select)) == 1


@pytest.mark.parametrize(
    "text", ["2025-07-22 08:30:00.000", "2025-07-22 08:30:00", "1999-12-31 23:59:59.999", "2026-01-01 00:00:00.123456"]
)
def test_athena_timestamp_text_reads_as_the_datetime_round_trip_gives_it(text):
    from datetime import datetime

    from venvbuild.query import matching

    assert matching._iso_utc(text) == datetime.fromisoformat(text).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_athena_and_its_result_files_each_have_their_own_endpoint_option(monkeypatch, aws_env):
    """--athena-endpoint-url is Athena's; --endpoint-url is S3's, as on every other command, and wins over
    AWS_ENDPOINT_URL_S3 for the result files."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
    where = athena.target("venvs", region="us-east-1", endpoint_url="http://127.0.0.1:2", s3_endpoint_url="http://127.0.0.1:3")
    assert athena.make_client(where).meta.endpoint_url == "http://127.0.0.1:2"
    assert athena.make_s3_client(where).meta.endpoint_url == "http://127.0.0.1:3"
    assert athena.make_s3_client(athena.target("venvs", region="us-east-1")).meta.endpoint_url == "http://127.0.0.1:1"


@pytest.mark.parametrize("option", ["--athena-endpoint-url", "--endpoint-url"])
def test_a_bad_endpoint_is_one_line_naming_its_option(capsys, option):
    code = cli.main(["search", "kedro", "--athena", "--database", "venvs", "--region", "us-east-1", option, "ftp://x"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith(f"venvbuild: error: {option} 'ftp://x' is not valid") and err.count("\n") == 1, err


@pytest.mark.parametrize("option", ["--athena-endpoint-url", "--endpoint-url"])
def test_the_endpoint_options_of_search_need_athena(capsys, tmp_path, option):
    code = cli.main(["search", "kedro", "--store", str(tmp_path), option, "http://127.0.0.1:9000"])
    assert (code, capsys.readouterr()) == (2, ("", f"venvbuild: error: {option} needs --athena\n"))
