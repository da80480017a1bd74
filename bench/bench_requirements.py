"""Benchmark the pin gate on large requirements files, beside pip's own reader of the same files.

    python bench/bench_requirements.py [--size-mb 5]

Writes two files of about SIZE MB: every line a different package (`pkgN==1.M.0`), and one pin repeated
with a `--hash` (a lock file's shape). Each is read in a fresh process by `venvbuild check-pins` and by
pip's parser (parse_requirements and install_req_from_parsed_requirement, what `pip install -r` runs
before resolving), printing wall seconds and peak memory (VmHWM) next to the file's size. The
goal: time and memory grow no faster than the file, memory within a few times its size. pip's reader
takes about half a millisecond of CPU a line, so the default size is 5 MB (a 50 MB file keeps pip busy for
half an hour).
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PIP_READER = (
    "import sys\n"
    "from pip._internal.network.session import PipSession\n"
    "from pip._internal.req.req_file import parse_requirements\n"
    "from pip._internal.req.constructors import install_req_from_parsed_requirement\n"
    "for parsed in parse_requirements(sys.argv[1], session=PipSession()):\n"
    "    install_req_from_parsed_requirement(parsed)\n"
)
OUR_READER = "import sys\nfrom venvbuild.build.requirements_gate import check_pins\ncheck_pins(sys.argv[1])\n"
# The process's own peak RSS (ru_maxrss would carry over the parent's across exec).
PEAK = "\nprint([line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')][0])\n"


def write_files(folder: Path, size: int):
    distinct, repeated = folder / "distinct.txt", folder / "repeated.txt"
    line = "pandas==1.5.3 --hash=sha256:" + "0" * 64 + "\n"
    with open(distinct, "w") as out:
        i = 0
        while out.tell() < size:
            out.write("".join(f"pkg{n}==1.{n % 50}.0\n" for n in range(i, i + 10000)))
            i += 10000
    with open(repeated, "w") as out:
        while out.tell() < size:
            out.write(line * 10000)
    return distinct, repeated


def run(code: str, path: Path):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code + PEAK, str(path)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        return seconds, None, done.stderr.strip().splitlines()[-1]
    return seconds, int(done.stdout.split()[-1]) * 1024, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=5)
    args = parser.parse_args()
    readers = (("venvbuild check-pins", OUR_READER), ("pip's reader", PIP_READER))
    with tempfile.TemporaryDirectory() as tmp:
        one_line = Path(tmp) / "one.txt"
        one_line.write_text("pandas==1.5.3\n")
        # Memory is counted above each reader's own peak on a one-line file (the interpreter and its imports).
        base = {label: run(code, one_line)[1] or 0 for label, code in readers}
        for path in write_files(Path(tmp), int(args.size_mb * 1024 * 1024)):
            size = path.stat().st_size
            with open(path) as lines:
                count = sum(1 for _ in lines)
            print(f"{path.name}: {size / 1e6:.1f} MB, {count:,} lines")
            for label, code in readers:
                seconds, peak, error = run(code, path)
                grown = (peak or 0) - base[label]
                shown = f"{grown / 1e6:8.1f} MB more memory ({grown / size:4.1f}x the file)" if peak else f"failed: {error}"
                print(f"  {label:22s} {seconds:7.1f} s  {shown}")


if __name__ == "__main__":
    main()
