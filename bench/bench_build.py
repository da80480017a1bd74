"""Time the design's shell script against `venvbuild build` (pip, gz) and (uv, zst), side by side.

All install bench/requirements.txt from one local wheelhouse, downloaded once into bench/.cache/.
Each contender runs cold (fresh pip and uv cache folders in every round, as on an ephemeral agent) and
warm (caches kept from an unmeasured first run). Prints each median and the ratios against the design's
script in the same state. Targets: pip+gz >= 3x faster than the design's script, uv+zst >= 10x cold.

    python bench/bench_build.py [--rounds 3] [--python python3.11]

With --reuse, it times a reuse hit instead: `venvbuild build --reuse` of bench/requirements-locked.txt
(bench/requirements.txt with its whole closure pinned) against a local store that holds a build of it,
beside the design's script on the same requirements. Targets: under 1.5 s, at least 25x faster.
--write-lock regenerates requirements-locked.txt from a build's installed_packages.
"""

import argparse
import json
import os
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
    # What the contender before wrote is flushed first, untimed: no contender pays for another's writeback.
    os.sync()
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


LOCKED = HERE / "requirements-locked.txt"


def write_lock(folder: Path, minor: str, offline: dict) -> None:
    """requirements-locked.txt: every package a build of requirements.txt installed, pinned (pip aside)."""
    with tempfile.TemporaryDirectory(prefix="bench-lock-") as tmp:
        subprocess.run([sys.executable, "-m", "venvbuild", "build", "--requirements", str(local_requirements(folder)),
                        "--env-name", "bench", "--python", minor, "--store", str(Path(tmp) / "store")],
                       check=True, env={**os.environ, **offline}, stdout=subprocess.DEVNULL)
        [meta] = Path(tmp, "store", "venv-builds").glob("*/metadata.json")
        pins = [p for p in json.loads(meta.read_text())["installed_packages"] if not p.lower().startswith("pip==")]
    LOCKED.write_text("# bench/requirements.txt with its whole closure pinned (bench_build.py --write-lock):\n"
                      "# what `venvbuild build --reuse` needs to reuse a build.\n" + "".join(f"{p}\n" for p in pins))
    print(f"wrote {LOCKED} ({len(pins)} pins)")


def bench_reuse(args, folder: Path, minor: str, offline: dict) -> int:
    """The design's script against a reuse hit, both on requirements-locked.txt, in one run."""
    requirements = CACHE / "requirements-locked-local.txt"
    requirements.write_text(f"--no-index\n--find-links {folder}\n-r {LOCKED}\n")
    times = {"design script": [], "venvbuild build --reuse (hit)": []}
    with tempfile.TemporaryDirectory(prefix="bench-reuse-") as tmp:
        tmp = Path(tmp)
        build = [sys.executable, "-m", "venvbuild", "build", "--requirements", str(requirements), "--env-name", "bench",
                 "--python", minor, "--store", str(tmp / "store"), "--reuse"]
        subprocess.run(build, check=True, env={**os.environ, **offline}, stdout=subprocess.DEVNULL)  # the build to reuse
        for round_ in range(args.rounds):
            design = tmp / f"design-{round_}"
            design.mkdir()
            times["design script"].append(timed(
                ["bash", str(HERE / "design_script.sh")],
                env={**offline, "BENCH_WORK": str(design), "BENCH_REQUIREMENTS": str(requirements),
                     "BENCH_VERSION": "20250722_163000"},
            ))
            start = time.perf_counter()
            hit = subprocess.run(build, env={**os.environ, **offline}, capture_output=True, text=True)
            times["venvbuild build --reuse (hit)"].append(time.perf_counter() - start)
            if hit.returncode != 0 or "reused venv_" not in hit.stdout:
                print(f"not a reuse hit:\n{hit.stdout}{hit.stderr}", file=sys.stderr)
                return 1
            print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()), flush=True)
        builds = len(list((tmp / "store" / "venv-builds").iterdir()))
    medians = {k: statistics.median(v) for k, v in times.items()}
    design_s, hit_s = medians["design script"], medians["venvbuild build --reuse (hit)"]
    print()
    print(f"design script {design_s:.2f}s, reuse hit {hit_s:.2f}s (target < 1.5 s): "
          f"reuse ratio {design_s / hit_s:.1f}x (target >= 25x); builds in the store: {builds} (expected 1)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--python", default=f"python{sys.version_info[0]}.{sys.version_info[1]}",
                        help="the interpreter for all of them (the design's script needs setuptools' pkg_resources)")
    parser.add_argument("--reuse", action="store_true", help="time a reuse hit against the design's script instead")
    parser.add_argument("--write-lock", action="store_true", help="regenerate bench/requirements-locked.txt and stop")
    args = parser.parse_args()
    folder = wheelhouse(args.python)
    requirements = local_requirements(folder)
    if args.write_lock:
        write_lock(folder, args.python.replace("python", ""), offline_env(folder))
        return 0
    if args.reuse:
        return bench_reuse(args, folder, args.python.replace("python", ""), offline_env(folder))
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
