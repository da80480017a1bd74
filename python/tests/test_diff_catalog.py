"""`venvbuild diff` and `venvbuild catalog` over a store (the catalog's page behaviour: test_catalog_browser.py)."""

import json

import pytest

from tests._support.cli import run_cli as run
from tests._support.records import make_build_dir, with_own_svg
from venvbuild.build import publish
from venvbuild.catalog import site
from venvbuild.store.local import LocalStore

OLD, NEW, OTHER = "venv_20250101_100000", "venv_20250102_100000", "venv_20250103_100000"


def publish_build(tmp_path, version, **fields):
    build = make_build_dir(tmp_path / "builds", version, **fields)
    publish.publish(build, LocalStore(tmp_path / "store"))


@pytest.fixture
def store(tmp_path, capsys):
    publish_build(
        tmp_path,
        OLD,
        installed_packages=["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3", "six==1.16.0"],
        python_full_version="3.11.7",
    )
    publish_build(
        tmp_path,
        NEW,
        installed_packages=["Kedro==0.19.10", "numpy==1.24.4", "pandas==1.10.0", "PyYAML==6.0"],
        python_full_version="3.11.9",
        installer="uv",
        is_conflict_free=False,
        conflicts=["kedro 0.19.10 requires pandas<1.6, but pandas 1.10.0 is installed"],
        conflict_details=[
            {
                "kind": "version",
                "package": "pandas",
                "requirement": "pandas<1.6",
                "installed_version": "1.10.0",
                "required_by": "kedro 0.19.10",
            }
        ],
    )
    publish_build(
        tmp_path, OTHER, installed_packages=["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3", "six==1.16.0"], env_name="other"
    )
    capsys.readouterr()
    return tmp_path / "store"


def test_diff_reports_upgrades_in_pep440_order_and_exits_1(capsys, store):
    code, out, err = run(capsys, "diff", OLD, NEW, "--json", "--store", store)
    diff = json.loads(out)
    assert code == 1 and err == ""
    assert diff["upgraded"] == [["kedro", "0.18.14", "0.19.10"], ["pandas", "1.5.3", "1.10.0"]], "1.10 > 1.5"
    assert diff["added"] == [["PyYAML", "6.0"]] and diff["removed"] == [["six", "1.16.0"]]
    assert diff["environment"] == [["python", "3.11.7", "3.11.9"], ["installer", "pip", "uv"]]
    assert diff["conflicts_gained"] == ["kedro 0.19.10 requires pandas<1.6, but pandas 1.10.0 is installed"]
    back = json.loads(run(capsys, "diff", NEW, OLD, "--json", "--store", store)[1])
    assert back["downgraded"] == [["Kedro", "0.19.10", "0.18.14"], ["pandas", "1.10.0", "1.5.3"]]
    assert back["conflicts_lost"] == diff["conflicts_gained"]


def test_diff_text_and_markdown(capsys, store):
    code, out, err = run(capsys, "diff", OLD, NEW, "--store", store)
    assert "^ pandas 1.5.3 -> 1.10.0" in out.splitlines() and "+ PyYAML 6.0" in out and "installer: pip -> uv" in out
    code, out, err = run(capsys, "diff", OLD, NEW, "--markdown", "--store", store)
    assert "| upgraded | pandas | 1.5.3 | 1.10.0 |" in out and out.startswith("## `venv_20250101_100000`")


def test_same_installed_packages_exit_0(capsys, store):
    code, out, err = run(capsys, "diff", OLD, OTHER, "--store", store)
    assert code == 0 and out.strip().endswith("no differences")


@pytest.mark.parametrize(
    "a,b,message",
    [
        ("venv_20990101_000000", NEW, "venvbuild: error: A venv_20990101_000000: no such build in "),
        (OLD, "latest", "venvbuild: error: B 'latest' is not valid: venv_YYYYMMDD_HHMMSS"),
    ],
)
def test_diff_of_an_unknown_version_is_one_line_exit_2(capsys, store, a, b, message):
    code, out, err = run(capsys, "diff", a, b, "--store", store)
    assert (code, out) == (2, "") and err.startswith(message) and err.count("\n") == 1


def test_diff_of_a_damaged_record_is_one_line_exit_6(capsys, store):
    (store / "venv-builds" / NEW / "metadata.json").write_text('{"venv_version": "x"}\n')
    code, out, err = run(capsys, "diff", OLD, NEW, "--store", store)
    assert code == 6 and "damaged build record" in err and err.count("\n") == 1


def test_catalog_writes_pages_and_rewrites_only_what_changed(capsys, store, tmp_path):
    out = tmp_path / "site"
    assert run(capsys, "catalog", "--store", store, "--out", out)[0] == 0
    page = (out / "builds" / f"{NEW}.html").read_text()
    assert f"venvbuild pull {NEW} --store {store} --dest ./{NEW}" in page
    assert "upgraded</td><td>pandas</td><td>1.5.3</td><td>1.10.0" in page and f'href="{OLD}.html"' in page
    assert '<div id="graph" role="img" aria-label="dependency graph of venv_20250102_100000"><svg' in page
    assert "venv_20250103_100000" in (out / "packages" / "six.html").read_text()
    inodes = {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()}

    publish_build(tmp_path, "venv_20250104_100000", installed_packages=["numpy==2.0.0"], env_name="other")
    code, _, err = run(capsys, "catalog", "--store", store, "--out", out)
    assert code == 0
    changed = {p for p, ino in inodes.items() if not p.exists() or p.stat().st_ino != ino}
    assert {p.relative_to(out).as_posix() for p in changed} == {
        ".venvbuild-catalog.json",
        ".venvbuild-catalog-records.jsonl",
        "data/index.js",
        "packages/numpy.html",
    }
    assert (out / "builds" / "venv_20250104_100000.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")], "no temporary folder left"


def test_catalog_refuses_a_folder_it_did_not_write(capsys, store, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, _, err = run(capsys, "catalog", "--store", store, "--out", out)
    assert code == 2 and "not written by venvbuild catalog" in err and err.count("\n") == 1
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_damaged_record_is_left_out_with_one_warning_and_the_rest_is_built(capsys, store, tmp_path):
    """One damaged record (or pipdeptree.json) costs only its own page: the catalog names it in one warning
    line, builds every other page, and exits 0."""
    out = tmp_path / "site"
    record = store / "venv-builds-metadata" / "dt=2025-01-09" / "venv_20250109_100000.json"
    record.parent.mkdir()
    record.write_text("{not json")
    (store / "venv-builds" / NEW / "pipdeptree.json").write_text('{"not": "a list"}')
    code, _, err = run(capsys, "catalog", "--store", store, "--out", out)
    assert code == 0, err
    warnings = err.splitlines()[:-1]
    assert len(warnings) == 2 and all(w.startswith("venvbuild: warning: ") for w in warnings), err
    assert f"{record.as_uri()}: damaged build record, not valid JSON" in warnings[0]
    assert warnings[0].endswith("left out of the catalog")
    assert f"{NEW}/pipdeptree.json: damaged pipdeptree.json (not a list)" in warnings[1]
    assert sorted(p.name for p in (out / "builds").iterdir()) == [f"{v}.html" for v in (OLD, NEW, OTHER)]
    assert "No dependency graph recorded." in (out / "builds" / f"{NEW}.html").read_text()
    assert '<div id="graph"' in (out / "builds" / f"{OLD}.html").read_text()
    assert "venv_20250109_100000" not in (out / "data" / "index.js").read_text()


def test_a_failure_while_writing_leaves_the_old_site(capsys, store, tmp_path, monkeypatch):
    out = tmp_path / "site"
    assert run(capsys, "catalog", "--store", store, "--out", out)[0] == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    def broken(new, current):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(site, "_swap", broken)
    publish_build(tmp_path, "venv_20250104_100000", installed_packages=["numpy==2.0.0"])
    code, _, err = run(capsys, "catalog", "--store", store, "--out", out)
    assert code == 2 and "No space left on device" in err
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


MUTATIONS = [
    ("env_name", None),
    ("archive_size", True),
    ("archive_size", "1"),
    ("installed_packages", ["a==1", "b"]),
    ("installer", "conda"),
    ("surprise", 1),
    ("extra_artifacts", ["../x"]),
    ("build_url", 3),
    ("venv_version", "v1"),
    ("conflict_details", [{"kind": "version"}]),
    ("archive_size", -1),
    ("archive_format", 0),
    ("relocation", {"placeholder": "relative", "files": [], "binary_files": []}),
    ("extra_artifacts", ["pipdeptree.dot", "pipdeptree.dot"]),
    ("relocation", {"placeholder": "/p", "files": [{"path": "bin/x", "kind": "elf"}], "binary_files": []}),
    (
        "conflict_details",
        [{"kind": "cycle", "package": "a", "requirement": "a", "installed_version": None, "required_by": "b", "extra": 1}],
    ),
]


@pytest.mark.parametrize("field,value", MUTATIONS)
def test_the_record_check_refuses_what_the_schema_refuses(field, value):
    from tests._support.records import make_metadata
    from venvbuild.errors import StoreError
    from venvbuild.record import metadata
    from venvbuild.store import stored_builds

    good = make_metadata(
        extra_artifacts=["pipdeptree.dot"],
        archive_format=2,
        relocation={"placeholder": "/p", "files": [{"path": "bin/activate", "kind": "text"}], "binary_files": []},
    )
    assert metadata.is_valid(good)
    bad = dict(good)
    if value is None:
        del bad[field]
    else:
        bad[field] = value
    assert metadata.problems(bad)
    assert not metadata.is_valid(bad)
    with pytest.raises(StoreError, match="damaged build record"):
        stored_builds.parse(json.dumps(bad).encode(), "here")


def test_a_builds_own_svg_never_reaches_the_site(capsys, store, tmp_path):
    """A build's pipdeptree.svg may hold a script; copied into the site it would run on the catalog's
    origin. The site draws the graph from pipdeptree.json instead and holds no file from the build."""
    publish.publish(with_own_svg(make_build_dir(tmp_path / "builds", "venv_20250104_100000")), LocalStore(store))
    out = tmp_path / "site"
    assert run(capsys, "catalog", "--store", store, "--out", out)[0] == 0
    page = (out / "builds" / "venv_20250104_100000.html").read_text()
    assert '<div id="graph" role="img"' in page and ">six 1.16.0</text>" in page, "drawn from pipdeptree.json"
    assert "<script" not in page and "onload" not in page and "foreignObject" not in page and "evil" not in page
    assert [p for p in out.rglob("*") if p.suffix not in (".html", ".js", ".css", ".json", ".jsonl", "")] == []
    assert all('http-equiv="Content-Security-Policy"' in p.read_text() for p in out.rglob("*.html"))


def test_a_package_listed_under_several_spellings_is_reported_not_silently_picked(capsys, store, tmp_path):
    """One record listing six, Six and SIX (PEP 503: one package) is a duplicate the diff names, with the
    record and the pin it compared; it is never one of them chosen in silence."""
    twice = "venv_20250104_100000"
    publish_build(
        tmp_path,
        twice,
        installed_packages=["kedro==0.18.14", "numpy==1.24.4", "pandas==1.5.3", "six==1.16.0", "Six==1.17.0", "SIX==1.15.0"],
    )
    capsys.readouterr()
    code, out, err = run(capsys, "diff", OLD, twice, "--store", store)
    assert code == 1 and err == ""
    assert (
        f"duplicate in {twice}: six listed as six==1.16.0, Six==1.17.0, SIX==1.15.0; compared as six==1.16.0" in out.splitlines()
    )
    assert not any(line.startswith(("^ ", "v ", "~ ")) for line in out.splitlines()), "six==1.16.0 in both"
    code, out, _ = run(capsys, "diff", OLD, twice, "--json", "--store", store)
    assert code == 1 and json.loads(out)["duplicates"] == [[twice, "six", ["six==1.16.0", "Six==1.17.0", "SIX==1.15.0"]]]
    code, out, _ = run(capsys, "diff", OLD, twice, "--markdown", "--store", store)
    assert f"- duplicate in `{twice}`: six listed as six==1.16.0, Six==1.17.0, SIX==1.15.0" in out
    assert run(capsys, "catalog", "--store", store, "--out", tmp_path / "site")[0] == 0
    page = (tmp_path / "site" / "builds" / f"{twice}.html").read_text()
    assert f"<td>duplicate</td><td>six in {twice}: listed as six==1.16.0, Six==1.17.0, SIX==1.15.0" in page


def test_a_record_repeating_an_extra_artifact_is_refused_by_catalog_diff_search_and_pull(capsys, store, tmp_path):
    """uniqueItems is part of the schema: every command that reads records refuses such a record as damaged,
    in one line: diff, which names it, fails; catalog, search and pull --latest leave it out with a warning."""
    damaged = {
        **json.loads((store / "venv-builds" / NEW / "metadata.json").read_text()),
        "extra_artifacts": ["pipdeptree.dot", "pipdeptree.dot"],
    }
    text = json.dumps(damaged) + "\n"
    (store / "venv-builds" / NEW / "metadata.json").write_text(text)
    (store / "venv-builds-metadata" / "dt=2025-01-02" / f"{NEW}.json").write_text(text)
    why = "extra_artifacts: ['pipdeptree.dot', 'pipdeptree.dot'] has non-unique elements"

    code, _, err = run(capsys, "catalog", "--store", store, "--out", tmp_path / "site")
    [warning] = [line for line in err.splitlines() if "warning" in line]
    assert code == 0 and why in warning and NEW in warning, "left out with one warning"
    assert not (tmp_path / "site" / "builds" / f"{NEW}.html").exists()
    code, out, err = run(capsys, "diff", OLD, NEW, "--store", store)
    assert (code, out) == (6, "") and err.count("\n") == 1 and f"damaged build record, {why}" in err
    code, out, err = run(capsys, "search", "numpy", "--store", store)
    assert code == 0 and NEW not in out and OLD in out
    assert err.count("\n") == 1 and f"{NEW}.json skipped: does not match metadata.schema.json: {why}" in err
    from venvbuild.consume import pull

    assert pull.find_build(LocalStore(store), env_name="demo")["venv_version"] == OLD
