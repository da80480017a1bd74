"""SPEC parsing, the PEP 440 matcher both backends share, and how parameters reach the SQL."""

import re

import pytest
from packaging.utils import canonicalize_name

from venvbuild._util.resources import read_text
from venvbuild.errors import UsageError
from venvbuild.query import criteria, matching, spec, sqlparams


def row(packages, venv_version="venv_20250101_100000"):
    return (venv_version, "demo", "2025-01-01T10:00:00Z", "3.11", True, "file:///a.tar.gz", packages)


def selected(spec_texts, packages_by_build, pre=False):
    specs = spec.parse_all(spec_texts, pre)
    rows = [row(p, f"venv_2025010{i}_100000") for i, p in enumerate(packages_by_build, 1)]
    return [m.packages for m in matching.select(rows, specs)]


@pytest.mark.parametrize(
    "text, name",
    [
        ("kedro", "kedro"),
        ("Scikit_Learn>=1.3", "scikit-learn"),
        ("zope.Interface", "zope-interface"),
        ("pandas>=1.5,<2", "pandas"),
        ("kedro==0.19.*", "kedro"),
        ("PyYAML (>=6)", "pyyaml"),
    ],
)
def test_spec_names_are_pep503_normalised(text, name):
    assert spec.parse(text).name == name


@pytest.mark.parametrize(
    "text, says",
    [
        ("x' OR 1=1 --", "is not a package name"),
        ("kedro'; DROP TABLE venv_builds_metadata; --", "is not a package name"),
        ("pandas>=foo", "is not a package name"),
        ("", "is not a package name"),
        ("kedro[pandas]", "has extras"),
        ("kedro; python_version < '3.12'", "has an environment marker"),
        ("kedro @ https://example.invalid/kedro.whl", "has a URL"),
    ],
)
def test_bad_specs_are_usage_errors_naming_the_spec(text, says):
    with pytest.raises(UsageError) as caught:
        spec.parse(text)
    message = str(caught.value)
    assert message.startswith(f"SPEC {text!r}") and says in message
    assert "\n" not in message


def test_names_match_exactly_kedro_is_not_kedro_viz():
    builds = ["kedro-viz==6.7.0 kedro-datasets==1.8.0", "kedro==0.18.14", "Kedro==0.19.10"]
    assert selected(["kedro"], builds) == [("kedro==0.18.14",), ("Kedro==0.19.10",)]
    assert selected(["kedro_viz"], builds) == [("kedro-viz==6.7.0",)]


def test_versions_compare_by_pep440_not_as_text():
    builds = ["scipy==1.9.3", "scipy==1.10.1", "scipy==1.10"]
    assert selected(["scipy>=1.10"], builds) == [("scipy==1.10.1",), ("scipy==1.10",)]
    assert selected(["scipy<1.10"], builds) == [("scipy==1.9.3",)]
    assert selected(["scipy==1.10.0"], builds) == [("scipy==1.10",)]  # 1.10 == 1.10.0 in PEP 440


def test_prereleases_need_a_bare_name_a_prerelease_specifier_or_pre():
    builds = ["kedro==0.19.0rc1", "kedro==0.19.10", "kedro==0.18.14"]
    assert selected(["kedro"], builds) == [("kedro==0.19.0rc1",), ("kedro==0.19.10",), ("kedro==0.18.14",)]
    assert selected(["kedro>=0.19"], builds) == [("kedro==0.19.10",)]
    assert selected(["kedro>=0.19.0rc1"], builds) == [("kedro==0.19.0rc1",), ("kedro==0.19.10",)]
    assert selected(["kedro>0.18.14"], builds) == [("kedro==0.19.10",)]
    assert selected(["kedro>0.18.14"], builds, pre=True) == [("kedro==0.19.0rc1",), ("kedro==0.19.10",)]
    # <2 excludes 2.0.0rc1: a pre-release of 2 is not below 2 (PEP 440).
    assert selected(["pandas<2"], ["pandas==2.0.0rc1", "pandas==1.5.3"], pre=True) == [("pandas==1.5.3",)]


def test_a_version_pep440_cannot_parse_matches_only_a_bare_name():
    assert selected(["oldlib"], ["oldlib==2004d"]) == [("oldlib==2004d",)]
    assert selected(["oldlib>=1"], ["oldlib==2004d"]) == []


def test_every_spec_must_match_and_the_same_name_twice_combines():
    builds = ["kedro==0.18.14 pandas==1.5.3", "kedro==0.19.10 pandas==2.1.4", "pandas==1.5.3"]
    assert selected(["kedro", "pandas<2"], builds) == [("kedro==0.18.14", "pandas==1.5.3")]
    assert selected(["pandas>=1.5", "Pandas<2"], builds) == [("pandas==1.5.3",), ("pandas==1.5.3",)]
    assert len(spec.parse_all(["pandas>=1.5", "Pandas<2"])) == 1


def test_limit_counts_matches_not_candidates():
    rows = [
        row("kedro==0.18.14", "venv_20250103_100000"),
        row("kedro==0.19.10", "venv_20250102_100000"),
        row("kedro==0.19.9", "venv_20250101_100000"),
    ]
    specs = spec.parse_all(["kedro>=0.19"])
    assert [m.build.venv_version for m in matching.select(rows, specs, limit=1)] == ["venv_20250102_100000"]


def test_backend_values_are_normalised():
    athena_row = ("venv_20250105_100000", "demo", "2025-01-05 10:00:00.000", "3.12", "false", None, "kedro==1.0.0")
    build = next(matching.select([athena_row], spec.parse_all(["kedro"]))).build
    assert build.created_at == "2025-01-05T10:00:00Z" and build.is_conflict_free is False


@pytest.mark.parametrize(
    "option, value",
    [("python", "3"), ("python", "3.11; --"), ("env_name", "x' OR 1=1 --"), ("since", "2025-13-01"), ("since", "yesterday")],
)
def test_filters_are_validated_naming_their_option(option, value):
    with pytest.raises(UsageError) as caught:
        criteria.build(["kedro"], **{option: value})
    assert str(caught.value).startswith("--" + option.replace("_", "-"))


def test_athena_parameters_are_positional_literals_in_placeholder_order():
    sql = "-- $ignored: a comment\nSELECT 1\nFROM t WHERE a = $names AND b = $name_count AND c = $names"
    text, parameters = sqlparams.positional(sql, {"names": "kedro,pandas", "name_count": 2})
    assert text.count("?") == 3 and "$" not in text
    assert parameters == ["'kedro,pandas'", "2", "'kedro,pandas'"]
    assert sqlparams.literal("it's") == "'it''s'"


def test_athena_sql_placeholders_are_in_where_only_and_it_parses_as_trino():
    """Athena accepts `?` only in WHERE; sqlglot checks the Trino syntax (no Athena here to run it)."""
    sqlglot = pytest.importorskip("sqlglot")
    text, parameters = sqlparams.positional(
        read_text("sql/search_athena.sql").replace("{table}", '"db"."venv_builds_metadata"'),
        criteria.build(["kedro", "pandas<2"], since="2025-01-01").sql_parameters(),
    )
    tree = sqlglot.parse_one(text, read="trino")
    placeholders = list(tree.find_all(sqlglot.exp.Placeholder))
    assert len(parameters) == len(placeholders) == text.count("?") == 10
    assert all(p.find_ancestor(sqlglot.exp.Where) is not None for p in placeholders)
    assert {c.name for c in tree.find_all(sqlglot.exp.Column)} >= {"installed_packages", "dt", "env_name"}


def test_athena_sql_normalises_names_as_pep503():
    pattern = re.search(
        r"regexp_replace\(split_part\(pkg, '==', 1\), '([^']+)', '-'\)", read_text("sql/search_athena.sql")
    ).group(1)
    for name in ["Scikit_Learn", "zope.interface", "kedro--viz", "A-_.b", "PyYAML", "ruamel.yaml.clib"]:
        assert re.sub(pattern, "-", name).lower() == canonicalize_name(name)
