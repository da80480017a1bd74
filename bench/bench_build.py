"""Time the design's shell script against `venvbuild build` (pip, gz) and (uv, zst), side by side.

All three install bench/requirements.txt from one local wheelhouse, downloaded once into
bench/.cache/. Prints each median and the ratios. Targets: pip mode >= 2x faster than the design's
script, uv+zst >= 10x.

    python bench/bench_build.py [--rounds 3] [--python python3.11]
"""

import argparse
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


def timed(command, env=None, cwd=None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, **(env or {})}, cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--python", default=f"python{sys.version_info[0]}.{sys.version_info[1]}",
                        help="the interpreter for all three (the design's script needs setuptools' pkg_resources)")
    args = parser.parse_args()
    minor = args.python.replace("python", "")
    folder = wheelhouse(args.python)
    requirements = local_requirements(folder)
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(folder), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    times = {"design script": [], "venvbuild pip+gz": [], "venvbuild uv+zst": []}
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
            tmp = Path(tmp)
            design = tmp / "design"
            design.mkdir()
            times["design script"].append(timed(
                ["bash", str(HERE / "design_script.sh")],
                env={**offline, "BENCH_WORK": str(design), "BENCH_REQUIREMENTS": str(requirements),
                     "BENCH_VERSION": "20250722_163000", "PATH": f"{Path(args.python).parent}:{os.environ['PATH']}"
                     if os.sep in args.python else os.environ["PATH"]},
            ))
            for label, extra in (("venvbuild pip+gz", []), ("venvbuild uv+zst", ["--installer", "uv", "--compression", "zst"])):
                times[label].append(timed(
                    [sys.executable, "-m", "venvbuild", "build", "--requirements", str(requirements), "--env-name",
                     "bench", "--python", minor, "--store", str(tmp / "store"), *extra],
                    env=offline,
                ))
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()), flush=True)

    medians = {k: statistics.median(v) for k, v in times.items()}
    base = medians["design script"]
    print()
    print(f"{'contender':<20} {'median':>8} {'speed-up':>9}  target")
    for label, target in (("design script", ""), ("venvbuild pip+gz", ">= 2x"), ("venvbuild uv+zst", ">= 10x")):
        print(f"{label:<20} {medians[label]:>7.1f}s {base / medians[label]:>8.1f}x  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
