"""A build's dependency graph as an SVG picture without Graphviz: packages in columns by depth (what
nothing requires on the left), edges coloured as in pipdeptree.dot (red conflict, orange cycle)."""

from html import escape

from venvbuild.build import graph_pictures

_COLUMN, _ROW, _BOX_W, _BOX_H, _MARGIN = 230, 30, 180, 22, 10
_COLOURS = {"ok": "#888", "conflict": graph_pictures.CONFLICT_COLOUR, "cycle": graph_pictures.CYCLE_COLOUR}


def svg(tree: list) -> str:
    nodes, edges = graph_pictures.graph(tree)
    children: dict = {n.key: [] for n in nodes}
    for edge in edges:
        children[edge.parent].append(edge.child)
    depth = _depths([n.key for n in nodes], children, {e.child for e in edges})
    columns: dict = {}
    for node in nodes:
        columns.setdefault(depth[node.key], []).append(node)
    where = {}
    for column, members in columns.items():
        for row, node in enumerate(members):
            where[node.key] = (_MARGIN + column * _COLUMN, _MARGIN + row * _ROW)
    width = _MARGIN * 2 + (max(columns, default=0)) * _COLUMN + _BOX_W
    height = _MARGIN * 2 + max((len(m) for m in columns.values()), default=1) * _ROW
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'
    ]
    for edge in edges:
        (x1, y1), (x2, y2) = where[edge.parent], where[edge.child]
        colour = _COLOURS[edge.kind]
        title = f"{edge.parent} requires {edge.child}" + ("" if edge.requirement == "Any" else edge.requirement)
        parts.append(
            f'<line x1="{x1 + _BOX_W}" y1="{y1 + _BOX_H // 2}" x2="{x2}" y2="{y2 + _BOX_H // 2}" '
            f'stroke="{colour}" stroke-width="{1 if edge.kind == "ok" else 2}"><title>{escape(title)}</title></line>'
        )
    for node in nodes:
        x, y = where[node.key]
        stroke = graph_pictures.CONFLICT_COLOUR if node.missing else "#444"
        dash = ' stroke-dasharray="4 2"' if node.missing else ""
        parts.append(
            f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="3" fill="#fff" stroke="{stroke}"{dash}/>'
            f'<text x="{x + 6}" y="{y + 15}">{escape(node.label[:30])}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _depths(keys, children, required) -> dict:
    """Longest path from a root (a package nothing requires); cycles are cut where they close."""
    depth: dict = {}
    roots = [k for k in keys if k not in required] or keys[:1]
    for root in roots:
        stack = [(root, 0, frozenset([root]))]
        while stack:
            key, level, path = stack.pop()
            if depth.get(key, -1) >= level:
                continue
            depth[key] = level
            stack.extend((c, level + 1, path | {c}) for c in children.get(key, []) if c not in path)
    for key in keys:  # only inside cycles nothing outside requires
        depth.setdefault(key, 0)
    return depth
