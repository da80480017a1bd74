"""The catalog in a real browser (Debian's headless Chromium): its search box gives `venvbuild search`'s
answers, build pages show the pull command, the graph and the diff, and no page throws a JavaScript error."""

import json
import os
import shutil

import pytest

from tests._support.browser import Chromium, StaticServer, chromium_path
from tests._support.records import make_build_dir
from venvbuild import cli
from venvbuild.build import publish
from venvbuild.store.local import LocalStore

if not chromium_path() and os.environ.get("VENVBUILD_REQUIRE_BROWSER"):
    raise RuntimeError("chromium is not installed, and VENVBUILD_REQUIRE_BROWSER (set by .ci/run) requires it")
pytestmark = pytest.mark.skipif(not chromium_path(), reason="chromium is not installed (.ci/run installs it)")

# Names and versions that trip naive matching: normalisation, pre/post/dev releases, epochs, local
# versions, 1.10 > 1.9, and a version PEP 440 cannot parse.
BUILDS = {
    "venv_20250101_100000": dict(installed_packages=["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3", "legacy==1.0-1"]),
    "venv_20250102_100000": dict(
        installed_packages=["kedro-viz==6.7.0", "numpy==1.24.4+local.1", "pandas==1.10.0"],
        python_version="3.10",
        python_full_version="3.10.14",
    ),
    "venv_20250103_100000": dict(
        installed_packages=["pandas==2.0.0rc1", "scikit_learn==1.5.2", "weird==not.a.version"],
        is_conflict_free=False,
        conflicts=["x requires y"],
    ),
    "venv_20250104_100000": dict(
        installed_packages=["Kedro==0.19.0rc1", "numpy==2.0.0.dev3", "pandas==2.0.0"],
        env_name="other",
        python_version="3.12",
        python_full_version="3.12.4",
    ),
    "venv_20250105_100000": dict(
        installed_packages=["kedro==0.19.10", "pandas==2.0.0.post1", "Scikit-Learn==1.3.2", "zope.interface==6.0", "legacy==1.0"]
    ),
    "venv_20250105_120000": dict(installed_packages=["kedro==1!0.1", "pandas==2", "numpy==1.24.4"]),
}

# (search box text, options): the same question to the page and to `venvbuild search`.
CORPUS = [
    ("kedro", {}),
    ("Kedro", {}),
    ("kedro-viz", {}),
    ("KEDRO_VIZ", {}),
    ("nothing-here", {}),
    ("pandas>=1.5,<2", {}),
    ("pandas<2", {}),
    ("pandas>1.5.3", {}),
    ("pandas>=2.0.0rc1", {}),
    ("pandas>2.0.0", {}),
    ("pandas==2.0.*", {}),
    ("pandas!=1.5.3", {}),
    ("pandas~=1.5", {}),
    ("pandas~=2.0.0", {}),
    ("pandas<=2.0.0", {}),
    ("pandas===2.0.0", {}),
    ("pandas==2", {}),
    ("pandas>=1.9", {}),
    ("pandas<2.0.0rc2", {}),
    ("pandas>2", {}),
    ("kedro>0.18.14", {}),
    ("kedro>=1!0", {}),
    ("kedro<1!0", {}),
    ("kedro>=0.19.0rc1", {}),
    ("numpy==1.24.4", {}),
    ("numpy<=1.24.4", {}),
    ("numpy>1.24.4", {}),
    ("numpy>=2.0.0.dev1", {}),
    ("numpy==1.24.4+local.1", {}),
    ("numpy!=1.24.4", {}),
    ("numpy==1.24.*", {}),
    ("scikit_learn>=1.4", {}),
    ("Scikit.Learn", {}),
    ("ZOPE_Interface==6", {}),
    ("weird", {}),
    ("weird>=0", {}),
    ("weird===not.a.version", {}),
    ("legacy>1.0", {}),
    ("legacy==1.0.post1", {}),
    ("legacy>=1.0", {}),
    ("pandas kedro", {}),
    ("pandas<2 kedro>=0.19", {}),
    ("pandas>=1.5 pandas<2", {}),
    ("pandas >= 1.5, <2", {}),
    ("kedro>0.18.14", {"pre": True}),
    ("pandas<2", {"pre": True}),
    ("numpy<2", {"pre": True}),
    ("pandas>2", {"pre": True}),
    ("pandas<=2.0.0.post1", {}),
    ("pandas>=2.0.0.post1", {}),
    ("pandas==2.0.0rc1", {}),
    ("pandas!=2.0.*", {}),
    ("kedro~=0.19.0", {}),
    ("KEDRO>=0.19,!=0.19.10", {}),
    ("numpy>1.24.4", {"pre": True}),
    ("legacy<=1.0", {}),
    ("numpy==1.24.4+LOCAL.1", {}),
    ("numpy<=1.24.4", {"pre": True}),
    ("pandas>2.0.0rc1", {}),
    ("pandas<2.0.0.post1", {}),
    ("numpy<2.0.0", {"pre": True}),
    ("numpy>=2.0.0.dev3,<2.0.0", {}),
    ("kedro===0.19.10", {}),
    ("kedro", {"python": "3.10"}),
    ("kedro-viz", {"python": "3.10"}),
    ("pandas", {"conflict_free": True}),
    ("kedro", {"env": "other"}),
    ("pandas", {"since": "2025-01-04"}),
]
INVALID = ["pandas>=", "pandas[extra]", "pandas @ http://example.invalid/p.whl", "pandas>=1.*", "pandas==1.0.*+x"]


def cli_search(capsys, store, text, options):
    argv = (
        ["search", *text.split(" "), "--json", "--store", str(store)]
        if " >= " not in text
        else ["search", text, "--json", "--store", str(store)]
    )
    if options.get("pre"):
        argv.append("--pre")
    if options.get("python"):
        argv += ["--python", options["python"]]
    if options.get("env"):
        argv += ["--env-name", options["env"]]
    if options.get("conflict_free"):
        argv.append("--conflict-free")
    if options.get("since"):
        argv += ["--since", options["since"]]
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return [[r["venv_version"], sorted(r["packages"])] for r in map(json.loads, out.splitlines())]


def page_search(browser, text, options):
    return browser.evaluate(f"""(function () {{
        var $ = function (id) {{ return document.getElementById(id); }};
        $("pre").checked = {json.dumps(bool(options.get("pre")))};
        $("python").value = {json.dumps(options.get("python", ""))};
        $("env").value = {json.dumps(options.get("env", ""))};
        $("conflict-free").checked = {json.dumps(bool(options.get("conflict_free")))};
        $("since").value = {json.dumps(options.get("since", ""))};
        $("q").value = {json.dumps(text)};
        $("q").dispatchEvent(new Event("input"));
        if (!$("error").hidden) return "error: " + $("error").textContent;
        return Array.from(document.querySelectorAll("#builds tbody tr")).map(function (tr) {{
            return [tr.cells[0].textContent, tr.cells[4].textContent.split(" ").filter(Boolean).sort()];
        }});
    }})()""")


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalog")
    store = LocalStore(root / "store")
    for version, fields in BUILDS.items():
        publish.publish(make_build_dir(root / "builds", version, **fields), store)
    assert cli.main(["catalog", "--store", str(root / "store"), "--out", str(root / "site")]) == 0
    return root


@pytest.fixture(scope="module")
def browser(catalog):
    server = StaticServer(catalog / "site")
    chromium = Chromium(catalog / "profile")
    try:
        yield chromium, server.url
    finally:
        chromium.close()
        server.close()


def test_the_search_box_answers_as_venvbuild_search_does(browser, catalog, capsys):
    chromium, url = browser
    chromium.navigate(url + "index.html")
    chromium.wait_for("window.venvbuildCatalogReady")
    assert chromium.evaluate("document.querySelectorAll('#builds tbody tr').length") == len(BUILDS)
    differences = []
    for text, options in CORPUS:
        expected = cli_search(capsys, catalog / "store", text, options)
        got = page_search(chromium, text, options)
        if got != expected:
            differences.append((text, options, got, expected))
    assert differences == []
    assert chromium.errors == []


@pytest.mark.parametrize("text", INVALID)
def test_a_spec_the_cli_refuses_is_an_error_on_the_page(browser, catalog, capsys, text):
    chromium, url = browser
    chromium.navigate(url + "index.html")
    assert cli.main(["search", text, "--store", str(catalog / "store")]) == 2
    capsys.readouterr()
    assert page_search(chromium, text, {}).startswith(f"error: SPEC '{text}'")
    assert chromium.errors == []


def test_rows_lead_to_the_build_page_with_pull_graph_and_diff(browser, catalog, tmp_path):
    chromium, url = browser
    chromium.navigate(url + "index.html#q=" + "kedro%3E%3D1!0")
    chromium.wait_for("document.querySelectorAll('#builds tbody tr').length === 1")
    assert chromium.evaluate("document.getElementById('q').value") == "kedro>=1!0"
    shot = chromium.screenshot(tmp_path / "catalog-index.png")
    assert shot.stat().st_size > 10_000
    chromium.evaluate("document.querySelector('#builds tbody tr a').click()")
    chromium.wait_for("location.pathname.endsWith('/builds/venv_20250105_120000.html') && document.readyState === 'complete'")
    page = chromium.evaluate("""({
        pull: document.getElementById('pull').textContent,
        diff: Array.from(document.querySelectorAll('#diff tbody tr')).map(function (tr) {
            return Array.from(tr.cells).map(function (c) { return c.textContent; }); }),
        graph: document.querySelectorAll('#graph svg').length,
        sha: document.querySelector('.downloads .sha').textContent })""")
    store = catalog / "store"
    assert page["pull"] == f"venvbuild pull venv_20250105_120000 --store {store} --dest ./venv_20250105_120000"
    assert ["upgraded", "kedro", "0.19.10", "1!0.1"] in page["diff"], "epoch 1 is later than any epoch 0"
    assert ["downgraded", "pandas", "2.0.0.post1", "2"] in page["diff"]
    assert ["removed", "legacy", "1.0", ""] in page["diff"]
    assert page["graph"] == 1 and len(page["sha"]) == 64
    chromium.screenshot(tmp_path / "catalog-build.png")
    chromium.navigate(url + "packages/pandas.html")
    headings = chromium.evaluate("Array.from(document.querySelectorAll('h2')).map(function (h) { return h.textContent; })")
    assert headings == ["2.0.0.post1", "2.0.0", "2", "2.0.0rc1", "1.10.0", "1.5.3"], "PEP 440 order, newest first"
    assert chromium.errors == []


def test_the_catalog_works_from_file_urls(browser, catalog):
    chromium, _ = browser
    chromium.navigate((catalog / "site" / "index.html").as_uri() + "#q=kedro")
    rows = chromium.wait_for("document.querySelectorAll('#builds tbody tr').length")
    assert rows == 4
    assert chromium.errors == []


def test_a_javascript_error_fails_the_check(browser, catalog, tmp_path):
    chromium, url = browser
    broken = tmp_path / "broken"
    shutil.copytree(catalog / "site", broken)
    (broken / "data" / "index.js").write_text("window.VENVBUILD_CATALOG = {builds: null};\n")
    chromium.navigate((broken / "index.html").as_uri())
    assert chromium.errors, "the page's TypeError was seen"
    chromium.errors.clear()


# Every free-text field of a record, each trying to run code: set window.owned, or open a dialog.
HOSTILE_VERSION = "venv_20250201_100000"
HOSTILE_FIELDS = dict(
    build_url="javascript:window.owned=10",
    git_commit='"><img src=x onerror="window.owned=11">',
    python_home="<script>window.owned=12</script>",
    platform="</title><script>window.owned=13</script>",
    venvbuild_version="<svg onload=window.owned=14>",
    python_full_version='3.11.7"><iframe src="javascript:parent.owned=15">',
    conflicts=["<img src=x onerror=window.owned=16>"],
    conflict_details=[
        {
            "kind": "cycle",
            "package": "six",
            "requirement": "<script>window.owned=17</script>",
            "installed_version": None,
            "required_by": "six",
        },
        {
            "kind": "missing",
            "package": "x",
            "requirement": "x",
            "installed_version": None,
            "required_by": "<img src=x onerror=window.owned=16>",
        },
    ],
    is_conflict_free=False,
    installed_packages=["six==1.0</script><script>alert(18)</script>", "evil==<img/src/onerror/alert(19)>"],
)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, browser):
    from tests._support.records import with_own_svg

    root = tmp_path_factory.mktemp("hostile")
    store = LocalStore(root / "store")
    publish.publish(make_build_dir(root / "builds", "venv_20250101_100000", installed_packages=["six==0.9"]), store)
    publish.publish(with_own_svg(make_build_dir(root / "builds", HOSTILE_VERSION, **HOSTILE_FIELDS)), store)
    assert cli.main(["catalog", "--store", str(root / "store"), "--out", str(root / "site")]) == 0
    server = StaticServer(root / "site")
    try:
        yield root / "site", server.url
    finally:
        server.close()


def visit(chromium, url):
    """Open url; what ran there: window.owned (undefined when nothing ran), and whether a dialog opened."""
    chromium.navigate(url)
    return chromium.evaluate(
        "window.owned === undefined ? null : window.owned"
    ), "Page.javascriptDialogOpening" in chromium.events


@pytest.mark.parametrize("over", ["http", "file"])
def test_nothing_a_build_stored_runs_in_the_catalog(browser, hostile_site, over):
    """A build's own pipdeptree.svg and script-laden text in every record field: no page of the site runs any
    of it, from a web server or from file://, and each page shows the text as text."""
    chromium, _ = browser
    site, url = hostile_site
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert not [f for f in files if f.endswith(".svg")], "the build's own SVG is not in the site"
    pages = [f for f in files if f.endswith(".html")] + [f"builds/{HOSTILE_VERSION}.svg"]
    for page in pages:
        address = url + page if over == "http" else (site / page).as_uri()
        assert visit(chromium, address) == (None, False), page
    assert [e for e in chromium.errors if "Failed to load resource" not in e] == [], "only the SVG is not found"
    chromium.errors.clear()
    chromium.navigate(
        url + f"builds/{HOSTILE_VERSION}.html" if over == "http" else (site / "builds" / f"{HOSTILE_VERSION}.html").as_uri()
    )
    shown = chromium.evaluate("""({
        facts: Array.from(document.querySelectorAll('.facts td')).map(function (td) { return td.textContent; }),
        links: Array.from(document.querySelectorAll('a')).map(function (a) { return a.protocol; }),
        conflicts: document.getElementById('conflicts').textContent,
        packages: document.getElementById('packages').textContent,
        graph: document.querySelectorAll('#graph svg text').length,
        csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]').content })""")
    for field in ("build_url", "git_commit", "python_home", "platform", "venvbuild_version", "python_full_version"):
        assert any(HOSTILE_FIELDS[field] in text for text in shown["facts"]), field
    assert "javascript:" not in shown["links"]
    assert "<img src=x onerror=window.owned=16>" in shown["conflicts"]
    assert "dependency cycle: <script>window.owned=17</script>" in shown["conflicts"]
    assert "six==1.0</script><script>alert(18)</script>" in shown["packages"]
    assert shown["graph"] == 1, "drawn from pipdeptree.json"
    assert "script-src 'self'" in shown["csp"] and "object-src 'none'" in shown["csp"]
    chromium.navigate(url + "index.html#q=evil" if over == "http" else (site / "index.html").as_uri() + "#q=evil")
    chromium.wait_for("document.querySelectorAll('#builds tbody tr').length === 1")
    assert (
        chromium.evaluate("document.querySelector('#builds tbody tr').cells[4].textContent")
        == "evil==<img/src/onerror/alert(19)>"
    )
    assert chromium.evaluate("window.owned === undefined") and "Page.javascriptDialogOpening" not in chromium.events
    # The missing SVG's 404 may be reported late, on a loaded machine; any other error fails.
    assert [e for e in chromium.errors if "Failed to load resource" not in e] == []


def test_the_policy_refuses_a_script_that_got_into_a_page(browser, hostile_site):
    """The Content-Security-Policy is a second wall: a script element put into a page (as an escaping bug
    would) does not run, and the catalog's own script still does."""
    chromium, _ = browser
    site, _ = hostile_site
    chromium.navigate((site / "index.html").as_uri() + "#q=six")
    chromium.wait_for("window.venvbuildCatalogReady")
    chromium.evaluate(
        "var s = document.createElement('script'); s.textContent = 'window.owned = 20'; "
        "document.body.appendChild(s); var i = document.createElement('img'); i.src = 'x'; "
        "i.setAttribute('onerror', 'window.owned = 21'); document.body.appendChild(i); 0"
    )
    chromium.wait_for("document.querySelectorAll('img').length === 1")
    assert chromium.evaluate("window.owned === undefined")
    refused = [e for e in chromium.errors if "Failed to load resource" not in e]  # the img's 'x' is not found
    assert len(refused) == 2 and all("Content Security Policy" in e for e in refused), chromium.errors
    chromium.errors.clear()
