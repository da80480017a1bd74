"""Tiny wheels written in the test session, so builds install from a local folder, never the network."""

import base64
import hashlib
import zipfile
from pathlib import Path


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(folder: Path, name: str, version: str, requires=(), console_scripts=()) -> Path:
    """A pure-Python wheel; each console script prints the package's name and version."""
    dist_info = f"{name}-{version}.dist-info"
    code = f'__version__ = "{version}"\n\n\ndef main():\n    print("{name}", __version__)\n'
    files = {
        f"{name}/__init__.py": code.encode(),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires)
        ).encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: venvbuild-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if console_scripts:
        lines = "".join(f"{script} = {name}:main\n" for script in console_scripts)
        files[f"{dist_info}/entry_points.txt"] = f"[console_scripts]\n{lines}".encode()
    record = [_record_line(n, d) for n, d in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as whl:
        for n, d in files.items():
            whl.writestr(zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0)), d)
    return path


def make_wheelhouse(folder: Path) -> Path:
    """alpha 1.0 needs beta<2; beta 1.0 and 2.0; gamma 1.0 needs alpha; delta and epsilon need each other;
    zeta 1.0 needs alpha and has two console scripts."""
    folder.mkdir(parents=True, exist_ok=True)
    write_wheel(folder, "alpha", "1.0", ["beta<2"])
    write_wheel(folder, "beta", "1.0")
    write_wheel(folder, "beta", "2.0")
    write_wheel(folder, "gamma", "1.0", ["alpha"])
    write_wheel(folder, "delta", "1.0", ["epsilon"])  # delta and epsilon need each other: a cycle
    write_wheel(folder, "epsilon", "1.0", ["delta"])
    write_wheel(folder, "zeta", "1.0", ["alpha"], console_scripts=["zeta", "zeta-tool"])
    return folder


def kedro_requirements(folder: Path, kedro_spelling: str = "kedro") -> Path:
    """Wheels of kedro 0.19.10, kedro_viz 6.7.0 (needs kedro>=0.18) and Scikit_Learn 1.5.2 in folder/wheels,
    and folder/requirements.txt pinning the three and installing from that folder only."""
    wheels = folder / "wheels"
    wheels.mkdir(parents=True)
    write_wheel(wheels, kedro_spelling, "0.19.10")
    write_wheel(wheels, "kedro_viz", "6.7.0", ["kedro>=0.18"])
    write_wheel(wheels, "Scikit_Learn", "1.5.2")
    requirements = folder / "requirements.txt"
    requirements.write_text(f"--no-index\n--find-links {wheels}\nkedro==0.19.10\nkedro-viz==6.7.0\nscikit-learn==1.5.2\n")
    return requirements
