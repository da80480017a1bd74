"""Upload throughput to a local S3 server: venvbuild's S3Store.put_new vs a plain boto3 upload_file.

    python bench/bench_upload.py [--size-mb 200] [--rounds 5]

Starts moto's S3 server on 127.0.0.1 in its own process (so it does not share the client's GIL),
writes a random file, then uploads it in alternating order with
both, deleting each object afterwards. put_new does more than upload_file (a create-only condition,
a SHA-256 per part, the whole file's sha256 as metadata), so its time is the cost of those guarantees;
the target is within 10% of upload_file. The whole-file sha256 that publish computes once per file is
timed separately. Absolute numbers measure moto as much as the client: compare the ratio.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

import boto3  # noqa: E402

from venvbuild._util.checksum import sha256_file  # noqa: E402
from venvbuild.store.s3 import S3Store  # noqa: E402

BUCKET = "bench-upload"


def timed(action) -> tuple:
    """Wall seconds, and the client's CPU seconds (all threads; moto runs in its own process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def start_moto() -> tuple:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("moto server did not start") from None
            time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_MAX_ATTEMPTS"):
        os.environ.pop(name, None)
    server, endpoint = start_moto()
    try:
        plain = boto3.client("s3", endpoint_url=endpoint)
        plain.create_bucket(Bucket=BUCKET)
        store = S3Store(BUCKET, "bench", endpoint_url=endpoint)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "archive.tar.gz"
            with open(path, "wb") as out:
                for _ in range(args.size_mb):
                    out.write(os.urandom(1024 * 1024))
            sha_seconds = timed(lambda: sha256_file(path))[0]
            sha = sha256_file(path)

            sha256_args = {"ChecksumAlgorithm": "SHA256"}
            contenders = {
                "venvbuild S3Store.put_new": lambda k: store.put_new(k, path, sha),
                "boto3 upload_file": lambda k: plain.upload_file(str(path), BUCKET, k),
                "boto3 upload_file SHA256": lambda k: plain.upload_file(str(path), BUCKET, k, ExtraArgs=sha256_args),
            }
            times = {name: [] for name in contenders}
            for n in range(args.rounds):
                order = list(contenders)
                order = order[n % len(order) :] + order[: n % len(order)]  # rotate, so no one always goes first
                for name in order:
                    key = f"bench/{n}-{name.replace(' ', '-')}.tar.gz"
                    times[name].append(timed(lambda name=name, key=key: contenders[name](key)))
                    plain.delete_object(Bucket=BUCKET, Key=key)
                print(f"round {n + 1}: " + "  ".join(f"{k} {v[-1][0]:.2f}s" for k, v in times.items()), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)

    mb = args.size_mb
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in times.items()}
    print(f"file: {mb} MB, {args.rounds} rounds, moto server at {endpoint}")
    for name in times:
        print(f"{name:28s}: median {wall[name]:.2f}s  ({mb / wall[name]:.0f} MB/s), client cpu {cpu[name]:.2f}s")
    ours, plain_default = wall["venvbuild S3Store.put_new"], wall["boto3 upload_file"]
    print(f"ratio venvbuild / boto3 upload_file        : {ours / plain_default:.3f} wall (target <= 1.10)")
    print(f"ratio venvbuild / boto3 upload_file SHA256 : {ours / wall['boto3 upload_file SHA256']:.3f} wall")
    print(f"whole-file sha256 (once per file in publish): {sha_seconds:.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
