from venvbuild.build.conflicts import find


def entry(key, version, *deps):
    return {
        "package": {"key": key, "package_name": key.capitalize(), "installed_version": version},
        "dependencies": [{"key": k, "package_name": k, "installed_version": iv, "required_version": rv} for k, iv, rv in deps],
    }


def test_versions_outside_the_range_and_missing_dependencies():
    tree = [
        entry("a", "1.0", ("b", "2.0", "<2"), ("c", "?", ">=1"), ("d", "1.0", "Any"), ("e", "2.0rc1", ">=1.5")),
        entry("b", "2.0"),
        entry("d", "1.0"),
        entry("e", "2.0rc1"),
    ]
    records = [c.as_record() for c in find(tree)]
    assert records == [
        {"kind": "version", "package": "b", "requirement": "b<2", "installed_version": "2.0", "required_by": "A 1.0"},
        {"kind": "missing", "package": "c", "requirement": "c>=1", "installed_version": None, "required_by": "A 1.0"},
    ]  # an installed pre-release satisfies a range, as pipdeptree decides; "Any" is no specifier
    assert all(c.breaks for c in find(tree))


def test_cycles_are_found_once_each_and_do_not_break_the_environment():
    tree = [
        entry("a", "1", ("b", "1", "Any")),
        entry("b", "1", ("c", "1", "Any")),
        entry("c", "1", ("a", "1", "Any")),
        entry("x", "1", ("x", "1", "Any")),
        entry("y", "1", ("a", "1", "Any")),
    ]
    cycles = find(tree)
    assert [c.requirement for c in cycles] == ["A -> B -> C -> A", "X -> X"]
    assert not any(c.breaks for c in cycles)


def test_a_wide_diamond_graph_has_no_cycle():
    # Many paths, no cycle: the search must not walk every path.
    layers = [[f"n{i}_{j}" for j in range(6)] for i in range(30)]
    tree = [
        entry(k, "1", *[(n, "1", "Any") for n in (layers[i + 1] if i + 1 < len(layers) else [])])
        for i, layer in enumerate(layers)
        for k in layer
    ]
    assert find(tree) == []
