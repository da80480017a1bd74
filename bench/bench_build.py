"""Time the design's shell script against `venvbuild build` (pip, gz) and (uv, zst), side by side.

All install bench/requirements.txt from one local wheelhouse, downloaded once into bench/.cache/.
Each contender runs cold (fresh pip and uv cache folders in every round, as on an ephemeral agent) and
warm (caches kept from an unmeasured first run). Prints each median and the ratios against the design's
script in the same state. Targets: pip+gz >= 3x faster than the design's script, uv+zst >= 10x cold.

    python bench/bench_build.py [--rounds 3] [--python python3.11]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"


def wheelhouse(python: str) -> Path:
    folder = CACHE / "wheelhouse"
    marker = folder / ".complete"
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        # What the three contenders install: the requirements, and what the design's script adds.
        subprocess.run([python, "-m", "pip", "download", "--dest", str(folder), "-r", str(HERE / "requirements.txt"),
                        "pip", "pipdeptree", "setuptools"], check=True)
        marker.touch()
    return folder


def local_requirements(folder: Path) -> Path:
    path = CACHE / "requirements-local.txt"
    path.write_text(f"--no-index\n--find-links {folder}\n-r {HERE / 'requirements.txt'}\n")
    return path


def offline_env(folder: Path) -> dict:
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(folder), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def timed(command, env=None, cwd=None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, **(env or {})}, cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


CONTENDERS = {
    "venvbuild pip+gz": [],
    "venvbuild uv+zst": ["--installer", "uv", "--compression", "zst"],
}
TARGETS = {("venvbuild pip+gz", "cold"): ">= 3x", ("venvbuild uv+zst", "cold"): ">= 10x"}


def run_round(args, requirements: Path, env: dict, times: dict, state: str) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        tmp = Path(tmp)
        design = tmp / "design"
        design.mkdir()
        path = f"{Path(args.python).parent}:{os.environ['PATH']}" if os.sep in args.python else os.environ["PATH"]
        times[("design script", state)].append(timed(
            ["bash", str(HERE / "design_script.sh")],
            env={**env, "BENCH_WORK": str(design), "BENCH_REQUIREMENTS": str(requirements),
                 "BENCH_VERSION": "20250722_163000", "PATH": path},
        ))
        for label, extra in CONTENDERS.items():
            times[(label, state)].append(timed(
                [sys.executable, "-m", "venvbuild", "build", "--requirements", str(requirements), "--env-name",
                 "bench", "--python", args.python.replace("python", ""), "--store", str(tmp / "store"), *extra],
                env=env,
            ))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--python", default=f"python{sys.version_info[0]}.{sys.version_info[1]}",
                        help="the interpreter for all of them (the design's script needs setuptools' pkg_resources)")
    args = parser.parse_args()
    folder = wheelhouse(args.python)
    requirements = local_requirements(folder)
    labels = ["design script", *CONTENDERS]
    times = {(label, state): [] for state in ("cold", "warm") for label in labels}
    with tempfile.TemporaryDirectory(prefix="bench-caches-") as caches:
        warm = {**offline_env(folder), "PIP_CACHE_DIR": f"{caches}/pip", "UV_CACHE_DIR": f"{caches}/uv"}
        run_round(args, requirements, warm, {k: [] for k in times}, "warm")  # fills the warm caches
        for round_ in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="bench-cold-") as cold:
                cold_env = {**offline_env(folder), "PIP_CACHE_DIR": f"{cold}/pip", "UV_CACHE_DIR": f"{cold}/uv"}
                run_round(args, requirements, cold_env, times, "cold")
            run_round(args, requirements, warm, times, "warm")
            print(f"round {round_ + 1}: " + ", ".join(f"{k[0]} {k[1]} {v[-1]:.1f}s" for k, v in times.items()),
                  flush=True)

    medians = {k: statistics.median(v) for k, v in times.items()}
    print()
    print(f"{'contender':<20} {'cache':<5} {'median':>8} {'speed-up':>9}  target")
    for state in ("cold", "warm"):
        base = medians[("design script", state)]
        for label in labels:
            value = medians[(label, state)]
            print(f"{label:<20} {state:<5} {value:>7.1f}s {base / value:>8.1f}x  {TARGETS.get((label, state), '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
