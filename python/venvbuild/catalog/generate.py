"""From a store to the catalog's files: read every record, render every page, hand them to site.write."""

import json
from pathlib import Path

from venvbuild import artifacts, stored_builds
from venvbuild.catalog import graph, model, pages, site
from venvbuild.console import say
from venvbuild.errors import StoreError
from venvbuild.resources import read_text


def generate(store, store_spec: str, out: Path) -> dict:
    """Write the catalog of store into out; store_spec is how users name the store (for `venvbuild pull`)."""
    out = Path(out)
    before = site.previous_files(out)  # refuses a folder the catalog did not write, before any work
    catalog = model.build(stored_builds.all_records(store))
    files = {
        pages.INDEX: pages.index_page(),
        pages.DATA: pages.index_data(catalog),
        pages.CSS: read_text("catalog/catalog.css"),
        pages.JS: read_text("catalog/catalog.js"),
    }
    keep = []
    for meta in catalog.builds:
        version = meta["venv_version"]
        picture = pages.graph_path(version)
        if picture in before:  # a published build never changes: its picture neither
            keep.append(picture)
            has_graph = True
        else:
            drawn = _picture(store, meta)
            has_graph = drawn is not None
            if has_graph:
                files[picture] = drawn
        files[pages.build_page_path(version)] = pages.build_page(meta, catalog.previous[version], store_spec, has_graph)
    for name, entry in catalog.packages.items():
        files[pages.package_page_path(name)] = pages.package_page(entry, catalog)
    encoded = {path: text.encode("utf-8") if isinstance(text, str) else text for path, text in files.items()}
    counts = site.write(out, encoded, before, keep)
    say(f"catalog of {len(catalog.builds)} build(s) in {out}: {counts['written']} file(s) written, "
        f"{counts['kept']} unchanged, {counts['removed']} removed")
    return counts


def _picture(store, meta: dict):
    """The build's pipdeptree.svg when it has one, else a picture drawn from its pipdeptree.json."""
    version = meta["venv_version"]
    if artifacts.PIPDEPTREE_SVG in meta.get("extra_artifacts", ()):
        data = stored_builds.read_artifact(store, version, artifacts.PIPDEPTREE_SVG)
        if data is not None:
            return data
    data = stored_builds.read_artifact(store, version, artifacts.PIPDEPTREE_JSON)
    if data is None:
        return None
    try:
        tree = json.loads(data)
        if not isinstance(tree, list):
            raise ValueError("not a list")
        return graph.svg(tree).encode("utf-8")
    except (ValueError, KeyError, TypeError) as exc:
        where = store.url(store.build_key(version, artifacts.PIPDEPTREE_JSON))
        raise StoreError(f"{where}: damaged pipdeptree.json ({exc})") from None
