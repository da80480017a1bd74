"""`venvbuild search --athena --tag` on Athena's own engine: the tag events' table from `venvbuild ddl --tags
--engine trino` and the records table, on the session's real Trino (conftest's `trino` fixture), over a store
whose tags were moved, removed and re-added by `venvbuild tag`. Every answer must be the local search's
answer over the same store, and the versions each case names.
"""

import json
import re
import shutil

import pytest

from tests._support.athena_on_trino import RESULTS_OUTPUT
from tests._support.cli import run_cli
from tests._support.records import make_build_dir
from venvbuild._util.resources import read_text
from venvbuild.build import publish
from venvbuild.cli import main
from venvbuild.lifecycle import tags
from venvbuild.query import ddl, sqlparams
from venvbuild.store.local import LocalStore

DATABASE = "venvs_tagged"

D1, D2, D3, D4 = "venv_20250101_100000", "venv_20250102_100000", "venv_20250103_100000", "venv_20250104_100000"
O1, O2 = "venv_20250105_100000", "venv_20250106_100000"
BUILDS = {
    D1: dict(installed_packages=["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3"]),
    D2: dict(installed_packages=["kedro==0.19.1", "pandas==2.1.4"], python_version="3.10", python_full_version="3.10.14"),
    D3: dict(installed_packages=["Kedro==0.19.3", "numpy==2.0.2", "pandas==2.2.0"]),
    D4: dict(
        installed_packages=["kedro==0.19.4rc1", "pandas==2.2.1"],
        is_conflict_free=False,
        conflicts=["kedro 0.19.4rc1 requires pandas<2.2, but 2.2.1 is installed"],
    ),
    O1: dict(
        installed_packages=["Scikit_Learn==1.5.2", "numpy==1.26.4"],
        env_name="other",
        python_version="3.12",
        python_full_version="3.12.4",
    ),
    O2: dict(installed_packages=["kedro==0.19.9", "scikit-learn==1.6.0"], env_name="other"),
}

# `venvbuild tag VERSION TAG [--remove]`, in order.
TAGGING = [
    (D1, "stable"),
    (D3, "stable"),  # moved: stable (demo) is D3
    (D2, "candidate"),
    (D2, "candidate", "--remove"),  # removed: candidate is unset
    (D1, "old"),
    (D1, "old", "--remove"),
    (D1, "old"),  # removed, then added again
    (D3, "lts"),  # a second tag on D3
    (O1, "stable"),  # the same tag name on another env name
    (O2, "beta"),  # a tag only builds of `other` carry
    (D4, "nightly"),
    (O2, "nightly"),
    (O1, "ghost"),
    (O1, "ghost", "--remove"),  # only ever removed since
    (D3, "rollback"),
    (D1, "rollback"),  # rolled back: the newest event names the older build
    *[(D1 if n % 2 else D2, "busy") for n in range(1, 13)],  # 12 events: 0000000012 (D2) is the newest, not 9
]

# (argv, the versions it must find, newest first): each compared between Trino and the local store.
SEARCHES = [
    (["--tag", "stable"], [O1, D3]),
    (["--tag", "candidate"], []),
    (["--tag", "ghost"], []),
    (["--tag", "old"], [D1]),
    (["--tag", "no-such-tag"], []),
    (["--tag", "stable", "--tag", "lts"], [O1, D3]),
    (["--tag", "stable", "--tag", "old", "--tag", "candidate"], [O1, D3, D1]),
    (["--tag", "stable", "--env-name", "demo"], [D3]),
    (["--tag", "stable", "--env-name", "other"], [O1]),
    (["--tag", "beta", "--env-name", "demo"], []),
    (["--tag", "beta"], [O2]),
    (["--tag", "nightly"], [O2, D4]),
    (["--tag", "nightly", "--conflict-free"], [O2]),
    (["--tag", "nightly", "--tag", "stable", "--limit", "2"], [O2, O1]),
    (["--tag", "stable", "--python", "3.12"], [O1]),
    (["--tag", "stable", "--tag", "old", "--since", "2025-01-02"], [O1, D3]),
    (["kedro", "--tag", "stable"], [D3]),
    (["KEDRO>=0.19", "--tag", "stable", "--tag", "nightly", "--tag", "old"], [O2, D3]),
    (["kedro>=0.19", "--pre", "--tag", "nightly"], [O2, D4]),
    (["numpy", "pandas<2.2", "--tag", "old", "--tag", "lts"], [D1]),
    (["scikit-learn", "--tag", "stable", "--tag", "beta", "--env-name", "other"], [O2, O1]),
    (["scikit-learn>=1.6", "--tag", "stable"], []),
    (["pandas", "--tag", "nightly", "--tag", "stable", "--limit", "1"], [D4]),
    (["--tag", "rollback"], [D1]),
    (["--tag", "busy"], [D2]),
    (["--tag", "busy", "--tag", "rollback", "--tag", "stable"], [O1, D3, D2, D1]),
]

pytestmark = pytest.mark.usefixtures("results_bucket")  # on_athena reads result files from it


@pytest.fixture(scope="module")
def store(trino, tmp_path_factory):
    """A store inside Trino's warehouse: published builds, then `venvbuild tag` events (moves, removals)."""
    root = trino.warehouse / "stores" / DATABASE
    shutil.rmtree(root, ignore_errors=True)
    store = LocalStore(root)
    work = tmp_path_factory.mktemp("tagged-builds")
    for version, fields in BUILDS.items():
        publish.publish(make_build_dir(work, version, **fields), store)
    for version, tag, *remove in TAGGING:
        assert main(["tag", version, tag, *remove, "--store", str(root)]) == 0, (version, tag, remove)
    return root


@pytest.fixture(scope="module")
def athena_tables(trino, store):
    """The records table `venvbuild ddl --engine trino` prints and the tag events' table of `ddl --tags
    --engine trino`, over the store (local:// for s3://)."""
    client = trino.client()
    client.execute(f"CREATE SCHEMA IF NOT EXISTS hive.{DATABASE}")
    base = f"local:///stores/{DATABASE}/venv-builds"
    for statement in ddl.statements(base + "-metadata/", DATABASE, engine="trino", since="2024-12-01"):
        client.execute(statement)
    client.execute(ddl.tags_statement(base + "-tags/", DATABASE, engine="trino"))
    return trino.client(schema=DATABASE)


def on_athena(capsys, endpoint, *argv):
    """search --athena, its results read from the query's result file (the results_bucket on moto)."""
    return run_cli(
        capsys,
        "search",
        *argv,
        "--athena",
        "--database",
        DATABASE,
        "--athena-endpoint-url",
        endpoint.url,
        "--region",
        "us-east-1",
        "--output",
        RESULTS_OUTPUT,
    )


def test_the_tag_events_table_reads_every_event_as_written(athena_tables, store):
    columns, rows = athena_tables.execute(f"SELECT * FROM {ddl.DEFAULT_TAGS_TABLE} ORDER BY env_name, tag, sequence")
    on_disk = [json.loads(p.read_text()) for p in sorted((store / "venv-builds-tags").glob("*.json"))]

    assert columns == [name for name, _ in ddl.tag_columns()] == list(on_disk[0])
    assert len(rows) == len(TAGGING) == len(on_disk)
    expected = sorted(
        ([e[c] if c != "created_at" else e[c].replace("T", " ").replace("Z", ".000") for c in columns] for e in on_disk),
        key=lambda r: (r[0], r[1], r[2]),
    )
    assert rows == expected
    _, described = athena_tables.execute(f"DESCRIBE {ddl.DEFAULT_TAGS_TABLE}")
    assert {r[0]: r[1] for r in described}["created_at"] == "timestamp(3)"


def current_tags_by_the_shipped_sql(client, tags_table: str) -> dict:
    """(env name, tag) -> version, from the shipped query's own CTEs (all but its last SELECT)."""
    sql = sqlparams.without_comments(read_text("sql/search_athena_tagged.sql"))
    ctes = sql[: sql.index("SELECT DISTINCT")].replace("{tags_table}", tags_table)
    _, rows = client.execute(ctes + "SELECT env_name, venv_version, tag FROM tagged CROSS JOIN UNNEST(tags) AS u(tag)")
    assert len(rows) == len({(env, tag) for env, _, tag in rows})
    return {(env, tag): version for env, version, tag in rows}


def test_the_current_tags_in_sql_are_the_local_stores(athena_tables, store):
    assert (
        current_tags_by_the_shipped_sql(athena_tables, ddl.DEFAULT_TAGS_TABLE)
        == tags.current(LocalStore(store))
        == {
            ("demo", "stable"): D3,
            ("demo", "old"): D1,
            ("demo", "lts"): D3,
            ("demo", "nightly"): D4,
            ("other", "stable"): O1,
            ("other", "beta"): O2,
            ("other", "nightly"): O2,
            ("demo", "rollback"): D1,
            ("demo", "busy"): D2,
        }
    )


@pytest.mark.parametrize("argv, expected", SEARCHES, ids=[" ".join(a) for a, _ in SEARCHES])
def test_search_by_tag_on_athena_engine_equals_the_local_search(capsys, aws, store, athena_endpoint, argv, expected):
    local = run_cli(capsys, "search", *argv, "--json", "--store", store)
    remote = on_athena(capsys, athena_endpoint, *argv, "--json")

    assert remote == local
    assert local[0] == (0 if expected else 1)
    assert [json.loads(line)["venv_version"] for line in local[1].splitlines()] == expected


# The other output shapes print from the same rows; a few cases each, with and without SPECs.
SHAPED = [
    (argv + [shape], expected)
    for argv, expected in (SEARCHES[0], SEARCHES[1], SEARCHES[13], SEARCHES[17])
    for shape in ("--count", "--csv", "--table")
]


@pytest.mark.parametrize("argv, expected", SHAPED, ids=[" ".join(a) for a, _ in SHAPED])
def test_every_output_shape_by_tag_on_athena_engine_equals_the_local_search(capsys, aws, store, athena_endpoint, argv, expected):
    argv = [a for a in argv if a != "--table"]  # the aligned table is the default shape
    local = run_cli(capsys, "search", *argv, "--store", store)
    remote = on_athena(capsys, athena_endpoint, *argv)

    assert remote == local
    assert local[0] == (0 if expected else 1)
    if "--count" in argv:
        assert local[1] == f"{len(expected)}\n"
    else:
        assert [v for v in expected if v in local[1]] == expected


def test_tag_search_sends_execution_parameters_never_values_in_the_sql(capsys, aws, store, athena_endpoint):
    before = len(athena_endpoint.requests)
    code, out, err = on_athena(
        capsys, athena_endpoint, "kedro", "--tag", "stable", "--tag", "nightly", "--env-name", "demo", "--json"
    )

    assert code == 0, err
    assert [json.loads(line)["venv_version"] for line in out.splitlines()] == [D4, D3]
    start = athena_endpoint.requests[before][1]
    assert start["QueryString"].count("?") == len(start["ExecutionParameters"])
    for value in ("stable", "nightly", "demo", "kedro"):
        assert value not in start["QueryString"]
        assert any(value in p for p in start["ExecutionParameters"])
    assert f'"{DATABASE}"."{ddl.DEFAULT_TAGS_TABLE}"' in start["QueryString"]


def test_a_record_in_two_objects_is_one_build(capsys, aws, trino, store, athena_endpoint, athena_tables):
    """While `venvbuild compact` folds a day, a record is in its own object and in the day's file."""
    doubled = trino.warehouse / "stores" / "doubled" / "venv-builds-metadata"
    shutil.rmtree(doubled.parent, ignore_errors=True)
    shutil.copytree(store / "venv-builds-metadata", doubled, ignore=shutil.ignore_patterns("_*"))
    for day in doubled.glob("dt=*"):
        (day / "compacted.json").write_text("".join(p.read_text() for p in sorted(day.glob("venv_*.json"))))
    for statement in ddl.statements(
        "local:///stores/doubled/venv-builds-metadata/",
        DATABASE,
        "doubled",
        engine="trino",
        since="2024-12-01",
        view="doubled_packages",
    ):
        athena_tables.execute(statement)
    _, [[count]] = athena_tables.execute("SELECT count(*) FROM doubled")
    assert count == 2 * len(BUILDS)

    for argv, expected in SEARCHES:
        code, out, err = on_athena(capsys, athena_endpoint, *argv, "--json", "--table", "doubled")
        assert [json.loads(line)["venv_version"] for line in out.splitlines()] == expected, (argv, err)


def test_another_tags_table_is_named_with_tags_table(capsys, aws, store, athena_endpoint):
    code, out, err = on_athena(capsys, athena_endpoint, "--tag", "stable", "--tags-table", "no_such_tags")
    assert (code, out) == (6, "")
    assert re.fullmatch(r"venvbuild: error: Athena query [0-9a-f-]+ FAILED: TABLE_NOT_FOUND: .*no_such_tags.*\n", err)


# --- events `venvbuild tag` never writes: hand-edited, damaged, misnamed (venvbuild.lifecycle.tags says what an event is) ---

E1, E2, E3 = "venv_20250201_100000", "venv_20250202_100000", "venv_20250203_100000"


def _event(**fields) -> str:
    event = {
        "env_name": "demo",
        "tag": "x",
        "sequence": 2,
        "venv_version": E2,
        "action": "add",
        "created_at": "2025-03-01T00:00:00Z",
        "build_url": None,
    }
    event.update(fields)
    return json.dumps({k: v for k, v in event.items() if v is not ...}) + "\n"


# tag -> (the objects written after `venvbuild tag E1 <tag>`, or with no such event when the first is None;
#         the versions a search for the tag finds)
EDGE = {
    "emptied": ({"demo~emptied~0000000002.json": ""}, [E1]),  # no line: no row, no event
    "blank": ({"demo~blank~0000000002.json": "\n"}, []),
    "garbage": ({"demo~garbage~0000000002.json": "garbage\n"}, []),  # a row of nulls, not a failed query
    "noseq": ({"demo~noseq~0000000002.json": _event(sequence=..., action="remove")}, []),
    "nover": ({"demo~nover~0000000002.json": _event(venv_version=...)}, []),
    "noact": ({"demo~noact~0000000002.json": _event(action=...)}, []),
    "unknown": ({"demo~unknown~0000000002.json": _event(action="delete")}, []),
    "twice": ({"demo~twice~0000000002.json": _event() + _event()}, []),
    "spaced": ({"demo~spaced~0000000002.json": _event() + "\n"}, []),
    "bigseq": (
        {
            "demo~bigseq~0000000002.json": _event(sequence=999999),
            "demo~bigseq~0000000003.json": _event(sequence=3, venv_version=E1),
        },
        [E1],
    ),
    "unpadded": ({"demo~unpadded~2.json": _event(), "demo~unpadded~00000000002.json": _event()}, [E1]),
    "mis": ({"demo~mis~0000000002.json": _event(env_name="other", tag="elsewhere")}, [E2]),
    "swap": (
        {
            "demo~swap~0000000001.json": _event(sequence=1, venv_version=E3),
            "other~swap~0000000001.json": _event(env_name="other", sequence=1, venv_version=E1),
        },
        None,
    ),
}
EDGE_SEARCHES = [(["--tag", t], found or []) for t, (_, found) in EDGE.items()] + [
    ([a for t in EDGE for a in ("--tag", t)], [E2, E1]),
    (["kedro", *[a for t in EDGE for a in ("--tag", t)]], [E2, E1]),
    (["--tag", "swap", "--env-name", "other"], []),
]


@pytest.fixture(scope="module")
def edge(trino, athena_tables, tmp_path_factory):
    root = trino.warehouse / "stores" / "edge"
    shutil.rmtree(root, ignore_errors=True)
    work = tmp_path_factory.mktemp("edge-builds")
    for version, env_name in ((E1, "demo"), (E2, "demo"), (E3, "other")):
        publish.publish(make_build_dir(work, version, env_name=env_name, installed_packages=["kedro==0.19.1"]), LocalStore(root))
    for tag, (objects, found) in EDGE.items():
        if found is not None:
            assert main(["tag", E1, tag, "--store", str(root)]) == 0
        for name, contents in objects.items():
            (root / "venv-builds-tags" / name).write_text(contents)
    base = "local:///stores/edge/venv-builds"
    for statement in ddl.statements(
        base + "-metadata/", DATABASE, "edge", engine="trino", since="2024-12-01", view="edge_packages"
    ):
        athena_tables.execute(statement)
    athena_tables.execute(ddl.tags_statement(base + "-tags/", DATABASE, "edge_tags", engine="trino"))
    return root


def test_damaged_and_hand_made_events_read_the_same_in_sql_as_in_the_local_store(athena_tables, edge):
    assert (
        current_tags_by_the_shipped_sql(athena_tables, "edge_tags")
        == tags.current(LocalStore(edge))
        == {
            **{("demo", t): E1 for t in ("emptied", "bigseq", "unpadded")},
            ("demo", "mis"): E2,
            ("demo", "swap"): E3,
            ("other", "swap"): E1,
        }
    )


@pytest.mark.parametrize("argv, expected", EDGE_SEARCHES, ids=[" ".join(a)[:60] for a, _ in EDGE_SEARCHES])
def test_search_by_tag_over_damaged_events_on_athena_engine_equals_the_local_search(
    capsys, aws, edge, athena_endpoint, argv, expected
):
    local = run_cli(capsys, "search", *argv, "--json", "--store", edge)
    remote = on_athena(capsys, athena_endpoint, *argv, "--json", "--table", "edge", "--tags-table", "edge_tags")

    assert remote[:2] == local[:2]
    assert remote[0] == (0 if expected else 1), remote[2]
    assert [json.loads(line)["venv_version"] for line in local[1].splitlines()] == expected
