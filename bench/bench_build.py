"""Time the design's shell script against `venvbuild build` (pip, gz) and (uv, zst), side by side.

All install bench/requirements.txt from one local wheelhouse, downloaded once into bench/.cache/.
Each contender runs cold (fresh pip and uv cache folders in every round, as on an ephemeral agent) and
warm (caches kept from an unmeasured first run). Prints each median and the ratios against the design's
script in the same state. Targets: pip+gz >= 3x faster than the design's script, uv+zst >= 10x cold.

Every timed run gets a fresh folder of its own (its work, its temporary files, its cold caches), under a bench
root marked `chattr +T` where the file system allows it. On ext4 without a journal (this project's CI disk),
creating a file in a block group that holds inodes freed in the last few minutes costs kernel time: ext4
scans past every recently freed inode for each new one. The rounds delete gigabytes of files, so without
this each contender would pay for the clean-up of the one before (a cold uv+zst build measured 3.0 s in a
fresh group and 4 to 8 s after a large delete, nearly all of the difference kernel time). +T, ext4's
"top of a directory hierarchy" hint, makes ext4 place each run's folder in a little-used block group, as on
an ephemeral agent's fresh disk. All contenders get the same treatment; the CPU seconds (user + system) of
each are printed beside its wall time, so the effect can be checked.

    python bench/bench_build.py [--rounds 3] [--python python3.11]

With --reuse, it times a reuse hit instead: `venvbuild build --reuse` of bench/requirements-locked.txt
(bench/requirements.txt with its whole closure pinned) against a local store that holds a build of it,
beside the design's script on the same requirements. Targets: under 1.5 s, at least 25x faster.
--write-lock regenerates requirements-locked.txt from a build's installed_packages.
"""

import argparse
import json
import os
import resource
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
        subprocess.run(
            [
                python,
                "-m",
                "pip",
                "download",
                "--dest",
                str(folder),
                "-r",
                str(HERE / "requirements.txt"),
                "pip",
                "pipdeptree",
                "setuptools",
            ],
            check=True,
        )
        marker.touch()
    return folder


def local_requirements(folder: Path) -> Path:
    path = CACHE / "requirements-local.txt"
    path.write_text(f"--no-index\n--find-links {folder}\n-r {HERE / 'requirements.txt'}\n")
    return path


def offline_env(folder: Path) -> dict:
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(folder), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def spread_root(parent: Path) -> Path:
    """A folder whose subfolders ext4 places in little-used block groups (chattr +T); a plain folder where
    the file system or chattr cannot."""
    root = Path(tempfile.mkdtemp(prefix="bench-build-", dir=parent))
    marked = bool(shutil.which("chattr")) and subprocess.run(["chattr", "+T", str(root)], capture_output=True).returncode == 0
    print(f"runs under {root} ({'chattr +T: each run in a little-used block group' if marked else 'chattr +T not applied'})")
    return root


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command, env=None, cwd=None, cpu=None) -> float:
    # What the contender before wrote is flushed first, untimed: no contender pays for another's writeback.
    os.sync()
    used, start = _children_cpu(), time.perf_counter()
    subprocess.run(
        command, check=True, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - start
    if cpu is not None:
        cpu.append(_children_cpu() - used)
    return elapsed


CONTENDERS = {
    "venvbuild pip+gz": [],
    "venvbuild uv+zst": ["--installer", "uv", "--compression", "zst"],
}
TARGETS = {("venvbuild pip+gz", "cold"): ">= 3x", ("venvbuild uv+zst", "cold"): ">= 10x"}


def run_round(args, root: Path, requirements: Path, env: dict, times: dict, cpu: dict, state: str) -> None:
    """One timed run of each contender, each in a fresh folder under root; cold: fresh caches there too."""
    path = f"{Path(args.python).parent}:{os.environ['PATH']}" if os.sep in args.python else os.environ["PATH"]
    commands = {"design script": ["bash", str(HERE / "design_script.sh")]}
    for label, extra in CONTENDERS.items():
        commands[label] = [
            sys.executable,
            "-m",
            "venvbuild",
            "build",
            "--requirements",
            str(requirements),
            "--env-name",
            "bench",
            "--python",
            args.python.replace("python", ""),
            *extra,
        ]
    for label, command in commands.items():
        with tempfile.TemporaryDirectory(prefix="run-", dir=root) as run:
            run = Path(run)
            for folder in ("tmp", "work"):
                (run / folder).mkdir()
            own = {
                "TMPDIR": str(run / "tmp"),
                "BENCH_WORK": str(run / "work"),
                "PATH": path,
                "BENCH_REQUIREMENTS": str(requirements),
                "BENCH_VERSION": "20250722_163000",
            }
            if state == "cold":
                own.update({"PIP_CACHE_DIR": str(run / "cache" / "pip"), "UV_CACHE_DIR": str(run / "cache" / "uv")})
            if label != "design script":
                command = [*command, "--store", str(run / "store")]
            times[(label, state)].append(timed(command, env={**env, **own}, cpu=cpu[(label, state)]))


LOCKED = HERE / "requirements-locked.txt"


def write_lock(folder: Path, minor: str, offline: dict) -> None:
    """requirements-locked.txt: every package a build of requirements.txt installed, pinned (pip aside)."""
    with tempfile.TemporaryDirectory(prefix="bench-lock-") as tmp:
        subprocess.run(
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
                minor,
                "--store",
                str(Path(tmp) / "store"),
            ],
            check=True,
            env={**os.environ, **offline},
            stdout=subprocess.DEVNULL,
        )
        [meta] = Path(tmp, "store", "venv-builds").glob("*/metadata.json")
        pins = [p for p in json.loads(meta.read_text())["installed_packages"] if not p.lower().startswith("pip==")]
    LOCKED.write_text(
        "# bench/requirements.txt with its whole closure pinned (bench_build.py --write-lock):\n"
        "# what `venvbuild build --reuse` needs to reuse a build.\n" + "".join(f"{p}\n" for p in pins)
    )
    print(f"wrote {LOCKED} ({len(pins)} pins)")


def bench_reuse(args, folder: Path, minor: str, offline: dict) -> int:
    """The design's script against a reuse hit, both on requirements-locked.txt, in one run."""
    requirements = CACHE / "requirements-locked-local.txt"
    requirements.write_text(f"--no-index\n--find-links {folder}\n-r {LOCKED}\n")
    times = {"design script": [], "venvbuild build --reuse (hit)": []}
    with tempfile.TemporaryDirectory(prefix="bench-reuse-") as tmp:
        tmp = Path(tmp)
        build = [
            sys.executable,
            "-m",
            "venvbuild",
            "build",
            "--requirements",
            str(requirements),
            "--env-name",
            "bench",
            "--python",
            minor,
            "--store",
            str(tmp / "store"),
            "--reuse",
        ]
        subprocess.run(build, check=True, env={**os.environ, **offline}, stdout=subprocess.DEVNULL)  # the build to reuse
        for round_ in range(args.rounds):
            design = tmp / f"design-{round_}"
            design.mkdir()
            times["design script"].append(
                timed(
                    ["bash", str(HERE / "design_script.sh")],
                    env={
                        **offline,
                        "BENCH_WORK": str(design),
                        "BENCH_REQUIREMENTS": str(requirements),
                        "BENCH_VERSION": "20250722_163000",
                    },
                )
            )
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
    print(
        f"design script {design_s:.2f}s, reuse hit {hit_s:.2f}s (target < 1.5 s): "
        f"reuse ratio {design_s / hit_s:.1f}x (target >= 25x); builds in the store: {builds} (expected 1)"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--python",
        default=f"python{sys.version_info[0]}.{sys.version_info[1]}",
        help="the interpreter for all of them (the design's script needs setuptools' pkg_resources)",
    )
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
    cpu = {key: [] for key in times}
    root = spread_root(Path(tempfile.gettempdir()))
    try:
        caches = root / "warm-caches"
        warm = {**offline_env(folder), "PIP_CACHE_DIR": f"{caches}/pip", "UV_CACHE_DIR": f"{caches}/uv"}
        run_round(args, root, requirements, warm, {k: [] for k in times}, {k: [] for k in times}, "warm")  # fills them
        for round_ in range(args.rounds):
            run_round(args, root, requirements, offline_env(folder), times, cpu, "cold")
            run_round(args, root, requirements, warm, times, cpu, "warm")
            print(f"round {round_ + 1}: " + ", ".join(f"{k[0]} {k[1]} {v[-1]:.1f}s" for k, v in times.items()), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    medians = {k: statistics.median(v) for k, v in times.items()}
    print()
    print(f"{'contender':<20} {'cache':<5} {'median':>8} {'cpu':>7} {'speed-up':>9}  target")
    for state in ("cold", "warm"):
        base = medians[("design script", state)]
        for label in labels:
            value = medians[(label, state)]
            print(
                f"{label:<20} {state:<5} {value:>7.1f}s {statistics.median(cpu[(label, state)]):>6.1f}s "
                f"{base / value:>8.1f}x  {TARGETS.get((label, state), '')}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
