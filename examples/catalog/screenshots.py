"""Makes the README's catalog screenshots: a small demo store (kedro-like builds of three envs, one with a
conflict and a cycle), its catalog, and Chromium's pictures of the index and of a build page.

    python examples/catalog/screenshots.py   # writes examples/catalog/*.png
"""

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "python"))  # the tests package

from tests._support.browser import Chromium, StaticServer  # noqa: E402
from venvbuild import cli  # noqa: E402
from venvbuild.build import graph_pictures, publish  # noqa: E402
from venvbuild.build.stages import write_graphs  # noqa: E402
from venvbuild.record import artifacts, metadata  # noqa: E402
from venvbuild.store.local import LocalStore  # noqa: E402

# name, version, [(dependency, required)]
STACK = [
    ("kedro", "0.19.10", [("pandas", ">=1.3"), ("PyYAML", ">=4.2,<7"), ("kedro-telemetry", ">=0.5")]),
    ("kedro-telemetry", "0.6.1", [("kedro", ">=0.18")]),
    ("pandas", "2.2.3", [("numpy", ">=1.26.0"), ("python-dateutil", ">=2.8.2")]),
    ("numpy", "1.24.4", []),
    ("python-dateutil", "2.9.0", [("six", ">=1.5")]),
    ("six", "1.16.0", []),
    ("PyYAML", "6.0.2", []),
    ("scikit-learn", "1.5.2", [("numpy", ">=1.19.5"), ("scipy", ">=1.6.0")]),
    ("scipy", "1.14.1", [("numpy", ">=1.23.5")]),
]
BUILDS = [
    ("venv_20250701_090000", "ml-train", {"pandas": "2.1.4", "numpy": "1.26.4"}),
    ("venv_20250708_090000", "ml-train", {"numpy": "1.26.4"}),
    ("venv_20250715_090000", "ml-train", {}),  # numpy 1.24.4: pandas' numpy>=1.26.0 breaks
    ("venv_20250702_120000", "etl", {"scikit-learn": None, "scipy": None, "pandas": "1.5.3", "numpy": "1.24.4"}),
    ("venv_20250716_120000", "etl", {"scikit-learn": None, "scipy": None, "pandas": "2.0.3", "numpy": "1.24.4"}),
    (
        "venv_20250710_150000",
        "api",
        {"scikit-learn": None, "scipy": None, "kedro": None, "kedro-telemetry": None, "pandas": "2.2.3", "numpy": "2.1.3"},
    ),
]


def tree(changes: dict) -> list:
    installed = {n: changes.get(n, v) for n, v, _ in STACK if changes.get(n, v) is not None}
    return [
        {
            "package": {"key": n.lower(), "package_name": n, "installed_version": installed[n]},
            "dependencies": [
                {"key": d.lower(), "package_name": d, "installed_version": installed.get(d, "?"), "required_version": r}
                for d, r in deps
            ],
        }
        for n, _, deps in STACK
        if n in installed
    ]


def build_folder(root: Path, version: str, env: str, changes: dict) -> Path:
    from venvbuild.build import conflicts

    folder = root / version
    folder.mkdir(parents=True)
    entries = tree(changes)
    pins = sorted((f"{e['package']['package_name']}=={e['package']['installed_version']}" for e in entries), key=str.lower)
    found = conflicts.find(entries)
    (folder / artifacts.PIPDEPTREE_JSON).write_text(json.dumps(entries))
    write_graphs(entries, folder)
    archive = f"{version}.tar.gz"
    (folder / archive).write_bytes(version.encode())
    for name, text in [
        (artifacts.REQUIREMENTS, "\n".join(pins) + "\n"),
        (artifacts.PIPDEPTREE_TXT, "\n".join(pins)),
        (artifacts.INSTALLED_TXT, "\n".join(pins) + "\n"),
        (artifacts.INSTALLED_JSON, json.dumps(pins)),
    ]:
        (folder / name).write_text(text)
    day = version[5:13]
    meta = {
        "venv_version": version,
        "created_at": f"{day[:4]}-{day[4:6]}-{day[6:]}T{version[14:16]}:00:00Z",
        "python_version": "3.11",
        "requirements_file": (folder / artifacts.REQUIREMENTS).as_uri(),
        "pipdeptree_output": (folder / artifacts.PIPDEPTREE_JSON).as_uri(),
        "venv_archive": (folder / archive).as_uri(),
        "is_conflict_free": not any(c.breaks for c in found),
        "conflicts": [c.describe() for c in found if c.breaks],
        "installed_packages": pins,
        "env_name": env,
        "python_full_version": "3.11.9",
        "python_home": "/usr/bin",
        "platform": "linux-x86_64",
        "installer": "uv",
        "archive_sha256": hashlib.sha256(version.encode()).hexdigest(),
        "archive_size": len(version),
        "requirements_sha256": hashlib.sha256((folder / artifacts.REQUIREMENTS).read_bytes()).hexdigest(),
        "venvbuild_version": "0.1.0",
        "build_url": None,
        "git_commit": None,
        "conflict_details": [c.as_record() for c in found],
        "extra_artifacts": [n for n in artifacts.EXTRAS if (folder / n).is_file()],
    }
    metadata.write(meta, folder / artifacts.METADATA)
    return folder


def main() -> None:
    if not graph_pictures.graphviz():
        sys.exit("Graphviz's dot is needed for the graph picture")
    work = Path(tempfile.mkdtemp(prefix="venvbuild-screens-"))
    try:
        store = LocalStore(work / "store")
        for version, env, changes in BUILDS:
            publish.publish(build_folder(work / "builds", version, env, changes), store)
        assert cli.main(["catalog", "--store", str(work / "store"), "--out", str(work / "site")]) == 0
        server = StaticServer(work / "site")
        browser = Chromium(work / "profile")
        try:
            browser.send("Emulation.setDeviceMetricsOverride", width=1100, height=560, deviceScaleFactor=1, mobile=False)
            browser.navigate(server.url + "index.html#q=pandas%3E%3D2")
            browser.wait_for("window.venvbuildCatalogReady")
            browser.screenshot(HERE / "catalog-index.png")
            browser.send("Emulation.setDeviceMetricsOverride", width=1100, height=1000, deviceScaleFactor=1, mobile=False)
            browser.navigate(server.url + "builds/venv_20250715_090000.html")
            browser.evaluate("document.querySelector('h2:nth-of-type(3)').scrollIntoView()")
            browser.screenshot(HERE / "catalog-build.png")
            assert not browser.errors, browser.errors
        finally:
            browser.close()
            server.close()
    finally:
        shutil.rmtree(work)
    for png in sorted(HERE.glob("*.png")):
        print(f"{png.relative_to(HERE.parents[1])}: {png.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
