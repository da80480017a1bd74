"""The dependency graph of a build as pictures: Mermaid and DOT text from pipdeptree's JSON, SVG via Graphviz.

Nodes are installed packages (and missing ones, dashed); an edge is labelled with its requirement. An
edge that breaks (missing dependency, installed version outside the range) is red, edges inside a
dependency cycle are orange: the same decisions as venvbuild.build.conflicts.
"""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List

from venvbuild.build import conflicts

CONFLICT_COLOUR = "#d62728"
CYCLE_COLOUR = "#ff7f0e"


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    missing: bool


@dataclass(frozen=True)
class Edge:
    parent: str
    child: str
    requirement: str  # "Any" when unconstrained
    kind: str  # ok | conflict | cycle


def graph(tree: list):
    """(nodes, edges) of pipdeptree's JSON tree, nodes sorted by key, edges in the tree's order."""
    nodes = {
        e["package"]["key"]: Node(
            e["package"]["key"], f"{e['package']['package_name']} {e['package']['installed_version']}", False
        )
        for e in tree
    }
    cyclic = conflicts.cyclic_keys(tree)
    edges: List[Edge] = []
    for entry in tree:
        parent = entry["package"]["key"]
        for dep in entry.get("dependencies", []):
            required = dep.get("required_version") or conflicts.ANY
            installed = dep.get("installed_version")
            if dep["key"] not in nodes:
                nodes[dep["key"]] = Node(dep["key"], f"{dep['package_name']} (missing)", True)
            if conflicts.edge_breaks(required, installed):
                kind = "conflict"
            elif parent in cyclic and dep["key"] in cyclic:
                kind = "cycle"
            else:
                kind = "ok"
            edges.append(Edge(parent, dep["key"], required, kind))
    return sorted(nodes.values(), key=lambda n: n.key), edges


def mermaid(tree: list) -> str:
    nodes, edges = graph(tree)
    ids = {n.key: f"n{i}" for i, n in enumerate(nodes)}
    lines = ["graph LR"]
    for node in nodes:
        lines.append(f'  {ids[node.key]}["{_mermaid_text(node.label)}"]' + (":::missing" if node.missing else ""))
    for edge in edges:
        label = "" if edge.requirement == conflicts.ANY else f'|"{_mermaid_text(edge.requirement)}"|'
        lines.append(f"  {ids[edge.parent]} -->{label} {ids[edge.child]}")
    lines.append(f"  classDef missing stroke:{CONFLICT_COLOUR},stroke-dasharray:4 2,color:{CONFLICT_COLOUR}")
    for number, edge in enumerate(edges):
        if edge.kind != "ok":
            colour = CONFLICT_COLOUR if edge.kind == "conflict" else CYCLE_COLOUR
            lines.append(f"  linkStyle {number} stroke:{colour},stroke-width:2px")
    return "\n".join(lines) + "\n"


def dot(tree: list) -> str:
    nodes, edges = graph(tree)
    lines = [
        "digraph pipdeptree {",
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in nodes:
        style = f', style=dashed, color="{CONFLICT_COLOUR}", fontcolor="{CONFLICT_COLOUR}"' if node.missing else ""
        lines.append(f"  {_dot_id(node.key)} [label={_dot_id(node.label)}{style}];")
    for edge in edges:
        attributes = [] if edge.requirement == conflicts.ANY else [f"label={_dot_id(edge.requirement)}"]
        if edge.kind != "ok":
            colour = CONFLICT_COLOUR if edge.kind == "conflict" else CYCLE_COLOUR
            attributes += [f'color="{colour}"', f'fontcolor="{colour}"', "penwidth=2"]
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {_dot_id(edge.parent)} -> {_dot_id(edge.child)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graphviz() -> str | None:
    """Graphviz's `dot` on PATH, or None."""
    return shutil.which("dot")


def svg(dot_text: str, target: Path, dot_program: str) -> str | None:
    """Render dot_text to target with Graphviz; returns why not (one line) when it failed, else None."""
    done = subprocess.run([dot_program, "-Tsvg"], input=dot_text, capture_output=True, text=True, errors="replace")
    if done.returncode != 0 or "<svg" not in done.stdout:
        return (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
    target.write_text(done.stdout, encoding="utf-8")
    return None


def _mermaid_text(text: str) -> str:
    # Mermaid's quoted labels end at '"' and read '#...;' as entities.
    return text.replace("#", "#35;").replace('"', "#quot;")


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
