"""The package's layers hold: a module imports only from its own layer or lower ones, and no modules import
each other in a cycle. Every import counts, those inside functions too.

From the bottom: _util (small tools), errors and naming (exit codes, name rules), record (what a build is
on paper), store (where builds are kept), lifecycle (tags, reuse, gc, compaction), build (making a build),
query (search, Athena, diff), consume (pull, verify, the agent's cache: pull finds builds through the
search records), vuln (SBOMs, the vulnerability database, audit), catalog (the static site), cli (the command).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "venvbuild"
LAYERS = ["_util", "errors", "naming", "record", "store", "lifecycle", "build", "query", "consume", "vuln", "catalog", "cli"]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set:
    """The venvbuild modules (or packages) path imports, resolved to the deepest module that exists."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("venvbuild") and not node.level:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if _exists(candidate) else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("venvbuild"))
    return found


def _exists(module: str) -> bool:
    relative = Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


def graph() -> dict:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str):
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_belongs_to_a_layer():
    loose = [m for m in graph() if m not in ("venvbuild", "venvbuild.__main__") and layer_of(m) is None]
    assert loose == [], "a module outside every layer: add it to a layer's package"


def test_no_module_imports_from_a_higher_layer():
    upward = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        for target in targets
        if layer_of(module) is not None and layer_of(target) is not None and layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_no_import_cycles():
    modules = graph()
    # A module importing its own package (venvbuild.__version__, a package's re-exports) is no cycle.
    edges = {m: {t for t in targets if t in modules and t != m and not m.startswith(t + ".")} for m, targets in modules.items()}
    cycles = []
    state: dict = {}

    def visit(module, path):
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_checks_see_an_upward_import_and_a_cycle(monkeypatch):
    """Both checks read the graph they are given: a store module importing the CLI, and two modules
    importing each other, are reported."""
    monkeypatch.setattr(
        "tests.test_layers.graph", lambda: {"venvbuild.store.base": {"venvbuild.cli.app"}, "venvbuild.cli.app": set()}
    )
    with pytest.raises(AssertionError, match="venvbuild.store.base -> venvbuild.cli.app"):
        test_no_module_imports_from_a_higher_layer()
    monkeypatch.setattr(
        "tests.test_layers.graph",
        lambda: {"venvbuild.build.a": {"venvbuild.build.b"}, "venvbuild.build.b": {"venvbuild.build.a"}},
    )
    with pytest.raises(AssertionError, match="venvbuild.build.a -> venvbuild.build.b -> venvbuild.build.a"):
        test_no_import_cycles()
