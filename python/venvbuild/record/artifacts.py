"""The design's artifact names: a build folder holds these seven files, plus the ones it lists in
metadata.json's `extra_artifacts` (builds published before them have none): the graph pictures, the SBOM, and
constraints.txt when the build's requirements had constraints (requirements.txt then names it with `-c`:
pip has no other way to keep a constraint a constraint)."""

REQUIREMENTS = "requirements.txt"
PIPDEPTREE_TXT = "pipdeptree.txt"
PIPDEPTREE_JSON = "pipdeptree.json"
INSTALLED_TXT = "installed_packages.txt"
INSTALLED_JSON = "installed_packages.json"
METADATA = "metadata.json"

# Extra artifacts: the constraints (when there are any), the dependency graph as Mermaid and DOT (always),
# SVG (when Graphviz is on the agent).
CONSTRAINTS = "constraints.txt"
PIPDEPTREE_MMD = "pipdeptree.mmd"
PIPDEPTREE_DOT = "pipdeptree.dot"
PIPDEPTREE_SVG = "pipdeptree.svg"
# The software bill of materials, CycloneDX 1.6 JSON (venvbuild.record.sbom); its sha256 is metadata's sbom_sha256.
SBOM = "sbom.cdx.json"
EXTRAS = (CONSTRAINTS, PIPDEPTREE_MMD, PIPDEPTREE_DOT, PIPDEPTREE_SVG, SBOM)

COMPRESSIONS = ("gz", "zst")


def archive_name(venv_version: str, compression: str) -> str:
    return f"{venv_version}.tar.{compression}"


def publish_order(venv_version: str, compression: str, extras=()) -> list:
    """Largest first, metadata.json last: it is the commit marker that makes a build visible."""
    return [
        archive_name(venv_version, compression),
        REQUIREMENTS,
        PIPDEPTREE_TXT,
        PIPDEPTREE_JSON,
        INSTALLED_TXT,
        INSTALLED_JSON,
        *extras,
        METADATA,
    ]
