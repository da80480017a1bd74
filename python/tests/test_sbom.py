"""The build's SBOM (sbom.cdx.json): what it holds, that it is valid CycloneDX 1.6, the same for the same
inputs, and `venvbuild sbom` printing it as CycloneDX or SPDX."""

import hashlib
import json
from email.message import Message

import pytest

from tests._support.processes import venvbuild
from tests._support.records import builds_in
from venvbuild.record import sbom

D = sbom.Distribution
DISTS = [
    D("Requests", "2.31.0", (("name", "Apache Software License"),), ("a" * 64,), ("idna", "urllib3")),
    D("urllib3", "2.0.0", (("expression", "MIT"),), ("b" * 64, "c" * 64)),
    D("idna", "3.4"),
]


def _render(dists=DISTS, created_at="2026-01-01T00:00:00Z"):
    return sbom.render(dists, "demo", "venv_20260101_000000", created_at)


def test_render_is_valid_cyclonedx_1_6_with_purls_hashes_licenses_and_graph():
    text = _render()
    assert sbom.validate(text) is None
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6" and doc["metadata"]["timestamp"].startswith("2026-01-01T00:00:00")
    by_name = {c["name"]: c for c in doc["components"]}
    assert by_name["Requests"]["purl"] == "pkg:pypi/requests@2.31.0"
    assert by_name["Requests"]["hashes"] == [{"alg": "SHA-256", "content": "a" * 64}]
    assert by_name["Requests"]["licenses"] == [{"license": {"name": "Apache Software License"}}]
    assert by_name["urllib3"]["licenses"] == [{"expression": "MIT"}]
    assert "hashes" not in by_name["urllib3"], "two pinned wheels: which one was installed is unknown"
    assert by_name["urllib3"]["properties"] == [{"name": "venvbuild:pinned-sha256", "value": f"{'b' * 64} {'c' * 64}"}]
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert deps["pkg:pypi/requests@2.31.0"] == ["pkg:pypi/idna@3.4", "pkg:pypi/urllib3@2.0.0"]
    assert deps["venv"] == ["pkg:pypi/requests@2.31.0"], "the venv depends on what nothing else needs"


def test_same_inputs_same_bytes_and_the_serial_follows_the_content():
    assert _render() == _render(list(reversed(DISTS)))
    serial = json.loads(_render())["serialNumber"]
    assert serial.startswith("urn:uuid:")
    assert json.loads(_render(DISTS[:2]))["serialNumber"] != serial
    assert json.loads(_render(created_at="2026-01-02T00:00:00Z"))["serialNumber"] != serial


def test_the_validator_refuses_a_broken_document():
    doc = json.loads(_render())
    doc["components"][0]["type"] = "no-such-type"
    assert sbom.validate(json.dumps(doc)) is not None


def _meta(**fields):
    meta = Message()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            meta[key.replace("_", "-")] = item
    return meta


@pytest.mark.parametrize(
    "fields, expected",
    [
        (
            dict(License_Expression="MIT OR Apache-2.0", Classifier="License :: OSI Approved :: MIT License", License="BSD"),
            (("expression", "MIT OR Apache-2.0"),),
        ),
        (
            dict(Classifier=["License :: OSI Approved :: MIT License", "License :: OSI Approved", "Topic :: X"], License="BSD"),
            (("name", "MIT License"),),
        ),
        (dict(License="BSD-3-Clause\n\nfull text ..."), (("name", "BSD-3-Clause"),)),
        (dict(License="UNKNOWN"), ()),
        ({}, ()),
    ],
)
def test_licenses_come_from_the_expression_then_classifiers_then_the_license_field(fields, expected):
    assert sbom.licenses_of(_meta(**fields)) == expected


def test_spdx_holds_the_same_packages_and_dependencies():
    spdx = sbom.to_spdx(json.loads(_render()))
    assert spdx["spdxVersion"] == "SPDX-2.3" and spdx["creationInfo"]["created"] == "2026-01-01T00:00:00Z"
    names = {p["name"]: p for p in spdx["packages"]}
    assert names["urllib3"]["licenseDeclared"] == "MIT"
    assert names["Requests"]["checksums"] == [{"algorithm": "SHA256", "checksumValue": "a" * 64}]
    assert names["idna"]["externalRefs"][0]["referenceLocator"] == "pkg:pypi/idna@3.4"
    depends = {
        (r["spdxElementId"], r["relatedSpdxElement"]) for r in spdx["relationships"] if r["relationshipType"] == "DEPENDS_ON"
    }
    assert ("SPDXRef-Package-requests-2.31.0", "SPDXRef-Package-urllib3-2.0.0") in depends


def _pinned(wheelhouse, name):
    [wheel] = wheelhouse.glob(f"{name}-1.0-*.whl")
    return f"{name}==1.0 --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}"


def test_a_build_stores_its_sbom_and_two_builds_of_the_same_inputs_agree(tmp_path, requirements, wheelhouse):
    reqs = requirements(*(_pinned(wheelhouse, n) for n in ("alpha", "beta", "gamma")))
    docs = []
    for store in (tmp_path / "one", tmp_path / "two"):
        done = venvbuild("build", "--requirements", reqs, "--env-name", "demo", "--store", store)
        assert done.returncode == 0, done.stderr
        [version] = builds_in(store)
        folder = store / "venv-builds" / version
        meta = json.loads((folder / "metadata.json").read_text())
        raw = (folder / "sbom.cdx.json").read_bytes()
        assert "sbom.cdx.json" in meta["extra_artifacts"]
        assert meta["sbom_sha256"] == hashlib.sha256(raw).hexdigest()
        assert sbom.validate(raw.decode()) is None
        doc = json.loads(raw)
        assert doc["metadata"]["timestamp"].replace("+00:00", "Z") == meta["created_at"]
        docs.append(doc)
        printed = venvbuild("sbom", version, "--store", store)
        assert printed.returncode == 0, printed.stderr
        assert json.loads(printed.stdout) == doc
        spdx = venvbuild("sbom", version, "--format", "spdx", "--store", store)
        assert json.loads(spdx.stdout)["spdxVersion"] == "SPDX-2.3"
    one, two = docs
    assert one["components"] == two["components"] and one["dependencies"] == two["dependencies"]
    by_name = {c["name"]: c for c in one["components"]}
    alpha_hash = _pinned(wheelhouse, "alpha").rsplit(":", 1)[1]
    assert by_name["alpha"]["hashes"] == [{"alg": "SHA-256", "content": alpha_hash}]
    deps = {d["ref"]: d.get("dependsOn", []) for d in one["dependencies"]}
    assert deps["pkg:pypi/gamma@1.0"] == ["pkg:pypi/alpha@1.0"]


def test_sbom_of_an_unknown_version_or_an_old_build_is_one_error(tmp_path, build_dir_factory):
    store = tmp_path / "store"
    done = venvbuild("sbom", "venv_20990101_000000", "--store", store)
    assert done.returncode == 2 and done.stderr.startswith("venvbuild: error: VERSION venv_20990101_000000")
    assert venvbuild("publish", build_dir_factory(), "--store", store).returncode == 0
    done = venvbuild("sbom", "venv_20250722_163000", "--store", store)
    assert done.returncode == 2 and "has no sbom.cdx.json" in done.stderr and done.stderr.count("\n") == 1
