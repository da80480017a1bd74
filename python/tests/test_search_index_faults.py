"""The local search index under faults: damaged files, stores named *lock*,
searches and reindexes in concurrent processes, records that do not match the schema."""

import json
import subprocess
import sys
import textwrap

import pytest

from tests._support import processes, records
from tests._support.records import make_metadata
from venvbuild.cli import main
from venvbuild.query import local_index

PACKAGES = ["kedro==0.19.1", "numpy==1.26.4"]


def write_record(store, version, **fields):
    return records.write_record(store, version, **{"installed_packages": PACKAGES, **fields})


def make_store(root, records=40):
    for i in range(records):
        write_record(root, f"venv_202501{1 + i // 10:02d}_10{i % 10:02d}00")
    return root


def venvbuild(*args, timeout=60):
    """A real `venvbuild` process; a timeout that expires is a hang (the old lock wait was 120 s)."""
    return processes.venvbuild(*args, timeout=timeout)


def corrupt_blocks(path):
    """Flip bytes in every data block after DuckDB's headers: its block checksums fail ('... in block')."""
    data = bytearray(path.read_bytes())
    for offset in range(3 * 4096, len(data), 512):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


# A damaged or locked index.
@pytest.mark.parametrize("folder", ["store", "blockstore"])
@pytest.mark.parametrize("damage", ["corrupt blocks", "garbage", "truncated"])
def test_a_damaged_index_is_rebuilt_at_once_whatever_the_store_is_called(tmp_path, folder, damage):
    store = make_store(tmp_path / "srv" / folder)
    assert venvbuild("search", "kedro", "--count", "--store", store).stdout == "40\n"
    index = local_index.index_path(store / "venv-builds-metadata")
    if damage == "corrupt blocks":
        corrupt_blocks(index)
    elif damage == "garbage":
        index.write_bytes(b"garbage" * 1000)
    else:
        index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])

    done = venvbuild("search", "kedro", "--count", "--store", store)

    assert (done.returncode, done.stdout) == (0, "40\n"), done.stderr
    assert "waiting" not in done.stderr and "in memory" not in done.stderr
    again = venvbuild("search", "numpy", "--count", "--store", store)
    assert (again.returncode, again.stdout, again.stderr) == (0, "40\n", ""), "rebuilt on disk, read as is next time"


def test_an_index_locked_by_another_process_does_not_stop_a_search(tmp_path):
    """An older venvbuild, or someone's duckdb shell, holding the index open for writing."""
    store = make_store(tmp_path / "store")
    assert venvbuild("search", "kedro", "--count", "--store", store).returncode == 0
    index = local_index.index_path(store / "venv-builds-metadata")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(60)",
            str(index),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        write_record(store, "venv_20250301_100000")  # a new record: the index must be refreshed, not just read

        done = venvbuild("search", "kedro", "--count", "--store", store)

        assert (done.returncode, done.stdout) == (0, "41\n"), done.stderr
    finally:
        holder.kill()
        processes.wait(holder, 60)


# Concurrent searches, reindexes and publishes.
WORKER = textwrap.dedent("""
    import sys
    from venvbuild.cli import main
    rounds, argv = int(sys.argv[1]), sys.argv[2:]
    codes = [main(argv) for _ in range(rounds)]
    print("CODES", *codes, flush=True)
""")


def test_concurrent_searches_reindexes_and_publishes_never_fail(tmp_path):
    store = make_store(tmp_path / "store", records=200)

    def worker(rounds, *argv):
        return subprocess.Popen(
            [sys.executable, "-c", WORKER, str(rounds), *map(str, argv)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    workers = [worker(25, "search", "kedro", "--count", "--store", store) for _ in range(3)]
    workers += [worker(10, "search", "numpy", "--count", "--reindex", "--store", store) for _ in range(2)]
    workers += [worker(10, "sql", "SELECT count(*) FROM venv_builds_metadata", "--store", store)]
    # New records meanwhile, so that searches also refresh the index, not only read it.
    for i in range(30):
        write_record(store, f"venv_20250401_10{i:02d}00")
    results = [(w.wait(timeout=600), *w.communicate()) for w in workers]

    for code, out, err in results:
        assert code == 0, err
        codes = out.splitlines()[-1].split()
        assert codes[0] == "CODES" and set(codes[1:]) == {"0"}, err
        counts = [int(line) for line in out.splitlines()[:-1] if line.isdigit()]
        assert counts and all(200 <= c <= 230 for c in counts), out
    final = venvbuild("search", "kedro", "--count", "--store", store)
    assert final.stdout == "230\n"
    leftovers = [p.name for p in (store / "venv-builds-metadata" / "_index").iterdir()]
    assert leftovers == [local_index.INDEX_FILE], "no half-built index left behind"


# Records that do not match the schema.
BAD_RECORDS = {
    "empty": ("", "empty file"),
    "empty-object": ("{}", "does not match metadata.schema.json: (top): 'venv_version' is a required property"),
    "wrong-types": (None, "does not match metadata.schema.json: archive_size: '12' is not of type 'integer'"),
    "not-an-object": ("[1, 2]", "not a JSON object"),
    "two-objects": (None, "not valid JSON (Extra data: line 2 column 1"),
}


def test_records_that_do_not_match_the_schema_are_skipped_with_a_warning_naming_each(tmp_path, capsys):
    store = make_store(tmp_path / "store", records=5)
    partition = store / "venv-builds-metadata" / "dt=2025-03-01"
    partition.mkdir()
    good = make_metadata("venv_20250301_100000", installed_packages=PACKAGES)
    bad_paths = {}
    for i, (name, (text, _)) in enumerate(sorted(BAD_RECORDS.items())):
        if name == "wrong-types":
            text = json.dumps({**good, "archive_size": "12"})
        elif name == "two-objects":
            text = json.dumps(good) + "\n" + json.dumps(good)
        bad_paths[name] = partition / f"venv_20250301_1100{i:02d}.json"
        bad_paths[name].write_text(text)

    for _ in range(2):  # indexing, then reading the index: the warnings stay until the files are dealt with
        code = main(["search", "kedro", "--count", "--store", str(store)])
        out, err = capsys.readouterr()
        assert (code, out) == (0, "5\n")
        warnings = err.splitlines()
        assert len(warnings) == len(BAD_RECORDS), err
        for name, (_, reason) in BAD_RECORDS.items():
            [line] = [w for w in warnings if str(bad_paths[name]) + " skipped" in w]
            assert line.startswith("venvbuild: warning: search record ") and reason in line, line

    code = main(
        ["sql", "SELECT count(*) AS n, count(venv_version) AS named FROM venv_builds_metadata", "--json", "--store", str(store)]
    )
    assert (code, json.loads(capsys.readouterr().out)) == (0, {"n": 5, "named": 5}), "no all-NULL rows"

    for path in bad_paths.values():
        path.unlink()
    code = main(["search", "kedro", "--count", "--store", str(store)])
    assert (code, *capsys.readouterr()) == (0, "5\n", "")
