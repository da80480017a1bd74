"""Conflicts in a pipdeptree JSON tree, decided as pipdeptree decides them, as structured records.

pipdeptree's JSON never reports conflicts itself: each edge carries `required_version` (`Any` when the
requirement has no specifier) and `installed_version` (`?` when the dependency is missing).
"""

from dataclasses import asdict, dataclass
from typing import Dict, List

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

MISSING = "?"
ANY = "Any"


@dataclass(frozen=True)
class Conflict:
    kind: str  # missing | version | cycle
    package: str
    requirement: str
    installed_version: str | None
    required_by: str

    @property
    def breaks(self) -> bool:
        """Whether it makes the environment inconsistent. A cycle does not: pip installs one as it installs
        anything else (kedro and kedro-telemetry need each other), so it is recorded and warned about, but
        it neither fails --fail-on-conflicts nor makes a build not conflict-free."""
        return self.kind != "cycle"

    def describe(self) -> str:
        if self.kind == "missing":
            return f"{self.required_by} requires {self.requirement}, which is not installed"
        if self.kind == "cycle":
            return f"dependency cycle: {self.requirement}"
        return f"{self.required_by} requires {self.requirement}, but {self.package} {self.installed_version} is installed"

    def as_record(self) -> dict:
        return asdict(self)


def _requirement(name: str, required: str) -> str:
    return name if required in (ANY, "") else f"{name}{required}"


def _satisfied(required: str, installed: str) -> bool:
    if required in (ANY, ""):
        return True
    try:
        return SpecifierSet(required).contains(Version(installed), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


def find(tree: list) -> List[Conflict]:
    found = []
    for entry in tree:
        parent = entry["package"]
        parent_label = f"{parent['package_name']} {parent['installed_version']}"
        for dep in entry.get("dependencies", []):
            installed, required = dep.get("installed_version"), dep.get("required_version") or ANY
            name = dep["package_name"]
            if installed in (None, MISSING):
                found.append(Conflict("missing", name, _requirement(name, required), None, parent_label))
            elif not _satisfied(required, installed):
                found.append(Conflict("version", name, _requirement(name, required), installed, parent_label))
    found.extend(_cycles(tree))
    return found


def edge_breaks(required: str, installed: str | None) -> bool:
    """Whether one dependency edge of pipdeptree's JSON is a conflict (missing, or outside the range)."""
    return installed in (None, MISSING) or not _satisfied(required or ANY, installed)


def cyclic_keys(tree: list) -> set:
    """The keys of the packages that are part of a dependency cycle."""
    graph = {e["package"]["key"]: [d["key"] for d in e.get("dependencies", [])] for e in tree}
    found = set()
    for group in _strongly_connected(graph):
        if len(group) > 1 or next(iter(group)) in graph.get(next(iter(group)), []):
            found |= group
    return found


def _cycles(tree: list) -> List[Conflict]:
    """One record per strongly connected group of packages (a cycle), named from its smallest key."""
    graph: Dict[str, List[str]] = {e["package"]["key"]: [d["key"] for d in e.get("dependencies", [])] for e in tree}
    names = {e["package"]["key"]: e["package"]["package_name"] for e in tree}
    versions = {e["package"]["key"]: e["package"]["installed_version"] for e in tree}
    records = []
    for group in _strongly_connected(graph):
        start = min(group)
        if len(group) == 1 and start not in graph.get(start, []):
            continue
        path = _path_back(graph, start, group)
        records.append(
            Conflict(
                "cycle",
                names[start],
                " -> ".join(names[k] for k in path),
                versions[start],
                f"{names[path[-2]]} {versions[path[-2]]}",
            )
        )
    return records


def _strongly_connected(graph: Dict[str, List[str]]) -> List[set]:
    """Tarjan's algorithm, iterative (dependency chains can be deep)."""
    index, low, on_stack, stack, groups, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph.get(root, [])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, []))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups


def _path_back(graph: Dict[str, List[str]], start: str, group: set) -> List[str]:
    """A shortest cycle start -> ... -> start inside group (breadth-first)."""
    parents: Dict[str, str | None] = {start: None}
    queue = [start]
    for node in queue:
        for child in graph.get(node, []):
            if child == start:
                path = [node]
                parent = parents[node]
                while parent is not None:
                    path.append(parent)
                    parent = parents[parent]
                return list(reversed(path)) + [start]
            if child in group and child not in parents:
                parents[child] = node
                queue.append(child)
    return [start, start]
