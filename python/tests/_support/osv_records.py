"""OSV records written for the tests in the shape of real PyPI advisories (OSV's PyPI export): PYSEC and GHSA
records of one vulnerability naming each other and the CVE, ranges with introduced/fixed/last_affected, a
`versions` list, a withdrawn record, one of another ecosystem, and files that are not records at all."""

import json
import zipfile
from pathlib import Path

REQUESTS_PYSEC = {
    "schema_version": "1.6.0",
    "id": "PYSEC-2023-74",
    "modified": "2023-06-05T12:00:00Z",
    "published": "2023-05-26T18:15:00Z",
    "aliases": ["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
    "details": "Requests is a HTTP library. Since Requests 2.3.0, Requests has been leaking Proxy-Authorization headers ...",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "requests", "purl": "pkg:pypi/requests"},
            "ranges": [
                {
                    "type": "GIT",
                    "repo": "https://github.com/psf/requests",
                    "events": [{"introduced": "0"}, {"fixed": "74ea7cf7a6a27a4eeb2ae24e162bcc942a6706d5"}],
                },
                {"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]},
            ],
            "versions": ["2.3.0", "2.30.0"],
        }
    ],
    "references": [{"type": "ADVISORY", "url": "https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q"}],
}
REQUESTS_GHSA = {
    "schema_version": "1.4.0",
    "id": "GHSA-j8r2-6x86-q33q",
    "modified": "2023-11-08T04:00:00Z",
    "aliases": ["CVE-2023-32681"],
    "summary": "Unintended leak of Proxy-Authorization header in requests",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "requests"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.3.0"}, {"fixed": "2.31.0"}]}],
        }
    ],
    "database_specific": {"severity": "MODERATE", "cwe_ids": ["CWE-200"]},
}
URLLIB3_GHSA = {
    "schema_version": "1.4.0",
    "id": "GHSA-v845-jxx5-vc9f",
    "modified": "2023-10-17T00:00:00Z",
    "aliases": ["CVE-2023-43804", "PYSEC-2023-192"],
    "summary": "Cookie HTTP header isn't stripped on cross-origin redirects",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "urllib3"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.26.17"}]}],
        },
        {
            "package": {"ecosystem": "PyPI", "name": "urllib3"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "2.0.0"}, {"fixed": "2.0.6"}]}],
        },
    ],
    "database_specific": {"severity": "HIGH"},
}
JINJA_LAST_AFFECTED = {
    "id": "GHSA-h5c8-rqwp-cp95",
    "modified": "2024-01-11T00:00:00Z",
    "aliases": ["CVE-2024-22195"],
    "summary": "Jinja vulnerable to HTML attribute injection when passing user input as keys to xmlattr filter",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Jinja2"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "3.1.2"}]}],
        }
    ],
}
PYYAML_VERSIONS = {
    "id": "PYSEC-2021-142",
    "modified": "2021-08-27T03:22:22Z",
    "aliases": ["CVE-2020-14343"],
    "details": "A vulnerability was discovered in the PyYAML library in versions before 5.4 ...",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "PyYAML"}, "versions": ["5.3", "5.3.1"]}],
}
NUMPY_WITHDRAWN = {
    "id": "PYSEC-2019-108",
    "modified": "2024-05-01T00:00:00Z",
    "withdrawn": "2024-04-30T00:00:00Z",
    "aliases": ["CVE-2019-6446"],
    "summary": "Disputed: pickle loading in numpy",
    "affected": [
        {"package": {"ecosystem": "PyPI", "name": "numpy"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}
    ],
}
GO_RECORD = {
    "id": "GO-2023-1878",
    "modified": "2023-07-11T00:00:00Z",
    "aliases": ["CVE-2023-29406"],
    "affected": [
        {
            "package": {"ecosystem": "Go", "name": "stdlib"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.19.11"}]}],
        }
    ],
}
GOOD = [REQUESTS_PYSEC, REQUESTS_GHSA, URLLIB3_GHSA, JINJA_LAST_AFFECTED, PYYAML_VERSIONS, NUMPY_WITHDRAWN, GO_RECORD]
# name -> bytes of files that are no OSV record this venvbuild reads.
MALFORMED = {
    "broken.json": b'{"id": "PYSEC-2099-1", "modified": ',
    "future.json": json.dumps({"schema_version": "2.0.0", "id": "PYSEC-2099-2", "modified": "2099-01-01T00:00:00Z"}).encode(),
    "bad-event.json": json.dumps(
        {
            "id": "PYSEC-2099-3",
            "modified": "2099-01-01T00:00:00Z",
            "affected": [
                {"package": {"ecosystem": "PyPI", "name": "x"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"broken": "1"}]}]}
            ],
        }
    ).encode(),
}


def write_folder(folder: Path, records=GOOD, malformed=MALFORMED) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record))
    for name, data in malformed.items():
        (folder / name).write_bytes(data)
    return folder


def write_zip(path: Path, records=GOOD, malformed=MALFORMED) -> Path:
    """In the layout of OSV's PyPI all.zip: one <ID>.json per advisory at the top."""
    with zipfile.ZipFile(path, "w") as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
        for name, data in malformed.items():
            archive.writestr(name, data)
    return path
