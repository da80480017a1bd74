"""Time `venvbuild audit --all` over 10,000 generated builds against 20,000 generated OSV advisories.

The builds are bench_search.py's search records (30 to 80 packages each, from a data-science pool and 400
filler libraries); the advisories are shaped like OSV's PyPI export: most name a package no build installs
(PyPI has far more packages than a monorepo uses), one in four is a GHSA record naming a PYSEC record of
the same vulnerability and its CVE, ranges of introduced/fixed or last_affected events over a few releases (some with two
ranges), one in five with a `versions` list of tens of versions, one in fifty withdrawn. They are written
as an all.zip, imported with `venvbuild vulndb import`, then audited. Target: the audit under 10 s on 2 cores.

    python bench/bench_audit.py [--builds 10000] [--advisories 20000]
"""

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_search import _FILLER, _POOL, generate_store  # noqa: E402
from packaging.version import Version  # noqa: E402

from venvbuild import cli  # noqa: E402

_OTHER_PACKAGES = [f"pkg{i:05d}" for i in range(8000)]


def _version(rng: random.Random) -> str:
    return f"{rng.randint(0, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}"


def advisory(i: int, rng: random.Random) -> list:
    """One vulnerability's records: a PYSEC one, and for one in four a GHSA one too."""
    roll = rng.random()
    if roll < 0.004:
        name, versions = rng.choice(_POOL)
    elif roll < 0.02:
        name, versions = rng.choice(_FILLER)
    else:
        name, versions = rng.choice(_OTHER_PACKAGES), []
    affected: dict = {"package": {"ecosystem": "PyPI", "name": name, "purl": f"pkg:pypi/{name.lower()}"}}
    ranges = []
    for _ in range(1 if rng.random() < 0.8 else 2):
        # Most advisories affect a line of releases up to a fix: a few of a package's versions, rarely all.
        ordered = sorted(versions or [_version(rng) for _ in range(4)], key=Version)
        at = rng.randrange(len(ordered))
        low = "0" if rng.random() < 0.1 else ordered[max(0, at - rng.randint(0, 1))]
        end = "last_affected" if rng.random() < 0.15 else "fixed"
        high = ordered[at] if end == "last_affected" else (ordered[at + 1] if at + 1 < len(ordered) else _version(rng))
        ranges.append({"type": "ECOSYSTEM", "events": [{"introduced": low}, {end: high}]})
    affected["ranges"] = ranges
    if rng.random() < 0.2:
        affected["versions"] = sorted({_version(rng) for _ in range(rng.randint(5, 60))} | set(versions[:1]))
    cve = f"CVE-20{rng.randint(15, 25)}-{i:05d}"
    pysec = {
        "schema_version": "1.6.0",
        "id": f"PYSEC-20{rng.randint(15, 25)}-{i}",
        "modified": "2025-01-01T00:00:00Z",
        "aliases": [cve],
        "details": "A generated advisory. " * 10,
        "affected": [affected],
        "references": [{"type": "WEB", "url": f"https://example.invalid/{i}"}],
    }
    if rng.random() < 0.02:
        pysec["withdrawn"] = "2025-02-01T00:00:00Z"
    records = [pysec]
    if rng.random() < 0.25:
        ghsa_id = f"GHSA-{i:04x}-bench-{rng.getrandbits(16):04x}"
        pysec["aliases"].append(ghsa_id)
        records.append(
            {
                "schema_version": "1.6.0",
                "id": ghsa_id,
                "modified": "2025-01-02T00:00:00Z",
                "aliases": [cve],
                "summary": f"Generated vulnerability {i} in {name}",
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
                "affected": [affected],
                "database_specific": {"severity": "HIGH"},
            }
        )
    return records


def write_zip(path: Path, count: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    written, i = 0, 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        while written < count:
            for record in advisory(i, rng)[: count - written]:
                archive.writestr(f"{record['id']}.json", json.dumps(record))
                written += 1
            i += 1
    return written


def _timed(label: str, argv) -> tuple:
    from contextlib import redirect_stdout
    from io import StringIO

    out = StringIO()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with redirect_stdout(out):
        code = cli.main([str(a) for a in argv])
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"{label}: {wall:.2f} s ({after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime:.2f} CPU s), exit {code}",
        file=sys.stderr,
    )
    return wall, out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds", type=int, default=10_000)
    parser.add_argument("--advisories", type=int, default=20_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="venvbuild-bench-audit-") as tmp:
        root, zipped = Path(tmp) / "store", Path(tmp) / "all.zip"
        generate_store(root, args.builds)
        write_zip(zipped, args.advisories)
        _timed(f"vulndb import of {args.advisories:,} advisories", ["-q", "vulndb", "import", zipped, "--store", root])
        wall, out = _timed(f"audit --all of {args.builds:,} builds", ["-q", "audit", "--all", "--json", "--store", root])
        result = json.loads(out)
        print(
            f"audit: {result['builds_audited']:,} builds, {len(result['findings']):,} findings in "
            f"{result['affected_builds']:,} builds; {wall:.2f} s (target under 10 s)"
        )
        return 0 if wall < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
