"""Synthetic builds and stores: schema-valid metadata records, complete build folders, search records, and
what a store holds."""

import hashlib
import json
from pathlib import Path

from venvbuild.record import artifacts, metadata


def make_metadata(venv_version="venv_20250722_163000", **fields) -> dict:
    """A schema-valid metadata record; fields override any key (installed_packages, env_name, ...)."""
    created = venv_version[5:]
    created_at = f"{created[0:4]}-{created[4:6]}-{created[6:8]}T{created[9:11]}:{created[11:13]}:{created[13:15]}Z"
    base = "file:///builds/venv-builds/" + venv_version
    meta = {
        "venv_version": venv_version,
        "created_at": created_at,
        "python_version": "3.11",
        "requirements_file": f"{base}/requirements.txt",
        "pipdeptree_output": f"{base}/pipdeptree.json",
        "venv_archive": f"{base}/{venv_version}.tar.gz",
        "is_conflict_free": True,
        "conflicts": [],
        "installed_packages": ["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3"],
        "env_name": "demo",
        "python_full_version": "3.11.7",
        "python_home": "/usr/bin",
        "platform": "linux-x86_64",
        "installer": "pip",
        "archive_sha256": "0" * 64,
        "archive_size": 0,
        "requirements_sha256": "0" * 64,
        "venvbuild_version": "0.1.0",
        "build_url": None,
        "git_commit": None,
        "conflict_details": [],
    }
    meta.update(fields)
    return metadata.validate(meta, "test metadata")


def make_build_dir(root: Path, venv_version="venv_20250722_163000", archive_bytes=b"archive", **fields) -> Path:
    """A complete build folder with the seven artifacts (the archive is archive_bytes, not a real venv)."""
    build_dir = Path(root) / venv_version
    build_dir.mkdir(parents=True)
    meta = make_metadata(venv_version, **fields)
    archive = artifacts.archive_name(venv_version, metadata.compression_of(meta))
    (build_dir / archive).write_bytes(archive_bytes)
    meta["archive_sha256"] = hashlib.sha256(archive_bytes).hexdigest()
    meta["archive_size"] = len(archive_bytes)
    requirements = "".join(p + "\n" for p in meta["installed_packages"])
    (build_dir / artifacts.REQUIREMENTS).write_text(requirements)
    meta["requirements_sha256"] = hashlib.sha256(requirements.encode()).hexdigest()
    (build_dir / artifacts.PIPDEPTREE_TXT).write_text("\n".join(meta["installed_packages"]) + "\n")
    (build_dir / artifacts.PIPDEPTREE_JSON).write_text("[]\n")
    (build_dir / artifacts.INSTALLED_TXT).write_text(requirements)
    (build_dir / artifacts.INSTALLED_JSON).write_text(json.dumps(meta["installed_packages"]) + "\n")
    metadata.write(meta, build_dir / artifacts.METADATA)
    return build_dir


def write_record(store_root, version, **fields):
    """A search record written straight into the dt= layout (what publish's last step leaves)."""
    meta = make_metadata(version, **fields)
    folder = Path(store_root) / "venv-builds-metadata" / f"dt={meta['created_at'][:10]}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{version}.json"
    path.write_text(json.dumps(meta) + "\n")
    return path


def builds_in(store: Path):
    root = store / "venv-builds"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def records_in(store: Path):
    return sorted((store / "venv-builds-metadata").glob("dt=*/*.json"))


# A dependency picture that runs code when opened as a document: a script, an onload handler, a foreignObject
# holding a javascript: frame, an external image. Each script sets window.owned.
HOSTILE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'onload="window.owned = 1"><script>window.owned = 2</script><foreignObject><iframe '
    b'src="javascript:parent.owned = 3"/></foreignObject><image xlink:href="https://evil.example/x.png"/></svg>'
)


def with_own_svg(build_dir: Path, svg: bytes = HOSTILE_SVG) -> Path:
    """build_dir with its own pipdeptree.svg (listed in extra_artifacts) and a pipdeptree.json of one package."""
    (build_dir / artifacts.PIPDEPTREE_SVG).write_bytes(svg)
    (build_dir / artifacts.PIPDEPTREE_JSON).write_text(
        json.dumps([{"package": {"key": "six", "package_name": "six", "installed_version": "1.16.0"}, "dependencies": []}])
    )
    meta = json.loads((build_dir / artifacts.METADATA).read_text())
    metadata.write({**meta, "extra_artifacts": [artifacts.PIPDEPTREE_SVG]}, build_dir / artifacts.METADATA)
    return build_dir
