"""A build's software bill of materials: sbom.cdx.json (CycloneDX 1.6 JSON), and SPDX 2.3 JSON made from it.

The build's inspect stage collects one Distribution per installed distribution (name, version, licenses from
its installed metadata, the sha256 pinned for it by the requirements, its dependencies as pipdeptree resolved
them for the build's interpreter, markers evaluated) and `render` writes the document. The same facts and
created_at give the same bytes: components and dependencies are sorted, the serial number is a UUID made from
a hash of the content, the timestamp is the build's created_at.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

from packaging.utils import canonicalize_name

SPEC_VERSION = "1.6"
ROOT_REF = "venv"


@dataclass(frozen=True)
class Distribution:
    name: str  # as the distribution spells it
    version: str
    licenses: Tuple[Tuple[str, str], ...] = ()  # ("expression", "MIT OR Apache-2.0") or ("name", "BSD License")
    sha256: Tuple[str, ...] = ()  # the requirements' --hash=sha256 pins of this package (the wheels pip may install)
    requires: Tuple[str, ...] = field(default=())  # normalised names of the installed distributions it needs

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    @property
    def purl(self) -> str:
        return f"pkg:pypi/{self.key}@{self.version}"


def licenses_of(meta: Message) -> Tuple[Tuple[str, str], ...]:
    """PEP 639's License-Expression; else the License :: classifiers; else the License field's first line."""
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return (("expression", expression),)
    classifiers = sorted(
        {
            c.split("::")[-1].strip()
            for c in meta.get_all("Classifier") or ()
            if c.startswith("License ::") and c.split("::")[-1].strip() != "OSI Approved"
        }
    )
    if classifiers:
        return tuple(("name", c) for c in classifiers)
    text = (meta.get("License") or "").strip()
    if text and text.upper() != "UNKNOWN":
        return (("name", text.splitlines()[0].strip()[:200]),)
    return ()


def installed(site_packages: Path, tree: list, pinned: Dict[str, List[str]]) -> List[Distribution]:
    """The distributions of a venv: versions and dependencies from pipdeptree's JSON (tree), licenses from
    the dist-info in site_packages, sha256 from pinned (normalised name -> the requirements' sha256 pins)."""
    from importlib import metadata as importlib_metadata

    metas: Dict[str, Message] = {}
    for dist in importlib_metadata.distributions(path=[str(site_packages)]):
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            metas.setdefault(canonicalize_name(name), dist.metadata)  # type: ignore[arg-type]
    found = []
    for entry in tree:
        package = entry["package"]
        key = canonicalize_name(package["key"])
        requires = tuple(
            sorted({canonicalize_name(d["key"]) for d in entry.get("dependencies", ()) if d.get("installed_version")})
        )
        meta = metas.get(key)
        found.append(
            Distribution(
                name=package["package_name"],
                version=package["installed_version"],
                licenses=licenses_of(meta) if meta is not None else (),
                sha256=tuple(sorted(pinned.get(key, ()))),
                requires=requires,
            )
        )
    return sorted(found, key=lambda d: d.key)


def render(distributions: Iterable[Distribution], env_name: str, venv_version: str, created_at: str) -> str:
    """sbom.cdx.json's text: CycloneDX 1.6 JSON, the same for the same arguments."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    dists = sorted(distributions, key=lambda d: d.key)
    facts = json.dumps(
        [env_name, venv_version, created_at, [[d.key, d.version, d.licenses, d.sha256, d.requires] for d in dists]]
    )
    serial = uuid.UUID(bytes=hashlib.sha256(facts.encode("utf-8")).digest()[:16], version=5)
    root = Component(type=ComponentType.APPLICATION, name=env_name, version=venv_version, bom_ref=ROOT_REF)
    components = {}
    for d in dists:
        licenses: list = [
            LicenseExpression(value) if kind == "expression" else DisjunctiveLicense(name=value) for kind, value in d.licenses
        ]
        hashes = [HashType(alg=HashAlgorithm.SHA_256, content=d.sha256[0])] if len(d.sha256) == 1 else []
        properties = [Property(name="venvbuild:pinned-sha256", value=" ".join(d.sha256))] if len(d.sha256) > 1 else []
        components[d.key] = Component(
            type=ComponentType.LIBRARY,
            name=d.name,
            version=d.version,
            bom_ref=d.purl,
            purl=PackageURL(type="pypi", name=d.key, version=d.version),
            licenses=licenses,
            hashes=hashes,
            properties=properties,
        )
    bom = Bom(
        serial_number=serial,
        metadata=BomMetaData(component=root, timestamp=datetime.fromisoformat(created_at.replace("Z", "+00:00"))),
    )
    for component in components.values():
        bom.components.add(component)
    needed = {r for d in dists for r in d.requires}
    bom.register_dependency(root, [components[d.key] for d in dists if d.key not in needed])
    for d in dists:
        bom.register_dependency(components[d.key], [components[r] for r in d.requires if r in components])
    document = json.loads(JsonV1Dot6(bom).output_as_string())
    document["metadata"].pop("tools", None)  # the library names itself there; venvbuild_version is in metadata.json
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def validate(text: str) -> str | None:
    """The first error of text against the CycloneDX 1.6 JSON schema, or None when it is valid."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    return None if error is None else str(error)


def to_spdx(cdx: dict) -> dict:
    """SPDX 2.3 JSON with the same packages, checksums, licenses and DEPENDS_ON relationships."""
    meta = cdx.get("metadata", {})
    root = meta.get("component", {})
    refs: Dict[str, str] = {}

    def spdx_id(ref: str) -> str:
        if ref not in refs:
            refs[ref] = "SPDXRef-" + (
                "Root" if ref == ROOT_REF else "Package-" + "".join(c if c.isalnum() or c in ".-" else "-" for c in ref[9:])
            )
        return refs[ref]

    def license_of(component: dict) -> str:
        parts = []
        for entry in component.get("licenses", ()):
            if "expression" in entry:
                parts.append(entry["expression"])
            elif entry.get("license", {}).get("id"):
                parts.append(entry["license"]["id"])
        return " AND ".join(parts) if parts else "NOASSERTION"

    packages = [
        {
            "SPDXID": spdx_id(ROOT_REF),
            "name": root.get("name", ""),
            "versionInfo": root.get("version", ""),
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "primaryPackagePurpose": "APPLICATION",
        }
    ]
    for c in cdx.get("components", ()):
        package = {
            "SPDXID": spdx_id(c["bom-ref"]),
            "name": c["name"],
            "versionInfo": c.get("version", ""),
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": license_of(c),
            "primaryPackagePurpose": "LIBRARY",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": c["purl"]}],
        }
        sums = [{"algorithm": "SHA256", "checksumValue": h["content"]} for h in c.get("hashes", ()) if h["alg"] == "SHA-256"]
        if sums:
            package["checksums"] = sums
        packages.append(package)
    relationships = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": spdx_id(ROOT_REF)}
    ]
    for dep in cdx.get("dependencies", ()):
        for target in dep.get("dependsOn", ()):
            relationships.append(
                {"spdxElementId": spdx_id(dep["ref"]), "relationshipType": "DEPENDS_ON", "relatedSpdxElement": spdx_id(target)}
            )
    serial = cdx.get("serialNumber", "").removeprefix("urn:uuid:")
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{root.get('name', '')}-{root.get('version', '')}",
        "documentNamespace": f"urn:uuid:{serial}",
        "creationInfo": {"created": meta.get("timestamp", "").replace("+00:00", "Z"), "creators": ["Tool: venvbuild"]},
        "packages": packages,
        "relationships": relationships,
    }
