"""OSV range evaluation held to a brute-force reference: the OSV schema's algorithm run literally for every
version, over generated versions and events (introduced, fixed, last_affected, limit, ties and all)."""

import random

import pytest
from packaging.version import Version

from venvbuild.vuln import osv

POOL = [
    "0.1",
    "0.9rc1",
    "1.0.dev0",
    "1.0a1",
    "1.0",
    "1.0.0",
    "1.0.post1",
    "1.1",
    "1.2",
    "1.10",
    "1.2.3",
    "2.0b2",
    "2.0",
    "2!0.5",
    "3.0",
    "10.0",
    "1.0+local",
]


def reference(version: Version, events) -> bool:
    """The schema's pseudo-code: events sorted by version (introduced "0" lowest), then the walk; limits apart."""

    def key(event):
        ((kind, text),) = event.items()
        return Version("0") if text == "0" and kind == "introduced" else Version(text)

    kept = [e for e in events if list(e.items())[0] != ("limit", "*")]
    ordered = sorted(kept, key=lambda e: (0 if list(e.items())[0] == ("introduced", "0") else 1, key(e)))
    affected = False
    for event in ordered:
        ((kind, text),) = event.items()
        if kind == "introduced" and (text == "0" or version >= Version(text)):
            affected = True
        elif kind == "fixed" and version >= Version(text):  # noqa: SIM114 (as the schema writes it)
            affected = False
        elif kind == "last_affected" and version > Version(text):
            affected = False
    limits = [Version(t) for e in ordered for k, t in e.items() if k == "limit"]
    return affected and (not limits or any(version < limit for limit in limits))


def _events(rng: random.Random):
    events = []
    for _ in range(rng.randint(1, 7)):
        kind = rng.choice(["introduced", "introduced", "fixed", "fixed", "last_affected", "limit"])
        text = "0" if kind == "introduced" and rng.random() < 0.25 else rng.choice(POOL)
        events.append({kind: text})
    if rng.random() < 0.1:
        events.append({"limit": "*"})
    return events


@pytest.mark.parametrize("seed", range(20))
def test_compiled_ranges_agree_with_the_schema_algorithm(seed):
    rng = random.Random(seed)
    versions = [Version(v) for v in POOL] + [Version(f"{rng.randint(0, 11)}.{rng.randint(0, 12)}") for _ in range(40)]
    for _ in range(200):
        events = _events(rng)
        compiled = osv.compile_range(events)
        for version in versions:
            assert compiled.affects(version) == reference(version, events), (events, str(version))


@pytest.mark.parametrize(
    "events, yes, no",
    [
        ([{"introduced": "0"}, {"fixed": "2.0"}], ["0.1", "1.9.9", "2.0rc1"], ["2.0", "2.1"]),
        ([{"introduced": "1.0"}, {"last_affected": "1.5"}], ["1.0", "1.5"], ["0.9", "1.5.1"]),
        (
            [{"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"}, {"fixed": "2.3"}],
            ["1.1", "2.2"],
            ["1.2", "1.9", "2.3"],
        ),
        ([{"introduced": "0"}, {"limit": "1.4"}], ["1.3"], ["1.4", "5.0"]),
        ([{"introduced": "1.0"}], ["1.0", "99"], ["0.9"]),
    ],
)
def test_ranges_as_advisories_write_them(events, yes, no):
    compiled = osv.compile_range(events)
    assert [v for v in yes if compiled.affects(Version(v))] == yes
    assert [v for v in no if compiled.affects(Version(v))] == []


def test_a_versions_list_matches_pep_440_equal_versions_and_unparseable_text_exactly():
    record = {
        "id": "PYSEC-1",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "Foo_Bar"}, "versions": ["1.0", "weird-1"]}],
    }
    [entry] = osv.advisory(record).affected
    assert entry.package == "foo-bar"
    assert entry.affects("1.0.0") and entry.affects("weird-1") and not entry.affects("1.1")
