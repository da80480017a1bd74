"""Benchmark `venvbuild search` over a local store of many builds (default 100,000).

    python bench/bench_search.py [--builds N] [--store DIR] [--keep] [--trino]

Writes the search records directly into the store's dt= layout (publishing 100,000 archives would
measure tar, not search), with 30-80 packages each drawn from a realistic pool of names and versions,
then times: building the index, a cold search (fresh process, index built), a warm search (in-process,
index loaded), and the same searches through the `venvbuild` CLI. The target is < 1 s per search.

With --trino, the same records are also a table on a real Trino 476 (python/tests/_support/trino_server.py; fetch
it first with `PYTHONPATH=python python -m tests._support.trino_server prepare`), created by `venvbuild ddl --engine trino`'s
statements: the engine's count over one object per record (as publish leaves them), then `venvbuild
compact` on the store (timed), then the same searches as `venvbuild search --athena` through the tests'
Athena-shaped endpoint over the compacted days, each beside the local figure and the engine's share alone,
after two untimed runs of each search warm the new JVM; the median of --rounds runs counts (target < 5 s).
The searches pass `--output s3://venvbuild-bench-results/results/` with AWS_ENDPOINT_URL_S3 on a moto S3
server on 127.0.0.1, so they read each query's result file as they would on Athena. The load average is
printed beside the figures.
"""

import argparse
import json
import logging
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from venvbuild import cli
from venvbuild.query import ddl

_PYTHON = Path(__file__).resolve().parents[1] / "python"  # the tests package, for its stand-ins
_RESULTS_BUCKET = "venvbuild-bench-results"  # on the bench's own moto S3 server

# A pool like a data-science monorepo's: (name as the distribution spells it, versions).
_POOL = [
    ("kedro", ["0.18.14", "0.19.1", "0.19.9", "0.19.10", "1.0.0rc1"]),
    ("kedro-datasets", ["1.8.0", "2.1.0", "3.0.1"]),
    ("kedro-viz", ["6.7.0", "7.1.0", "9.2.0"]),
    ("pandas", ["1.3.5", "1.4.4", "1.5.3", "2.0.3", "2.1.4", "2.2.3", "3.0.0rc0"]),
    ("numpy", ["1.21.6", "1.24.4", "1.26.4", "2.0.2", "2.1.3"]),
    ("scikit_learn", ["1.0.2", "1.3.2", "1.5.2"]),
    ("scipy", ["1.9.3", "1.10.1", "1.11.4", "1.14.1"]),
    ("PyYAML", ["5.4.1", "6.0", "6.0.2"]),
    ("requests", ["2.28.2", "2.31.0", "2.32.3"]),
    ("boto3", ["1.28.0", "1.34.162", "1.35.90"]),
    ("SQLAlchemy", ["1.4.52", "2.0.36"]),
    ("pydantic", ["1.10.18", "2.9.2", "2.10.0b1"]),
]
_FILLER_VERSIONS = ["0.1.0", "0.9.2", "1.0.0", "1.2.3", "1.9.0", "1.10.0", "2.0.0", "2.11.1", "3.4.5"]
_FILLER = [(f"lib{i:03d}_{'x' if i % 3 else 'Y'}", _FILLER_VERSIONS) for i in range(400)]
_ENV_NAMES = [f"team{i:02d}-{kind}" for i in range(20) for kind in ("etl", "ml", "api")]
_PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]


def record(i: int, created: datetime, rng: random.Random, root: Path) -> dict:
    version = f"venv_{created:%Y%m%d_%H%M%S}"
    base = f"{root.as_uri()}/venv-builds/{version}"
    packages = {}
    for name, versions in rng.sample(_POOL, rng.randint(3, len(_POOL))):
        packages[name] = rng.choice(versions)
    for name, versions in rng.sample(_FILLER, rng.randint(30, 80) - len(packages)):
        packages[name] = rng.choice(versions)
    conflict_free = rng.random() > 0.1
    python = rng.choice(_PYTHONS)
    return {
        "venv_version": version,
        "created_at": f"{created:%Y-%m-%dT%H:%M:%SZ}",
        "python_version": python,
        "requirements_file": f"{base}/requirements.txt",
        "pipdeptree_output": f"{base}/pipdeptree.json",
        "venv_archive": f"{base}/{version}.tar.gz",
        "is_conflict_free": conflict_free,
        "conflicts": [] if conflict_free else ["pandas 2.2.3 requires numpy>=1.26.0, but 1.24.4 is installed"],
        "installed_packages": sorted(f"{n}=={v}" for n, v in packages.items()),
        "env_name": _ENV_NAMES[i % len(_ENV_NAMES)],
        "python_full_version": f"{python}.{rng.randint(0, 12)}",
        "python_home": "/usr/bin",
        "platform": "linux-x86_64",
        "installer": "pip",
        "archive_sha256": f"{rng.getrandbits(256):064x}",
        "archive_size": rng.randint(10_000_000, 900_000_000),
        "requirements_sha256": f"{rng.getrandbits(256):064x}",
        "venvbuild_version": "0.1.0",
        "build_url": f"https://jenkins.example/job/venv/{i}/",
        "git_commit": f"{rng.getrandbits(160):040x}",
        "conflict_details": [],
    }


def generate_store(root: Path, builds: int, seed: int = 4) -> None:
    """Write `builds` search records, about 140 a day, into root/venv-builds-metadata/dt=.../."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    step = timedelta(seconds=600)  # unique venv_version per build
    metadata_root = root / "venv-builds-metadata"
    made = set()
    for i in range(builds):
        created = start + i * step
        meta = record(i, created, rng, root)
        folder = metadata_root / f"dt={created:%Y-%m-%d}"
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        (folder / f"{meta['venv_version']}.json").write_text(json.dumps(meta, separators=(",", ":")) + "\n")


def _cpu() -> float:
    """CPU seconds of this process and its finished children (a busy machine inflates wall time)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _time(label: str, fn) -> float:
    cpu, start = _cpu(), time.perf_counter()
    fn()
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    print(f"{label:<78} {elapsed:7.3f} s wall {cpu:7.3f} s cpu", flush=True)
    return elapsed


def _in_process(argv):
    with open(os.devnull, "w") as devnull:
        saved, sys.stdout = sys.stdout, devnull
        try:
            return cli.main(argv)
        finally:
            sys.stdout = saved


def _via_cli(argv):
    subprocess.run([sys.executable, "-m", "venvbuild", *argv], check=False, stdout=subprocess.DEVNULL)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builds", type=int, default=100_000)
    parser.add_argument("--store", type=Path, help="reuse or create the store here (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary store")
    parser.add_argument("--trino", action="store_true", help="also time the searches on Trino, as Athena runs them")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each search on Trino (the median counts)")
    args = parser.parse_args(argv)

    root = args.store or Path(tempfile.mkdtemp(prefix="venvbuild-bench-")) / "store"
    try:
        if not (root / "venv-builds-metadata").is_dir():
            _time(f"generate {args.builds:,} records", lambda: generate_store(root, args.builds))
        index = root / "venv-builds-metadata" / "_index"
        shutil.rmtree(index, ignore_errors=True)
        store = ["--store", str(root)]
        searches = [
            ["search", "kedro", "--count"],
            ["search", "pandas>=1.5,<2", "--count"],
            ["search", "scikit-learn>=1.3", "numpy<2", "--conflict-free", "--python", "3.11", "--limit", "20"],
            ["search", "kedro==0.19.*", "--json"],
        ]
        _time("build the index (first search, CLI)", lambda: _via_cli(searches[0] + store))
        results = []
        for argv in searches:
            label = " ".join(argv)
            results.append(_time(f"cold, CLI:        {label}", lambda argv=argv: _via_cli(argv + store)))
            results.append(_time(f"warm, in-process: {label}", lambda argv=argv: _in_process(argv + store)))
        newest = root / "venv-builds-metadata" / "dt=2099-01-01"
        newest.mkdir()
        rng = random.Random(1)
        meta = record(0, datetime(2099, 1, 1, tzinfo=timezone.utc), rng, root)
        (newest / f"{meta['venv_version']}.json").write_text(json.dumps(meta) + "\n")
        results.append(_time("one build added, CLI: search kedro --count", lambda: _via_cli(searches[0] + store)))
        print(f"slowest search: {max(results):.3f} s (target < 1 s); load average {_load()}")
        ok = max(results) < 1.0
        if args.trino:
            ok = _bench_trino(root, searches, store, args.rounds) and ok
        return 0 if ok else 1
    finally:
        if not args.store and not args.keep:
            shutil.rmtree(root.parent, ignore_errors=True)
        elif not args.store:
            print(f"store kept at {root}")


def _bench_trino(root: Path, searches, store, rounds: int) -> bool:
    """The searches with --athena on Trino over the same records, each beside its local time. The table is
    read first as publish leaves it (one object per record: the engine's count alone, which shows the cost
    of a split per object), then `venvbuild compact` runs on the store and every search is timed on the
    compacted layout (one JSON-lines object per day), as the engine alone and through `search --athena`, after
    each search has run twice untimed (a new JVM compiles its hot paths over its first queries); the median of
    `rounds` runs of each counts."""
    sys.path.insert(0, str(_PYTHON))
    import boto3
    from moto.server import ThreadedMotoServer

    from tests._support.athena_on_trino import AthenaOnTrino
    from tests._support.trino_server import TrinoServer

    shutil.rmtree(root / "venv-builds-metadata" / "dt=2099-01-01", ignore_errors=True)  # beyond the projection's NOW
    _in_process(searches[0] + store)  # the local index catches up with that, untimed
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    work = Path(tempfile.mkdtemp(prefix="venvbuild-bench-trino-"))
    server = TrinoServer(work, warehouse=root.parent)  # local:///<name>/ is root.parent/<name>/
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    endpoint = None
    database = "bench"
    try:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs each request otherwise
        s3.start()
        s3_url = "http://{}:{}".format(*s3.get_host_and_port())
        os.environ["AWS_ENDPOINT_URL_S3"] = s3_url  # where search --athena reads the result files
        boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1").create_bucket(Bucket=_RESULTS_BUCKET)
        _time("start Trino (ready when a table scan answers)", server.start)
        endpoint = AthenaOnTrino(server.url, s3_endpoint=s3_url).start()
        client = server.client()
        client.execute(f"CREATE SCHEMA IF NOT EXISTS hive.{database}")
        location = f"local:///{root.name}/venv-builds-metadata/"
        for statement in ddl.statements(location, database, engine="trino", since="2023-01-01"):
            client.execute(statement)
        athena = [
            "--athena",
            "--database",
            database,
            "--athena-endpoint-url",
            endpoint.url,
            "--region",
            "us-east-1",
            "--timeout",
            "3600",
            "--output",
            f"s3://{_RESULTS_BUCKET}/results/",
        ]
        engine_count = _counted_search_sql(database, ["kedro"])
        _time(
            "Trino engine alone, one object per record: the search SQL for kedro, counted", lambda: client.execute(engine_count)
        )
        _time(
            "venvbuild compact (every day before today - 2, one JSON-lines object per day)", lambda: _via_cli(["compact"] + store)
        )
        _time(
            "local: the first search after compact (the index reads the compacted days again)",
            lambda: _via_cli(searches[0] + store),
        )
        # A fresh JVM compiles its hot paths over the first queries; Athena's engines are long-running.
        _time(
            "[compacted] each --athena search twice (untimed warm-up of the new JVM)",
            lambda: [_in_process(argv + athena) for argv in searches * 2],
        )
        _time("Trino engine alone, compacted: the search SQL for kedro, counted", lambda: client.execute(engine_count))
        worst = 0.0
        for argv in searches:
            text = " ".join(argv)
            _time(f"local, in-process:           {text}", lambda argv=argv: _in_process(argv + store))
            engine, remote = [], []
            for _ in range(rounds):
                engine.append(
                    _time(
                        f"Trino engine alone, counted: {text}",
                        lambda argv=argv: client.execute(_counted_search_sql(database, _specs(argv), _filters(argv))),
                    )
                )
                remote.append(_time(f"Trino --athena, compacted:   {text}", lambda argv=argv: _in_process(argv + athena)))
            print(
                f"  median of {rounds}: engine {statistics.median(engine):.3f} s, --athena {statistics.median(remote):.3f} s",
                flush=True,
            )
            worst = max(worst, statistics.median(remote))
        paged = sum(operation == "GetQueryResults" for operation, _ in endpoint.requests)
        print(f"GetQueryResults calls over all --athena searches: {paged} (0: each read its query's result file)")
        print(f"slowest search on Trino, compacted (median of {rounds}): {worst:.3f} s (target < 5 s); load average {_load()}")
        return worst < 5.0
    finally:
        if endpoint:
            endpoint.stop()
        server.stop()
        s3.stop()
        shutil.rmtree(work, ignore_errors=True)


def _specs(argv):
    """The SPECs of a `search ...` argv (what follows `search` up to the first option)."""
    specs = []
    for word in argv[1:]:
        if word.startswith("--"):
            break
        specs.append(word)
    return specs


def _filters(argv) -> dict:
    """criteria.build's keyword arguments from a search argv's filter options."""
    options = {
        "--conflict-free": ("conflict_free", None),
        "--python": ("python", 1),
        "--env-name": ("env_name", 1),
        "--since": ("since", 1),
        "--pre": ("pre", None),
    }
    found = {}
    for i, word in enumerate(argv):
        if word in options:
            name, takes = options[word]
            found[name] = argv[i + 1] if takes else True
    return found


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _counted_search_sql(database: str, specs, filters=None) -> str:
    """What `search --athena` runs, parameters bound as Athena binds them, wrapped in count(*): the engine's
    share of a search without paging its candidate rows to the client."""
    from venvbuild.query import athena, criteria

    sql, parameters = athena.search_sql(athena.target(database), criteria.build(specs, **(filters or {})))
    return "EXECUTE IMMEDIATE '" + f"SELECT count(*) FROM ({sql})".replace("'", "''") + "' USING " + ", ".join(parameters)


if __name__ == "__main__":
    sys.exit(main())
