"""The design's artifact names; a build folder holds exactly these seven files, plus constraints.txt when the
build's requirements had constraints (requirements.txt then names it with `-c`: pip has no other way to
keep a constraint a constraint)."""

REQUIREMENTS = "requirements.txt"
CONSTRAINTS = "constraints.txt"
PIPDEPTREE_TXT = "pipdeptree.txt"
PIPDEPTREE_JSON = "pipdeptree.json"
INSTALLED_TXT = "installed_packages.txt"
INSTALLED_JSON = "installed_packages.json"
METADATA = "metadata.json"

COMPRESSIONS = ("gz", "zst")


def archive_name(venv_version: str, compression: str) -> str:
    return f"{venv_version}.tar.{compression}"


def publish_order(venv_version: str, compression: str, with_constraints: bool = False) -> list:
    """Largest first, metadata.json last: it is the commit marker that makes a build visible."""
    return [
        archive_name(venv_version, compression),
        REQUIREMENTS,
        *([CONSTRAINTS] if with_constraints else []),
        PIPDEPTREE_TXT,
        PIPDEPTREE_JSON,
        INSTALLED_TXT,
        INSTALLED_JSON,
        METADATA,
    ]
