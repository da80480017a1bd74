"""Benchmark `venvbuild catalog` over a local store of many builds (default 10,000), and its index page in
Debian's headless Chromium.

    python bench/bench_catalog.py [--builds N] [--keep]

Writes the builds' search records, metadata.json and pipdeptree.json (30-80 packages each, bench_search's
pool) straight into a store, then times, side by side:
  - the catalog written from scratch (a new process, as a user runs it): target under 60 s;
  - the catalog brought up to date after one more build (only what changed is written);
  - the index page in Chromium, from navigation start until its table is filled (target under 2 s), and a
    search typed into it, against the same search through the `venvbuild search` command.
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))  # the tests package

from bench_search import record  # noqa: E402  the same builds as the search benchmark

from tests._support.browser import Chromium, StaticServer, chromium_path  # noqa: E402

QUERY = "pandas>=2,<3"


def tree_of(packages: list, rng: random.Random) -> list:
    """A pipdeptree JSON tree: each package requires up to three of the ones before it."""
    entries = []
    for n, pin in enumerate(packages):
        name, _, version = pin.partition("==")
        deps = rng.sample(packages[:n], min(n, rng.randint(0, 3)))
        entries.append(
            {
                "package": {"key": name.lower(), "package_name": name, "installed_version": version},
                "dependencies": [
                    {
                        "key": d.partition("==")[0].lower(),
                        "package_name": d.partition("==")[0],
                        "installed_version": d.partition("==")[2],
                        "required_version": None,
                    }
                    for d in deps
                ],
            }
        )
    return entries


def write_build(store: Path, i: int, created: datetime, rng: random.Random) -> str:
    meta = record(i, created, rng, store)
    version = meta["venv_version"]
    folder = store / "venv-builds" / version
    folder.mkdir(parents=True)
    line = json.dumps(meta, separators=(",", ":")) + "\n"
    (folder / "metadata.json").write_text(line)
    (folder / "pipdeptree.json").write_text(json.dumps(tree_of(meta["installed_packages"], rng)))
    partition = store / "venv-builds-metadata" / f"dt={meta['created_at'][:10]}"
    partition.mkdir(parents=True, exist_ok=True)
    (partition / f"{version}.json").write_text(line)
    return version


def timed(command: list):
    """(wall seconds, CPU seconds) of a command in a new process; CPU time tells the code's cost apart from
    waiting for a busy machine's cores."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return elapsed, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builds", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the store and site (printed) afterwards")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="venvbuild-bench-catalog-"))
    store, site = work / "store", work / "site"
    rng = random.Random(13)
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    began = time.perf_counter()
    for i in range(args.builds):
        write_build(store, i, start + timedelta(minutes=7 * i), rng)
    print(f"store: {args.builds:,} builds written in {time.perf_counter() - began:.1f} s ({store})")

    catalog = [sys.executable, "-m", "venvbuild", "catalog", "--store", str(store), "--out", str(site)]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    full, full_cpu = timed(catalog)
    files = sum(1 for p in site.rglob("*") if p.is_file())
    print(f"catalog from scratch:          {full:6.1f} s  (CPU {full_cpu:.1f} s; {files:,} files; target < 60 s)")
    write_build(store, args.builds, start + timedelta(minutes=7 * args.builds), rng)
    incremental, incremental_cpu = timed(catalog)
    print(f"catalog after one more build:  {incremental:6.1f} s  (CPU {incremental_cpu:.1f} s; only changed files written)")

    search = [sys.executable, "-m", "venvbuild", "search", QUERY, "--count", "--store", str(store)]
    timed(search)  # the first search builds the store's index
    cli_search = timed(search)[0]
    if not chromium_path():
        print("index page: chromium not installed, skipped")
    else:
        server = StaticServer(site)
        browser = Chromium(work / "profile", timeout=120)
        try:
            loads = []
            for _ in range(3):
                browser.navigate("about:blank")
                browser.navigate(server.url + "index.html")
                loads.append(browser.wait_for("window.venvbuildCatalogReady") / 1000)
            searched = browser.evaluate(f"""(function () {{
                var q = document.getElementById("q"), started = performance.now();
                q.value = {json.dumps(QUERY)};
                q.dispatchEvent(new Event("input"));
                return [performance.now() - started, document.getElementById("status").textContent];
            }})()""")
            size = (site / "data" / "index.js").stat().st_size
            print(
                f"index page usable (median of 3): {sorted(loads)[1]:5.2f} s  (data/index.js {size / 1e6:.1f} MB; target < 2 s)"
            )
            print(f"search {QUERY!r} in the page:  {searched[0] / 1000:5.2f} s  ({searched[1]})")
            print(f"same search, venvbuild search: {cli_search:5.2f} s  (a new process, the index already built)")
            if browser.errors:
                print(f"JavaScript errors: {browser.errors}")
        finally:
            browser.close()
            server.close()
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
