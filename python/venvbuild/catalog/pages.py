"""The catalog's HTML pages, rendered as text. Every value from a record is escaped; links are relative,
so the site works from any folder, a web server or file://.

Every page carries a Content-Security-Policy (CSP): scripts, styles and pictures come only from the site's
own files, so even a value that got past escaping could not run, load or send anything. The pages have no
inline script, style or event handler. A <meta> policy cannot say frame-ancestors; a web server in front
of the site (an S3 website behind CloudFront: a response-headers policy) should send this policy as a
header, with frame-ancestors 'none' and X-Content-Type-Options: nosniff.
"""

import json
import shlex
from html import escape

from packaging.utils import canonicalize_name

from venvbuild import __version__
from venvbuild.catalog import model
from venvbuild.query import build_diff
from venvbuild.record import artifacts, metadata

INDEX = "index.html"
DATA = "data/index.js"
CSS = "assets/catalog.css"
JS = "assets/catalog.js"


def build_page_path(version: str) -> str:
    return f"builds/{version}.html"


def package_page_path(name: str) -> str:
    return f"packages/{name}.html"


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


def _page(title: str, body: str, depth: int, scripts=()) -> str:
    up = "../" * depth
    tags = "".join(f'<script src="{up}{escape(s)}"></script>' for s in scripts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="{up}{CSS}"></head>\n'
        f'<body><header><a href="{up}{INDEX}">venvbuild catalog</a></header>\n<main>\n{body}\n</main>'
        f"<footer>venvbuild {escape(__version__)}</footer>{tags}</body></html>\n"
    )


def index_page() -> str:
    body = """<h1>Builds</h1>
<form id="filters">
<label>Search <input id="q" type="search" size="40" placeholder="NAME[SPEC] …, e.g. pandas>=1.5,<2" autocomplete="off"></label>
<label><input id="pre" type="checkbox"> pre-releases</label>
<label>Env <select id="env"><option value="">any</option></select></label>
<label>Python <select id="python"><option value="">any</option></select></label>
<label><input id="conflict-free" type="checkbox"> conflict-free</label>
<label>Since <input id="since" type="date"></label>
</form>
<p id="status" role="status">Loading…</p>
<p id="error" class="error" hidden></p>
<table id="builds"><thead><tr><th>Version</th><th>Env</th><th>Created</th><th>Python</th><th>Packages</th><th>Conflict-free</th></tr></thead><tbody></tbody></table>
<p><button id="more" type="button" hidden>Show more</button></p>"""
    return _page("venvbuild catalog", body, 0, scripts=(DATA, JS))


def index_data(catalog: model.Catalog) -> str:
    """The index's data as a script (a script loads from file://, where fetching JSON is refused)."""
    builds = [
        [m["venv_version"], m["env_name"], m["python_version"], m["created_at"], m["is_conflict_free"]] for m in catalog.builds
    ]
    packages = {
        name: {"v": [[pin, model.version_parts(pin.partition("==")[2])] for pin in entry.pins], "b": entry.builds}
        for name, entry in catalog.packages.items()
    }
    data = json.dumps({"builds": builds, "packages": packages}, separators=(",", ":"))
    # "</" cannot end the script early when the page inlines it; in a .js file it is harmless either way.
    return "window.VENVBUILD_CATALOG=" + data.replace("</", "<\\/") + ";\n"


def build_page(meta: dict, previous, store_spec: str, picture) -> str:
    """picture: an SVG the catalog drew (graph.svg, every text in it escaped; inlined: one file less per
    build), or None. Never a build's own SVG or HTML."""
    version = meta["venv_version"]
    archive = metadata.compression_of(meta)
    facts = [
        ("Env", escape(meta["env_name"])),
        ("Created", escape(meta["created_at"])),
        ("Python", f"{escape(meta['python_full_version'])} ({escape(meta['python_home'])})"),
        ("Platform", escape(meta["platform"])),
        ("Installer", escape(meta["installer"])),
        ("Conflict-free", "yes" if meta["is_conflict_free"] else '<span class="bad">no</span>'),
        ("Packages", str(len(meta["installed_packages"]))),
        ("venvbuild", escape(meta["venvbuild_version"])),
        ("Build", _link_or_text(meta.get("build_url"))),
        ("Git commit", escape(meta.get("git_commit") or "")),
    ]
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts)
    downloads = [
        (
            artifacts.archive_name(version, archive),
            meta["venv_archive"],
            meta["archive_sha256"],
            f"{meta['archive_size']:,} bytes",
        ),
        (artifacts.REQUIREMENTS, meta["requirements_file"], meta["requirements_sha256"], ""),
        (artifacts.PIPDEPTREE_JSON, meta["pipdeptree_output"], "", ""),
    ]
    base = meta["venv_archive"].rsplit("/", 1)[0]
    for name in (
        artifacts.PIPDEPTREE_TXT,
        artifacts.INSTALLED_TXT,
        artifacts.INSTALLED_JSON,
        *meta.get("extra_artifacts", ()),
        artifacts.METADATA,
    ):
        downloads.append((name, f"{base}/{name}", "", ""))
    download_rows = "".join(
        f'<tr><td>{_link_or_text(url, name)}</td><td class="sha">{escape(sha)}</td><td>{escape(size)}</td></tr>'
        for name, url, sha, size in downloads
    )
    pull = f"venvbuild pull {version} --store {_shell_word(store_spec)} --dest ./{version}"
    packages = "".join(
        f'<li><a href="../{escape(package_page_path(canonicalize_name(pin.partition("==")[0])))}">{escape(pin)}</a></li>'
        for pin in meta["installed_packages"]
    )
    conflicts = "".join(f"<li>{escape(line)}</li>" for line in build_diff.conflict_lines(meta)) or "<li>none</li>"
    if picture:
        picture = f'<div id="graph" role="img" aria-label="dependency graph of {escape(version)}">{picture}</div>'
    else:
        picture = "<p>No dependency graph recorded.</p>"
    body = f"""<h1>{escape(version)}</h1>
<table class="facts">{rows}</table>
<h2>Get it</h2>
<pre id="pull">{escape(pull)}</pre>
<table class="downloads"><thead><tr><th>Artifact</th><th>sha256</th><th>Size</th></tr></thead><tbody>{download_rows}</tbody></table>
<h2>Conflicts</h2><ul id="conflicts">{conflicts}</ul>
<h2>Dependency graph</h2>{picture}
<h2>Changes since the previous {escape(meta["env_name"])} build</h2>
{diff_html(previous, meta)}
<h2>Packages</h2><ul id="packages" class="columns">{packages}</ul>"""
    return _page(version, body, 1)


def diff_html(previous, meta: dict) -> str:
    if previous is None:
        return '<p id="diff">The first build of this env.</p>'
    diff = build_diff.compare(previous, meta)
    rows = (
        [("environment", label, was, now) for label, was, now in diff.environment]
        + [("added", n, "", v) for n, v in diff.added]
        + [("removed", n, v, "") for n, v in diff.removed]
        + [("upgraded", n, a, b) for n, a, b in diff.upgraded]
        + [("downgraded", n, a, b) for n, a, b in diff.downgraded]
        + [("changed", n, a, b) for n, a, b in diff.changed]
        + [("conflict gained", c, "", "") for c in diff.conflicts_gained]
        + [("conflict lost", c, "", "") for c in diff.conflicts_lost]
        + [
            ("duplicate", f"{name} in {version}: listed as {', '.join(pins)}; compared as {pins[0]}", "", "")
            for version, name, pins in diff.duplicates
        ]
    )
    link = f'<a href="{escape(previous["venv_version"])}.html">{escape(previous["venv_version"])}</a>'
    if not rows:
        return f'<p id="diff">Same as {link}.</p>'
    cells = "".join(
        f'<tr class="{kind.split()[0]}"><td>{escape(kind)}</td><td>{escape(str(what))}</td>'
        f"<td>{escape(str(a or ''))}</td><td>{escape(str(b or ''))}</td></tr>"
        for kind, what, a, b in rows
    )
    return (
        f'<p>Against {link}:</p><table id="diff"><thead><tr><th>Change</th><th>What</th><th>Before</th>'
        f"<th>After</th></tr></thead><tbody>{cells}</tbody></table>"
    )


def package_page(entry: model.PackageVersions, catalog: model.Catalog) -> str:
    sections = []
    for pin, indexes in reversed(list(zip(entry.pins, entry.builds))):
        links = "".join(
            f'<li><a href="../{build_page_path(catalog.builds[i]["venv_version"])}">'
            f"{escape(catalog.builds[i]['venv_version'])}</a> {escape(catalog.builds[i]['env_name'])}</li>"
            for i in indexes
        )
        sections.append(f"<h2>{escape(pin.partition('==')[2])}</h2><ul>{links}</ul>")
    body = f"<h1>{escape(entry.name)}</h1><p>{len(entry.pins)} version(s), newest first.</p>" + "".join(sections)
    return _page(entry.name, body, 1)


def _link_or_text(url, text=None) -> str:
    if not url:
        return ""
    label = escape(text or url)
    if url.startswith(("http://", "https://", "file://")):
        return f'<a href="{escape(url)}">{label}</a>'
    return f'<span title="{escape(url)}">{label}</span>'


def _shell_word(text: str) -> str:
    return shlex.quote(text)
