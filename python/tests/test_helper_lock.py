"""resources/venvbuild/helper-lock.txt, from which the Jenkins steps install the helper, against
pyproject.toml and VERSION: a dependency added, dropped or moved out of its locked version fails here
until `.ci/release-helper` has written the lock again."""

import hashlib
import importlib.machinery
import importlib.util
from pathlib import Path

import pytest
import tomllib

from venvbuild_release import helper_lock

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "resources" / "venvbuild" / "helper-lock.txt"


def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def version():
    return (ROOT / "resources" / "venvbuild" / "VERSION").read_text().strip()


def check(lock_text, dependencies=None, optional=None, at=None):
    meta = project()
    return helper_lock.problems(
        helper_lock.parse(lock_text),
        meta["dependencies"] if dependencies is None else dependencies,
        meta["optional-dependencies"] if optional is None else optional,
        at or version(),
    )


def test_the_committed_lock_matches_pyproject_and_version():
    assert check(LOCK.read_text(encoding="utf-8")) == []


def test_every_entry_is_pinned_with_hashes_and_the_helper_once():
    lock = helper_lock.parse(LOCK.read_text(encoding="utf-8"))
    assert lock.extras == ["zst"]
    assert len(lock.pin("venvbuild")) == 1 and len(lock.pin("venvbuild")[0].hashes) == 1
    assert all(pin.hashes and all(len(h) == 64 for h in pin.hashes) for pin in lock.pins)


def test_a_new_dependency_fails_until_the_lock_is_written_again():
    deps = project()["dependencies"] + ["requests>=2"]
    assert check(LOCK.read_text(encoding="utf-8"), dependencies=deps) == ["requests (requests>=2) is not in the lock"]


def test_a_raised_lower_bound_fails():
    deps = [d if not d.startswith("boto3") else "boto3>=99" for d in project()["dependencies"]]
    problems = check(LOCK.read_text(encoding="utf-8"), dependencies=deps)
    assert len(problems) == 1 and problems[0].startswith("boto3 is locked at ")


def test_a_new_extra_dependency_and_another_version_fail():
    optional = dict(project()["optional-dependencies"], zst=["zstandard>=0.22", "brotli>=1"])
    assert check(LOCK.read_text(encoding="utf-8"), optional=optional) == ["brotli (brotli>=1) is not in the lock"]
    assert check(LOCK.read_text(encoding="utf-8"), at="9.9.9")[0].startswith("venvbuild is locked at ['")


def test_an_entry_without_a_hash_or_an_exact_pin_is_refused():
    with pytest.raises(ValueError, match="line 2: boto3>=1: every entry needs name==version"):
        helper_lock.parse("# x\nboto3>=1 \\\n    --hash=sha256:" + "a" * 64 + "\n")
    with pytest.raises(ValueError, match="line 1: boto3==1.0: every entry"):
        helper_lock.parse("boto3==1.0\n")


def test_the_helper_hash_is_replaced_and_the_rest_kept():
    text = LOCK.read_text(encoding="utf-8")
    swapped = helper_lock.with_helper_hash(text, "b" * 64)
    assert helper_lock.parse(swapped).pin("venvbuild")[0].hashes == ("b" * 64,)
    before = [(p.name, p.version, p.hashes) for p in helper_lock.parse(text).pins if p.name != "venvbuild"]
    after = [(p.name, p.version, p.hashes) for p in helper_lock.parse(swapped).pins if p.name != "venvbuild"]
    assert before == after


def test_without_the_helper_only_the_dependencies_are_left():
    text = LOCK.read_text(encoding="utf-8")
    rest = helper_lock.parse(helper_lock.without_helper(text))
    assert rest.pin("venvbuild") == []
    assert len(rest.pins) == len(helper_lock.parse(text).pins) - 1


def test_a_lock_for_another_wheel_under_the_same_version_is_refused():
    text = LOCK.read_text(encoding="utf-8")
    (pin,) = helper_lock.parse(text).pin("venvbuild")
    assert helper_lock.collision(text, pin.version, pin.hashes[0]) is None
    refused = helper_lock.collision(text, pin.version, "c" * 64)
    assert refused.startswith(f"venvbuild {pin.version} is already locked as the wheel sha256:{pin.hashes[0]}; ")
    assert "Bump resources/venvbuild/VERSION" in refused
    assert helper_lock.collision(text, "99.0.0", "c" * 64) is None, "a bumped VERSION may pin any wheel"
    assert helper_lock.collision("", pin.version, "c" * 64) is None, "the first lock"


def release_module():
    loader = importlib.machinery.SourceFileLoader("release_helper", str(ROOT / ".ci" / "release-helper"))
    spec = importlib.util.spec_from_loader("release_helper", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.build
@pytest.mark.timeout(600)
def test_the_lock_pins_the_wheel_of_this_tree(tmp_path):
    """The wheel rebuilt from this tree (hatchling writes reproducible wheels) is the one the lock pins: a
    change under python/venvbuild or resources/venvbuild needs `.ci/release-helper`, and a new VERSION."""
    wheel = release_module().build_wheel(tmp_path)
    (pin,) = helper_lock.parse(LOCK.read_text(encoding="utf-8")).pin("venvbuild")
    assert wheel.name == f"venvbuild-{pin.version}-py3-none-any.whl"
    assert pin.hashes == (hashlib.sha256(wheel.read_bytes()).hexdigest(),), (
        "the lock pins another wheel than this tree's: bump resources/venvbuild/VERSION and run .ci/release-helper"
    )
