"""From a store to the catalog's files: read every record, render what changed, hand it to the target.

A page is rendered again only when what it is made from changed: a build page from its record, the
previous build's record (its diff), the store's name (the pull command), and this code; a package page
from its versions and builds. Records are create-only, so the records of the last run are kept with the
site (site.RECORDS) and only new ones are read from the store, as the search index does.

Nothing a build stored reaches the site as it is: the dependency picture is drawn here from the build's
pipdeptree.json (graph.svg escapes every text in it), never its own pipdeptree.svg, which may hold a
script. A damaged record or pipdeptree.json leaves out that record or picture, with one warning naming
it, and the rest of the catalog is built.
"""

import hashlib
import json
import sys
from pathlib import Path

from venvbuild import __version__
from venvbuild._util.console import say
from venvbuild._util.resources import read_text
from venvbuild.catalog import graph, model, pages, site
from venvbuild.errors import StoreError
from venvbuild.query import build_diff
from venvbuild.record import artifacts
from venvbuild.store import layout, stored_builds


def _fingerprint() -> str:
    """Changes with the code that renders pages, so a new venvbuild renders them all again."""
    digest = hashlib.sha256(__version__.encode())
    for module in (pages, graph, build_diff, model, sys.modules[__name__]):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


def generate(store, store_spec: str, target) -> dict:
    """Write the catalog of store to target (site.LocalSite or s3_site.S3Site); store_spec is how users name
    the store (for `venvbuild pull`)."""
    previous = target.previous()  # refuses a folder the catalog did not write, before any work
    records = stored_builds.records_with_digests(store, _cached_records(target, previous), damaged=_left_out)
    catalog = model.build([meta for meta, _ in records])
    record_digest = {meta["venv_version"]: digest for meta, digest in records}
    fingerprint = _fingerprint()
    writer = target.writer(previous)
    try:
        writer.add(pages.INDEX, pages.index_page().encode())
        writer.add(pages.DATA, pages.index_data(catalog).encode())
        writer.add(pages.CSS, read_text("catalog/catalog.css").encode())
        writer.add(pages.JS, read_text("catalog/catalog.js").encode())
        for meta in catalog.builds:
            version = meta["venv_version"]
            before = catalog.previous[version]
            page = pages.build_page_path(version)
            inputs = _digest(fingerprint, record_digest[version], before and record_digest[before["venv_version"]], store_spec)
            # A published build never changes: neither does its page (same inputs).
            if previous.unchanged(page, inputs) and writer.keep(page, inputs):
                continue
            writer.add(page, pages.build_page(meta, before, store_spec, _picture(store, meta)).encode(), inputs)
        for name, entry in catalog.packages.items():
            page = pages.package_page_path(name)
            inputs = _digest(
                fingerprint,
                entry.pins,
                [[catalog.builds[i]["venv_version"] for i in b] for b in entry.builds],
                [[catalog.builds[i]["env_name"] for i in b] for b in entry.builds],
            )
            if not (previous.unchanged(page, inputs) and writer.keep(page, inputs)):
                writer.add(page, pages.package_page(entry, catalog).encode(), inputs)
        writer.add(
            site.RECORDS, b"".join(json.dumps([digest, meta], separators=(",", ":")).encode() + b"\n" for meta, digest in records)
        )
        counts = writer.commit()
    except BaseException:
        writer.abort()
        raise
    say(
        f"catalog of {len(catalog.builds)} build(s) in {target.where}: {counts['written']} file(s) written, "
        f"{counts['kept']} unchanged, {counts['removed']} removed"
    )
    return {**counts, "builds": len(catalog.builds)}


def _cached_records(target, previous) -> dict:
    """venv_version -> (record, sha256) from the last run's RECORDS file, when it is the one the marker lists."""
    data = target.read(site.RECORDS) if site.RECORDS in previous.files else None
    if data is None or hashlib.sha256(data).hexdigest() != previous.files[site.RECORDS]:
        return {}
    cached = {}
    for line in data.splitlines():
        digest, meta = json.loads(line)
        cached[meta["venv_version"]] = (meta, digest)
    return cached


def _left_out(exc: StoreError) -> None:
    say(f"warning: {exc}; left out of the catalog")


def _picture(store, meta: dict) -> str | None:
    """An SVG drawn from the build's pipdeptree.json, or None when it has none or a damaged one (named in a
    warning). The build's own pipdeptree.svg is never used: served from the catalog's origin, a script in
    it would run there."""
    version = meta["venv_version"]
    data = stored_builds.read_artifact(store, version, artifacts.PIPDEPTREE_JSON)
    if data is None:
        return None
    try:
        tree = json.loads(data)
        if not isinstance(tree, list):
            raise ValueError("not a list")
        return graph.svg(tree)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        where = store.url(layout.artifact_key(store, version, artifacts.PIPDEPTREE_JSON))
        say(f"warning: {where}: damaged pipdeptree.json ({exc}); the page of {version} has no graph")
        return None
