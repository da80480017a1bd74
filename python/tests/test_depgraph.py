"""The dependency graph pictures: Mermaid and DOT text from pipdeptree's JSON, and what Graphviz makes of it."""

import json
import shutil

import pytest

from tests._support.records import make_build_dir
from venvbuild.build import graph_pictures, publish
from venvbuild.record import artifacts, metadata
from venvbuild.store.local import LocalStore


def entry(name, version, *deps):
    return {
        "package": {"key": name.lower(), "package_name": name, "installed_version": version},
        "dependencies": [
            {"key": d.lower(), "package_name": d, "installed_version": v, "required_version": r} for d, v, r in deps
        ],
    }


# alpha needs beta<2 (2.0 installed: conflict) and ghost (missing); delta <-> epsilon is a cycle.
TREE = [
    entry("alpha", "1.0", ("beta", "2.0", "<2"), ("ghost", "?", ">=1")),
    entry("beta", "2.0"),
    entry("delta", "1.0", ("epsilon", "1.0", None)),
    entry("epsilon", "1.0", ("delta", "1.0", ">=1")),
    entry("Zeta", "3.0", ("beta", "2.0", ">=1.5")),
]


def test_dot_colours_the_conflict_the_missing_package_and_the_cycle():
    text = graph_pictures.dot(TREE)
    assert '"alpha" -> "beta" [label="<2", color="#d62728"' in text
    assert '"ghost" [label="ghost (missing)", style=dashed' in text
    assert '"delta" -> "epsilon" [color="#ff7f0e"' in text and '"epsilon" -> "delta" [label=">=1", color="#ff7f0e"' in text
    assert '"zeta" -> "beta" [label=">=1.5"];' in text, "a satisfied edge stays plain"


def test_mermaid_styles_exactly_the_bad_edges():
    lines = graph_pictures.mermaid(TREE).splitlines()
    assert lines[0] == "graph LR"
    edges = [line for line in lines if "-->" in line]
    styled = {int(line.split()[1]): line for line in lines if line.strip().startswith("linkStyle")}
    bad = {i for i, line in enumerate(edges) if i in styled}
    assert [edges[i].strip() for i in sorted(bad)] == ['n0 -->|"<2"| n1', 'n0 -->|">=1"| n4', "n2 --> n3", 'n3 -->|">=1"| n2']
    assert "stroke:#d62728" in styled[0] and "stroke:#ff7f0e" in styled[2]
    assert any(":::missing" in line and "ghost (missing)" in line for line in lines)


def test_labels_cannot_break_out_of_their_quotes():
    tree = [entry('we"ird#', "1.0")]
    assert '"we#quot;ird#35;' in graph_pictures.mermaid(tree)
    assert '"we\\"ird# 1.0"' in graph_pictures.dot(tree)


@pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz is not installed")
def test_graphviz_reads_our_dot_and_draws_the_red_edge(tmp_path):
    target = tmp_path / "g.svg"
    assert graph_pictures.svg(graph_pictures.dot(TREE), target, shutil.which("dot")) is None
    svg = target.read_text()
    assert svg.count('<g id="node') == 6 and 'stroke="#d62728"' in svg and 'stroke="#ff7f0e"' in svg


def test_a_failing_graphviz_is_reported_not_raised(tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    assert graph_pictures.svg("digraph {", tmp_path / "g.svg", str(fake)) == "syntax error in line 1"
    assert not (tmp_path / "g.svg").exists()


def test_extra_artifacts_are_published_before_metadata_and_old_records_stay_valid(tmp_path, monkeypatch):
    build = make_build_dir(tmp_path / "builds", "venv_20250101_100000")
    for name in (artifacts.PIPDEPTREE_MMD, artifacts.PIPDEPTREE_DOT):
        (build / name).write_text("graph\n")
    meta = json.loads((build / "metadata.json").read_text())
    assert metadata.problems(meta) == [], "a record without extra_artifacts (published before them) is valid"
    meta["extra_artifacts"] = [artifacts.PIPDEPTREE_MMD, artifacts.PIPDEPTREE_DOT]
    metadata.write(meta, build / "metadata.json")
    assert metadata.problems({**meta, "extra_artifacts": ["../../etc/passwd"]}), "only known names"

    order = []
    store = LocalStore(tmp_path / "store")
    real = store.put_new
    monkeypatch.setattr(
        store,
        "put_new",
        lambda key, path, sha, movable=False: (order.append(key.rsplit("/", 1)[-1]), real(key, path, sha, movable)),
    )
    publish.publish(build, store)
    assert order[-4:] == ["pipdeptree.mmd", "pipdeptree.dot", "metadata.json", "venv_20250101_100000.json"]

    (build / artifacts.PIPDEPTREE_DOT).unlink()
    other = LocalStore(tmp_path / "other")
    with pytest.raises(Exception, match="missing pipdeptree.dot"):
        publish.publish(build, other)
