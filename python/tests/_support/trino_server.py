"""A real Trino (the engine under Athena engine 3) for the tests and the benchmark, on 127.0.0.1.

    PYTHONPATH=python python -m tests._support.trino_server prepare    # what .ci/run does: find Java 24+, fetch and unpack Trino

Trino 476's server tarball comes from Maven Central through `mvn` into a cache outside the repository
($VENVBUILD_TRINO_CACHE, default ~/.cache/venvbuild-trino; the download is 821 MB, once). It needs
Java 24 or later, looked for among $VENVBUILD_JAVA, $JAVA_HOME, `java` on PATH and /usr/lib/jvm/*.

TrinoServer runs one coordinator that is its own worker, bound to 127.0.0.1, with only the Hive
plugin loaded and one catalog, `hive`: the file metastore and the native local file system over one
folder (`local:///...` locations), heap 1 GB, and hive.ignore-absent-partitions so that a projected
day with no folder reads as no rows, as Athena does. It is ready when a real table scan answers (the
first scans fail with "No nodes available" for a few seconds after the server says it started), and
it is stopped by its PID.
"""

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from tests._support.trino_client import TrinoClient, TrinoError

VERSION = "476"
ARTIFACT = f"io.trino:trino-server:{VERSION}:tar.gz"
MIN_JAVA = 24
HEAP = "1G"
FETCH_TIMEOUT_S = 1800.0  # the 821 MB tarball, once
READY_TIMEOUT_S = 240.0  # 13-16 s on an idle 2-core machine; a machine shared with builds can take minutes


class Unavailable(Exception):
    """Trino cannot run here: one line saying why and what to do."""


def cache_dir() -> Path:
    return Path(os.environ.get("VENVBUILD_TRINO_CACHE") or Path.home() / ".cache" / "venvbuild-trino")


def server_home() -> Path:
    return cache_dir() / f"trino-server-{VERSION}"


def java_major(java: str):
    """The major version `java -version` reports (17, 25, ...), or None if it does not run."""
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2)) if major == 1 else major  # "1.8.0" is Java 8


def find_java() -> str:
    """The newest java of version MIN_JAVA or later among the usual places; Unavailable if none."""
    candidates = []
    for home in (os.environ.get("VENVBUILD_JAVA"), os.environ.get("JAVA_HOME")):
        if home:
            candidates.append(home if home.endswith("java") and os.path.isfile(home) else os.path.join(home, "bin", "java"))
    if shutil.which("java"):
        candidates.append(shutil.which("java"))
    candidates += sorted(glob.glob("/usr/lib/jvm/*/bin/java"))
    seen, found = set(), []
    for java in candidates:
        real = os.path.realpath(java)
        if real in seen or not os.access(real, os.X_OK):
            continue
        seen.add(real)
        major = java_major(real)
        if major is not None:
            found.append((major, real))
    good = [f for f in found if f[0] >= MIN_JAVA]
    if not good:
        have = ", ".join(f"{path} is {major}" for major, path in found) or "no java found"
        raise Unavailable(
            f"Trino {VERSION} needs Java {MIN_JAVA}+ ({have}); install one "
            f"(e.g. Temurin 25) or set VENVBUILD_JAVA to its bin/java"
        )
    return max(good)[1]


def prepare() -> Path:
    """Fetch Trino's tarball with Maven (into the cache) and unpack it once; returns the server's folder."""
    home = server_home()
    if (home / ".unpacked").exists():
        return home
    if not shutil.which("mvn"):
        raise Unavailable("Trino is fetched from Maven Central with `mvn`, which is not on PATH (apt-get install maven)")
    repo = cache_dir() / "m2"
    tarball = repo / "io" / "trino" / "trino-server" / VERSION / f"trino-server-{VERSION}.tar.gz"
    if not tarball.exists():
        try:
            fetched = subprocess.run(
                [
                    "mvn",
                    "-B",
                    "-q",
                    f"-Dmaven.repo.local={repo}",
                    "dependency:get",
                    f"-Dartifact={ARTIFACT}",
                    "-Dtransitive=false",
                ],
                capture_output=True,
                text=True,
                timeout=FETCH_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            raise Unavailable(f"fetching {ARTIFACT} with mvn did not end within {FETCH_TIMEOUT_S:g} s") from None
        if fetched.returncode != 0 or not tarball.exists():
            last = (fetched.stdout + fetched.stderr).strip().splitlines()[-1:] or ["no output"]
            raise Unavailable(f"mvn could not fetch {ARTIFACT}: {last[0]}")
    partial = cache_dir() / f".unpacking-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(partial, filter="data") if hasattr(tarfile, "data_filter") else archive.extractall(partial)
    shutil.rmtree(home, ignore_errors=True)
    (partial / home.name).rename(home)
    shutil.rmtree(partial, ignore_errors=True)
    (home / ".unpacked").write_text(ARTIFACT + "\n")
    return home


def installed_home() -> Path:
    home = server_home()
    if not (home / ".unpacked").exists():
        raise Unavailable(
            f"Trino {VERSION} is not unpacked in {home}: run `PYTHONPATH=python python -m tests._support.trino_server prepare` "
            "(or .ci/run)"
        )
    return home


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TrinoServer:
    """One Trino process over `warehouse` (local:///x is warehouse/x); start() waits until it scans a table."""

    def __init__(
        self,
        workdir: Path,
        java: str = None,
        home: Path = None,
        heap: str = HEAP,
        warehouse: Path = None,
        config: dict = None,
        catalog: dict = None,
    ):
        self.extra_config = config or {}
        self.extra_catalog = catalog or {}
        self.workdir = Path(workdir)
        self.warehouse = Path(warehouse) if warehouse else self.workdir / "warehouse"
        self.java = java or find_java()
        self.home = home or installed_home()
        self.heap = heap
        self.port = None
        self.process = None
        self.log_path = self.workdir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, schema: str = None) -> TrinoClient:
        return TrinoClient(self.url, catalog="hive", schema=schema)

    def start(self, timeout_s: float = READY_TIMEOUT_S) -> "TrinoServer":
        self.port = _free_port()
        etc = self.workdir / "etc"
        (etc / "catalog").mkdir(parents=True, exist_ok=True)
        plugins = self.workdir / "plugins"
        plugins.mkdir(exist_ok=True)
        if not (plugins / "hive").exists():
            (plugins / "hive").symlink_to(self.home / "plugin" / "hive")  # the one plugin we use: faster start
        self.warehouse.mkdir(parents=True, exist_ok=True)
        (etc / "config.properties").write_text(
            _properties(
                {
                    "coordinator": "true",
                    "node-scheduler.include-coordinator": "true",
                    "http-server.http.port": self.port,
                    "http-server.log.enabled": "false",
                    "discovery.uri": self.url,
                    "node.environment": "venvbuild_tests",
                    "node.id": "venvbuild-tests",
                    "node.bind-ip": "127.0.0.1",
                    "node.internal-address": "127.0.0.1",
                    "plugin.dir": plugins,
                    "catalog.config-dir": etc / "catalog",
                    **self.extra_config,
                }
            )
        )
        (etc / "catalog" / "hive.properties").write_text(
            _properties(
                {
                    "connector.name": "hive",
                    "hive.metastore": "file",
                    "hive.metastore.catalog.dir": "local:///metastore",
                    "fs.native-local.enabled": "true",
                    "local.location": self.warehouse,
                    # Athena answers a projected day with no objects with no rows, not an error; so does this.
                    "hive.ignore-absent-partitions": "true",
                    **self.extra_catalog,
                }
            )
        )
        command = [
            self.java,
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djdk.attach.allowAttachSelf=true",
            "--enable-native-access=ALL-UNNAMED",
            f"-Dconfig={etc / 'config.properties'}",
            "-cp",
            str(self.home / "lib" / "*"),
            "io.trino.server.TrinoServer",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        try:
            self._wait_until_it_scans(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_it_scans(self, timeout_s: float) -> None:
        """Loop on a real table scan: a count over a one-record JSON table, until it answers 1."""
        probe = self.warehouse / "readiness"
        probe.mkdir(exist_ok=True)
        (probe / "probe.json").write_text('{"x": 1}\n')
        deadline = time.monotonic() + timeout_s
        created = False
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Trino exited with {self.process.returncode}: {self.log_tail()}")
            try:
                client = self.client()
                if not created:
                    client.execute("CREATE SCHEMA IF NOT EXISTS hive.readiness")
                    client.execute(
                        "CREATE TABLE IF NOT EXISTS hive.readiness.probe (x bigint) "
                        "WITH (format = 'OPENX_JSON', external_location = 'local:///readiness/')"
                    )
                    created = True
                if client.execute("SELECT count(*) FROM hive.readiness.probe")[1] == [[1]]:
                    return
            except (OSError, TrinoError) as exc:  # not listening yet, still starting, no nodes yet
                last = str(exc)
            time.sleep(0.5)
        raise RuntimeError(f"Trino did not scan a table within {timeout_s:g} s (last: {last}); {self.log_tail()}")

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no server log"
        return f"server log {self.log_path}: " + " | ".join(text[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # by PID: the JVM runs its shutdown hooks
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def _properties(values: dict) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def main(argv) -> int:
    if argv != ["prepare"]:
        print("usage: trino_server.py prepare", file=sys.stderr)
        return 2
    try:
        java = find_java()
        home = prepare()
    except Unavailable as exc:
        print(f"trino: error: {exc}", file=sys.stderr)
        return 1
    print(f"trino: {home} with {java}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
