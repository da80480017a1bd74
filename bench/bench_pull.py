"""Time `venvbuild pull` against a plain `tar -xf` of the same archive, side by side.

Builds bench/requirements.txt once (pip, gz; from the wheelhouse bench_build.py downloads into
bench/.cache/) into a local store, then in each round extracts the archive with tar and pulls it with
venvbuild (a new process: download check, sha256, safe extraction, relocation, receipt) into fresh
folders. Prints the medians and the ratio. Target: pull at most 2x tar.

    python bench/bench_pull.py [--rounds 5] [--compression gz|zst]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import local_requirements, offline_env, wheelhouse  # noqa: E402


def timed(command) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compression", choices=("gz", "zst"), default="gz")
    parser.add_argument("--python", default=f"python{sys.version_info[0]}.{sys.version_info[1]}")
    args = parser.parse_args()
    folder = wheelhouse(args.python)
    with tempfile.TemporaryDirectory(prefix="bench-pull-") as tmp:
        tmp = Path(tmp)
        store = tmp / "store"
        built = subprocess.run(
            [
                sys.executable,
                "-m",
                "venvbuild",
                "build",
                "--requirements",
                str(local_requirements(folder)),
                "--env-name",
                "bench",
                "--python",
                args.python.replace("python", ""),
                "--store",
                str(store),
                "--compression",
                args.compression,
                "--work-dir",
                str(tmp / "work"),
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **offline_env(folder)},
        )
        meta = json.loads((tmp / "work" / "artifacts" / "metadata.json").read_text())
        version = meta["venv_version"]
        archive = store / "venv-builds" / version / f"{version}.tar.{args.compression}"
        tar_flag = "-xzf" if args.compression == "gz" else "--zstd -xf"
        print(f"{version}: {meta['archive_size'] / 1e6:.0f} MB archive, {len(meta['installed_packages'])} packages", flush=True)
        del built
        times = {"tar -xf": [], "venvbuild pull": []}
        for round_ in range(args.rounds):
            plain, pulled = tmp / f"tar-{round_}", tmp / f"pull-{round_}"
            plain.mkdir()
            times["tar -xf"].append(timed(["tar", *tar_flag.split(), str(archive), "-C", str(plain)]))
            times["venvbuild pull"].append(
                timed([sys.executable, "-m", "venvbuild", "pull", version, "--store", str(store), "--dest", str(pulled)])
            )
            shutil.rmtree(plain)
            shutil.rmtree(pulled)
            print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()), flush=True)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print()
    print(f"{'contender':<16} {'median':>8}")
    for label, value in medians.items():
        print(f"{label:<16} {value:>7.2f}s")
    print(f"pull / tar: {medians['venvbuild pull'] / medians['tar -xf']:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
