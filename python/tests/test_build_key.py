"""build_key: what changes the bytes changes the key; what pip ignores does not."""

import dataclasses
import os
import platform
import sys

import pytest

from venvbuild.build import archive, build_key, requirements_gate


def key_for(tmp_path, text, name="requirements.txt", env=None, **overrides):
    path = tmp_path / name
    path.write_text(text)
    inputs = build_key.collect(requirements_gate.parse(path), sys.executable, "pip", "gz")
    if env is not None:
        inputs = dataclasses.replace(inputs, environment=build_key.resolution_environment(env))
    return build_key.key_of(dataclasses.replace(inputs, **overrides)), inputs


BASE = """--index-url https://pypi.example/simple
# the web stack
requests[socks,security]==2.32.3 ; python_version >= "3.8"
pandas==2.2.3 --hash=sha256:bbbb --hash=sha256:aaaa
Scikit_Learn==1.5.2
"""


def test_comments_blank_lines_order_and_spelling_keep_the_key(tmp_path):
    first, _ = key_for(tmp_path, BASE)
    same = """
Scikit-learn==1.5.2   # spelled another way
pandas==2.2.3 --hash=sha256:aaaa \\
    --hash=sha256:bbbb

requests[security,SOCKS]==2.32.3;python_version>='3.8'
-i https://pypi.example/simple
"""
    second, _ = key_for(tmp_path, same, name="other.txt")
    assert first == second


def test_includes_and_env_vars_are_read_as_pip_reads_them(tmp_path, monkeypatch):
    first, _ = key_for(tmp_path, BASE)
    (tmp_path / "web.txt").write_text('requests[socks,security]==2.32.3 ; python_version >= "3.8"\n')
    monkeypatch.setenv("PANDAS_VERSION", "2.2.3")
    text = (
        "--index-url https://pypi.example/simple\n-r web.txt\n"
        "pandas==${PANDAS_VERSION} --hash=sha256:bbbb --hash=sha256:aaaa\nscikit-learn==1.5.2\n"
    )
    second, _ = key_for(tmp_path, text, name="top.txt")
    assert first == second


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("pandas==2.2.3", "pandas==2.2.2"),
        lambda t: t.replace("[socks,security]", "[socks]"),
        lambda t: t.replace('>= "3.8"', '>= "3.9"'),
        lambda t: t.replace("sha256:aaaa", "sha256:cccc"),
        lambda t: t.replace("pypi.example", "mirror.example"),
        lambda t: "--pre\n" + t,
        lambda t: "--only-binary :all:\n" + t,
        lambda t: "--find-links https://wheels.example/\n" + t,
    ],
    ids=["pin", "extras", "marker", "hash", "index-url", "pre", "only-binary", "find-links"],
)
def test_a_changed_requirement_or_index_option_changes_the_key(tmp_path, edit):
    first, _ = key_for(tmp_path, BASE)
    second, _ = key_for(tmp_path, edit(BASE), name="edited.txt")
    assert first != second


def test_credentials_are_removed_from_the_inputs(tmp_path):
    text = BASE.replace("https://pypi.example", "https://me:s3cret@pypi.example")
    first, inputs = key_for(tmp_path, text, env={"PIP_EXTRA_INDEX_URL": "https://me:t0ken@extra.example/simple"})
    assert "s3cret" not in repr(inputs) and "t0ken" not in repr(inputs)
    other = BASE.replace("https://pypi.example", "https://you:other@pypi.example")
    second, _ = key_for(tmp_path, other, name="b.txt", env={"PIP_EXTRA_INDEX_URL": "https://x:y@extra.example/simple"})
    assert first == second


def test_resolution_environment_counts_and_other_variables_do_not(tmp_path):
    plain, _ = key_for(tmp_path, BASE, env={})
    quiet, _ = key_for(tmp_path, BASE, env={"PIP_NO_INPUT": "1", "PIP_PROGRESS_BAR": "off", "HOME": "/x"})
    assert plain == quiet
    for variable, value in (
        ("PIP_INDEX_URL", "https://other/simple"),
        ("UV_EXCLUDE_NEWER", "2025-01-01"),
        ("PIP_PRE", "1"),
        ("UV_RESOLUTION", "lowest"),
    ):
        changed, _ = key_for(tmp_path, BASE, env={variable: value})
        assert changed != plain, variable


@pytest.mark.parametrize("variable", ["PIP_CONSTRAINT", "PIP_REQUIREMENT", "UV_OVERRIDE"])
def test_a_file_named_by_a_variable_counts_by_its_content(tmp_path, variable):
    """A constraints or requirements file named in the environment (PIP_REQUIREMENT is pip's -r): another
    pin in it is another build."""
    named = tmp_path / "named.txt"
    named.write_text("numpy==1.26.4\n")
    first, _ = key_for(tmp_path, BASE, env={variable: str(named)})
    named.write_text("numpy==1.26.3\n")
    second, _ = key_for(tmp_path, BASE, env={variable: str(named)})
    assert first != second


@pytest.mark.parametrize(
    "field, value",
    [
        ("python_version", "3.11.8"),
        ("installer_version", "99.0"),
        ("libc", "musllinux_1_2_x86_64"),
        ("abi", "cpython-312-x86_64-linux-gnu"),
        ("interpreter", "/opt/python/bin/python3.11"),
        ("implementation", "pypy"),
        ("compression", "zst"),
        ("installer", "uv"),
        ("archive_format", archive.FORMAT_VERSION + 1),
    ],
)
def test_interpreter_platform_installer_and_format_change_the_key(tmp_path, field, value):
    first, inputs = key_for(tmp_path, BASE)
    assert getattr(inputs, field) != value
    second, _ = key_for(tmp_path, BASE, **{field: value})
    assert first != second


def test_the_interpreter_is_probed_not_assumed(tmp_path):
    _, inputs = key_for(tmp_path, BASE)
    assert inputs.implementation == sys.implementation.name
    assert inputs.python_version == platform.python_version()
    assert inputs.abi and inputs.interpreter and not inputs.interpreter.endswith("/.venv/bin/python")
    assert inputs.archive_format == archive.FORMAT_VERSION
    assert inputs.installer == "pip" and inputs.installer_version[0].isdigit()
    if sys.platform.startswith("linux"):
        assert inputs.libc.startswith(("manylinux_", "musllinux_")), inputs.libc


def test_unpinned_installed_names_the_first_package_the_requirements_leave_open(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("alpha==1.0\nBeta==1.0.0\n")
    parsed = requirements_gate.parse(path)
    assert build_key.unpinned_installed(parsed, ["alpha==1.0", "beta==1.0", "pip==24.0", "setuptools==70"]) is None
    assert build_key.unpinned_installed(parsed, ["alpha==1.0", "beta==1.0", "gamma==1.0"]) == "gamma==1.0"
    assert build_key.unpinned_installed(parsed, ["alpha==1.1", "beta==1.0"]) == "alpha==1.1"


@pytest.mark.parametrize(
    "variable, value",
    [
        ("PIP_REQUIREMENT", "extra.txt"),
        ("PIP_EDITABLE", "git+https://git.example/pkg.git#egg=pkg"),
        ("PIP_CONFIG_SETTINGS", "--build-option=--cpp"),
        ("PIP_IGNORE_REQUIRES_PYTHON", "1"),
        ("PIP_NO_DEPS", "1"),
        ("PIP_USE_PEP517", "0"),
        ("PIP_CERT", "/etc/ssl/other.pem"),
        ("PIP_TRUSTED_HOST", "mirror.example"),
        ("PIP_SRC", "/tmp/src"),
        ("UV_REQUIREMENT", "extra.txt"),
        ("UV_CONFIG_SETTINGS", "editable_mode=compat"),
        ("UV_LINK_MODE", "symlink"),
        ("UV_COMPILE_BYTECODE", "1"),
        ("UV_OFFLINE", "1"),
        ("UV_NO_SOURCES", "1"),
        ("UV_KEYRING_PROVIDER", "subprocess"),
        ("UV_PYTHON_DOWNLOADS", "never"),
    ],
)
def test_every_pip_and_uv_variable_counts_unless_it_is_known_not_to_change_the_install(tmp_path, variable, value):
    """pip reads any option from PIP_<OPTION> and uv has dozens of UV_* settings: a list of the variables
    that count always misses one (PIP_REQUIREMENT adds requirements behind the key's back). Every one
    counts unless it is on the short list of those that cannot change what gets installed."""
    (tmp_path / "extra.txt").write_text("numpy==1.26.4\n")
    plain, _ = key_for(tmp_path, BASE, env={})
    changed, _ = key_for(tmp_path, BASE, env={variable: value})
    assert changed != plain, variable


@pytest.mark.parametrize(
    "variable, value",
    [
        ("PIP_PROGRESS_BAR", "off"),
        ("PIP_NO_COLOR", "1"),
        ("PIP_QUIET", "2"),
        ("PIP_VERBOSE", "1"),
        ("PIP_CACHE_DIR", "/tmp/cache"),
        ("PIP_NO_CACHE_DIR", "1"),
        ("PIP_TIMEOUT", "60"),
        ("PIP_RETRIES", "9"),
        ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
        ("PIP_ROOT_USER_ACTION", "ignore"),
        ("PIP_LOG", "/tmp/pip.log"),
        ("UV_NO_PROGRESS", "1"),
        ("UV_CACHE_DIR", "/tmp/uv"),
        ("UV_HTTP_TIMEOUT", "60"),
        ("UV_CONCURRENT_DOWNLOADS", "2"),
        ("HOME", "/elsewhere"),
        ("PYTHONDONTWRITEBYTECODE", "1"),
    ],
)
def test_a_variable_that_cannot_change_the_install_keeps_the_key(tmp_path, variable, value):
    """Output, cache location, timeouts and retries do not decide what is installed: setting them keeps
    reuse working."""
    plain, _ = key_for(tmp_path, BASE, env={})
    same, _ = key_for(tmp_path, BASE, env={variable: value})
    assert same == plain, variable


def test_index_urls_in_variables_count_without_being_written_in_clear(tmp_path):
    """A URL may carry a token in its path, not only in its user-info: the inputs hold only a hash of it."""
    url = "https://pkgs.example/api/pypi/t0kenInPath/simple"
    first, inputs = key_for(tmp_path, BASE, env={"PIP_INDEX_URL": url, "UV_INDEX": f"corp={url}"})
    assert "t0kenInPath" not in repr(inputs) and "pkgs.example" not in repr(inputs)
    second, _ = key_for(tmp_path, BASE, env={"PIP_INDEX_URL": url.replace("t0kenInPath", "other"), "UV_INDEX": f"corp={url}"})
    assert first != second


@pytest.mark.parametrize(
    "installer, place",
    [
        ("pip", "pip/pip.conf"),
        ("uv", "uv/uv.toml"),
    ],
)
def test_a_configuration_file_in_effect_counts_by_its_content(tmp_path, installer, place):
    """pip.conf and uv.toml set the same options the variables do: the one in effect counts, by its content
    with credentials redacted (a rotated token keeps the key), never its text in clear."""
    home = tmp_path / "home"
    environ = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CONFIG_DIRS": str(tmp_path / "none")}
    project = tmp_path / "project"
    project.mkdir()
    none = build_key.config_files(installer, environ, cwd=project)
    config = home / ".config" / place
    config.parent.mkdir(parents=True)
    config.write_text("[global]\nindex-url = https://me:t0ken@mirror.example/simple\n")
    found = build_key.config_files(installer, environ, cwd=project)
    assert found != none and len(found) == len(none) + 1 and "t0ken" not in repr(found)
    assert f"{installer} config ~/.config/{place}=sha256:" in "\n".join(found), "named the same on every agent"
    config.write_text("[global]\nindex-url = https://me:rotated@mirror.example/simple\n")
    assert build_key.config_files(installer, environ, cwd=project) == found
    config.write_text("[global]\nindex-url = https://other.example/simple\n")
    assert build_key.config_files(installer, environ, cwd=project) != found


def test_a_uv_project_configuration_counts_and_uv_no_config_turns_files_off(tmp_path):
    environ = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_DIRS": str(tmp_path / "none")}
    project = tmp_path / "project" / "sub"
    project.mkdir(parents=True)
    before = build_key.config_files("uv", environ, cwd=project)
    (tmp_path / "project" / "pyproject.toml").write_text("[tool.uv]\nprerelease = 'allow'\n")
    found = build_key.config_files("uv", environ, cwd=project)
    assert found == before + [found[-1]] and found[-1].startswith("uv config project pyproject.toml=sha256:")
    assert build_key.config_files("uv", {**environ, "UV_NO_CONFIG": "1"}, cwd=project) == []
    assert build_key.config_files("pip", {**environ, "PIP_CONFIG_FILE": os.devnull}, cwd=project) == []
