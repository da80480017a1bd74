"""The compiled record check (venvbuild.record.schema_check), which every command uses, against jsonschema,
the reference implementation of the schema's meaning: on thousands of generated records, valid ones and
random mutations of them, the two must give the same answer."""

import copy
import json
import random
import time

import jsonschema
import pytest

from venvbuild.record import metadata, schema_check

SEED = 20250722
VALID_RECORDS = 300
MUTATIONS_PER_RECORD = 10

# Values a mutation puts in place of another: every JSON type, and the edge cases of each keyword
# (1.0 is an integer to JSON Schema, true is not 1, a pattern is searched, not matched).
ODD_VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.0,
    2.0,
    -0.5,
    10**20,
    "",
    "x",
    "3.11",
    "pip",
    "uv",
    "conda",
    "venv_20250101_000000",
    "venv_20250101_000000\n",
    " venv_20250101_000000",
    "a==1",
    "a==",
    "==1",
    "s3://b/k",
    "file:///x/venv_20250101_000000.tar.gz",
    "http://x",
    "0" * 64,
    "G" * 64,
    "/p",
    "relative",
    [],
    [1],
    ["x"],
    ["x", "x"],
    [None],
    {},
    {"a": 1},
    {"kind": "text"},
    "pipdeptree.dot",
    "constraints.txt",
    "missing",
    "version",
    "cycle",
    "record",
    "shebang",
]
_PACKAGE_NAMES = ["numpy", "pandas", "Kedro", "py_yaml", "a", "z9", "zope.interface", "ruamel-yaml"]


def _version(rng: random.Random) -> str:
    return (
        f"venv_{rng.randint(2000, 2099)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}_"
        f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}"
    )


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def valid_record(rng: random.Random) -> dict:
    version = _version(rng)
    day, clock = version[5:13], version[14:]
    scheme = rng.choice(["s3://bucket/venv-builds", "file:///store/venv-builds"])
    packages = [
        f"{name}=={rng.randint(0, 30)}.{rng.randint(0, 9)}{rng.choice(['', '.post1', 'rc1', '+local'])}"
        for name in rng.sample(_PACKAGE_NAMES, rng.randint(0, len(_PACKAGE_NAMES)))
    ]
    details = [
        {
            "kind": rng.choice(["missing", "version", "cycle"]),
            "package": rng.choice(_PACKAGE_NAMES),
            "requirement": "x<2",
            "installed_version": rng.choice([None, "1.0"]),
            "required_by": "y 1.0",
        }
        for _ in range(rng.randint(0, 2))
    ]
    record = {
        "venv_version": version,
        "created_at": f"{day[:4]}-{day[4:6]}-{day[6:]}T{clock[:2]}:{clock[2:4]}:{clock[4:]}Z",
        "python_version": rng.choice(["3.10", "3.11", "3.12", "3.13"]),
        "requirements_file": f"{scheme}/{version}/requirements.txt",
        "pipdeptree_output": f"{scheme}/{version}/pipdeptree.json",
        "venv_archive": f"{scheme}/{version}/{version}.tar.{rng.choice(['gz', 'zst'])}",
        "is_conflict_free": not details,
        "conflicts": [f"conflict {i}" for i in range(len(details))],
        "installed_packages": packages,
        "env_name": rng.choice(["demo", "etl.nightly", "A-1", "x" * 64]),
        "python_full_version": f"3.{rng.randint(10, 13)}.{rng.randint(0, 12)}",
        "python_home": "/usr/bin",
        "platform": "linux-x86_64",
        "installer": rng.choice(["pip", "uv"]),
        "archive_sha256": _hex(rng, 64),
        "archive_size": rng.randint(0, 10**9),
        "requirements_sha256": _hex(rng, 64),
        "venvbuild_version": "1.0.0",
        "build_url": rng.choice([None, "https://jenkins/job/1/"]),
        "git_commit": rng.choice([None, _hex(rng, 40)]),
        "conflict_details": details,
    }
    optional = {
        "archive_format": rng.randint(1, 3),
        "relocation": {
            "placeholder": "/placeholder",
            "binary_files": rng.choice([[], ["lib/x.so"]]),
            "files": [{"path": f"bin/s{i}", "kind": rng.choice(["text", "shebang", "record"])} for i in range(rng.randint(0, 3))],
        },
        "extra_artifacts": rng.sample(
            ["constraints.txt", "pipdeptree.mmd", "pipdeptree.dot", "pipdeptree.svg"], rng.randint(0, 4)
        ),
        "build_id": _hex(rng, 32),
        "build_key": rng.choice([None, _hex(rng, 64)]),
        "content_key": rng.choice([None, _hex(rng, 64)]),
        "fully_pinned": rng.choice([None, True, False]),
        "content_differs_from": rng.choice([None, _version(rng)]),
    }
    for name in rng.sample(sorted(optional), rng.randint(0, len(optional))):
        record[name] = optional[name]
    return record


def _positions(value, found=None) -> list:
    """(container, key or index) of every value inside value, and (container, None) for every container."""
    found = [] if found is None else found
    if isinstance(value, (dict, list)):
        found.append((value, None))
        for key in sorted(value) if isinstance(value, dict) else range(len(value)):
            found.append((value, key))
            _positions(value[key], found)
    return found


def mutate(record: dict, rng: random.Random) -> dict:
    """record with one change (sometimes two), anywhere in it: a value deleted, replaced by an odd one or
    nudged, a key added, a list item repeated."""
    record = copy.deepcopy(record)
    for _ in range(rng.choice([1, 1, 1, 2])):
        container, key = rng.choice(_positions(record))
        if key is None:  # the container itself
            if isinstance(container, dict):
                container[rng.choice(["surprise", "venv_version", "kind", "path", "extra"])] = rng.choice(ODD_VALUES)
            elif container and rng.random() < 0.5:
                container.insert(rng.randrange(len(container) + 1), copy.deepcopy(rng.choice(container)))
            else:
                container.append(copy.deepcopy(rng.choice(ODD_VALUES)))
            continue
        action = rng.choice(["delete", "replace", "edit", "edit"])
        if action == "delete":
            del container[key]
        elif action == "replace":
            container[key] = copy.deepcopy(rng.choice(ODD_VALUES))
        else:
            container[key] = _edited(container[key], rng)
    return record


def _edited(value, rng: random.Random):
    """A near miss of value: the same kind of thing, slightly off."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return rng.choice([float(value), value - 10**9 - 1, -value - 1, str(value), value + 1])
    if isinstance(value, str):
        return rng.choice([value + "\n", "\n" + value, value + "x", value[:-1], value.upper(), value + " ", ""])
    if isinstance(value, list):
        return value + value[:1] if value else [None]
    if isinstance(value, dict):
        return dict(list(value.items())[1:])
    return value


def test_the_compiled_check_answers_as_jsonschema_on_thousands_of_records():
    rng = random.Random(SEED)
    schema = metadata.schema()
    check = schema_check.compile_schema(schema)
    reference = jsonschema.Draft202012Validator(schema)
    started = time.monotonic()
    cases = valid = 0
    for _ in range(VALID_RECORDS):
        record = valid_record(rng)
        assert reference.is_valid(record), list(reference.iter_errors(record))[:1]
        for case in [record] + [mutate(record, rng) for _ in range(MUTATIONS_PER_RECORD)]:
            # as stored: a record is read back from JSON text
            case = json.loads(json.dumps(case))
            expected = reference.is_valid(case)
            assert check(case) == expected, (expected, json.dumps(case))
            cases += 1
            valid += expected
    assert cases == VALID_RECORDS * (MUTATIONS_PER_RECORD + 1)
    # both answers are well represented: a check that said yes (or no) to everything would fail above
    assert VALID_RECORDS <= valid <= cases - VALID_RECORDS * MUTATIONS_PER_RECORD // 2
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "value,valid",
    [
        (["pipdeptree.dot", "pipdeptree.dot"], False),
        (["pipdeptree.dot", "pipdeptree.svg"], True),
        ([], True),
    ],
)
def test_unique_items_is_checked(value, valid):
    from tests._support.records import make_metadata

    record = {**make_metadata(), "extra_artifacts": value}
    assert metadata.is_valid(record) is valid
    assert jsonschema.Draft202012Validator(metadata.schema()).is_valid(record) is valid


def test_an_integer_written_as_a_float_is_an_integer_as_in_json_schema():
    from tests._support.records import make_metadata

    record = make_metadata()
    assert metadata.is_valid({**record, "archive_size": 12.0, "archive_format": 2.0})
    assert not metadata.is_valid({**record, "archive_size": 12.5})
    assert not metadata.is_valid({**record, "archive_size": True})


@pytest.mark.parametrize("keyword", [{"format": "date-time"}, {"maxLength": 3}, {"oneOf": []}, {"$ref": "#/x"}])
def test_a_keyword_the_check_does_not_know_is_refused_not_ignored(keyword):
    with pytest.raises(schema_check.UnsupportedSchema):
        schema_check.compile_schema({"type": "object", "properties": {"a": {"type": "string", **keyword}}})
