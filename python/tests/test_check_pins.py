import pytest

from venvbuild.build.requirements_gate import check_pins, parse, stored_text, unpinned_report
from venvbuild.cli import main
from venvbuild.errors import UnpinnedError, UsageError


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def report_for(tmp_path, text):
    return unpinned_report(parse(write(tmp_path, "requirements.txt", text)))


def test_pinned_forms_are_accepted(tmp_path):
    text = (
        "# a comment\n"
        "\n"
        "--index-url https://pypi.org/simple\n"
        "--extra-index-url=https://example.com/simple\n"
        "--find-links ./wheels\n"
        "-f ./more\n"
        "pandas==1.5.3  # inline comment\n"
        "numpy==1.24.4 \\\n"
        "    --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n"
        "requests[socks,security]==2.32.3 ; python_version >= '3.8'\n"
        "legacy===1.0-custom\n"
        "Scikit_Learn==1.5.2\n"
        "wheel-pkg @ https://files.example/wheel_pkg-1.0-py3-none-any.whl\n"
        "vcs-pkg @ git+https://git.example/vcs-pkg@0123456789abcdef0123456789abcdef01234567\n"
    )
    assert report_for(tmp_path, text) == []
    assert check_pins(tmp_path / "requirements.txt").requirements == 7
    names = [e.name for e in parse(tmp_path / "requirements.txt").entries]
    assert names == ["pandas", "numpy", "requests", "legacy", "scikit-learn", "wheel-pkg", "vcs-pkg"]


@pytest.mark.parametrize(
    "line, why",
    [
        ("pandas", "no version specifier"),
        ("pandas>=1.2", "'>=' is not '=='"),
        ("pandas~=1.4", "'~=' is not '=='"),
        ("pandas!=1.4", "'!=' is not '=='"),
        ("pandas==1.*", "wildcard"),
        ("pandas>=1.2,<2", "a range"),
        ("-e ./src/pkg", "editable"),
        ("--editable git+https://git.example/x#egg=x", "editable"),
        ("x @ git+https://git.example/x@main", "URL requirement"),
        ("x @ https://files.example/x-1.0.tar.gz", "URL requirement"),
    ],
)
def test_unpinned_forms_are_reported_with_file_and_line(tmp_path, line, why):
    report = report_for(tmp_path, f"ok==1.0\n{line}\n")
    assert len(report) == 1
    assert report[0].startswith(f"{tmp_path / 'requirements.txt'}:2: {line}")
    assert why in report[0]


def test_a_local_project_is_unpinned_and_a_missing_path_is_an_error(tmp_path, monkeypatch):
    # pip reads a path relative to the working directory, and refuses one that does not exist.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "local" / "pkg").mkdir(parents=True)
    (tmp_path / "local" / "pkg" / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    report = report_for(tmp_path, "ok==1.0\n./local/pkg\n")
    assert report == [
        f"{tmp_path / 'requirements.txt'}:2: ./local/pkg (a path or URL without a package name and version is not pinned)"
    ]
    with pytest.raises(UsageError, match=":2: not a valid requirement"):
        report_for(tmp_path, "ok==1.0\n./no/such/pkg\n")


def test_continuation_reports_the_first_line(tmp_path):
    report = report_for(tmp_path, "ok==1.0\n\npandas>=1 \\\n  --hash=sha256:abc\n")
    assert report[0].startswith(f"{tmp_path / 'requirements.txt'}:3: pandas>=1")


def test_includes_are_followed_relative_to_the_including_file(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path, "sub/base.txt", "numpy==1.24.4\nloose\n")
    write(tmp_path, "sub/constraints.txt", "anything>=1\n")
    write(tmp_path, "sub/top.txt", "-r base.txt\n-c constraints.txt\npandas==1.5.3\n")
    main_file = write(tmp_path, "requirements.txt", "-r sub/top.txt\n")
    report = unpinned_report(parse(main_file))
    # A constraint narrows, it does not add a requirement: only requirements must be pinned.
    assert report == [f"{tmp_path / 'sub' / 'base.txt'}:2: loose (no version specifier)"]


def test_include_cycle_is_an_error(tmp_path):
    write(tmp_path, "a.txt", "-r b.txt\n")
    write(tmp_path, "b.txt", "-r a.txt\n")
    with pytest.raises(UsageError, match="include cycle"):
        parse(tmp_path / "a.txt")


def test_a_file_included_twice_is_not_a_cycle(tmp_path):
    write(tmp_path, "common.txt", "numpy==1.24.4\n")
    write(tmp_path, "b.txt", "-r common.txt\npandas==1.5.3\n")
    write(tmp_path, "c.txt", "-r common.txt\n-c constraints.txt\n")
    write(tmp_path, "constraints.txt", "numpy<2\n")
    top = write(tmp_path, "requirements.txt", "-r b.txt\n-r c.txt\n-c constraints.txt\n")
    assert check_pins(top).requirements == 3
    parsed = parse(top)
    assert [e.name for e in parsed.entries if e.kind == "requirement"] == ["numpy", "pandas", "numpy"]
    assert [p.name for p in parsed.files] == ["requirements.txt", "b.txt", "common.txt", "c.txt", "constraints.txt"]


def test_the_same_name_pinned_per_marker_is_no_clash(tmp_path):
    text = 'foo==1.0 ; python_version < "3.12"\nfoo==2.0 ; python_version >= "3.12"\nfoo==3.0 ; python_version >= "3.12"\n'
    report = report_for(tmp_path, text)
    assert len(report) == 1 and report[0].startswith(f"{tmp_path / 'requirements.txt'}:3: foo pinned to 3.0, but to 2.0")


def test_short_config_settings_option_is_stripped(tmp_path):
    assert report_for(tmp_path, "foo==1.0 -C key=value\n") == []


def test_an_unparsable_line_is_not_echoed(tmp_path):
    path = write(tmp_path, "requirements.txt", "machine host login me password hunter2\n")
    with pytest.raises(UsageError) as info:
        check_pins(path)
    assert "hunter2" not in str(info.value) and f"{path}:1: not a valid requirement" in str(info.value)


def test_same_package_pinned_twice_differently(tmp_path):
    report = report_for(tmp_path, "Pandas==1.5.3\nnumpy==1.24.4\npandas==2.0\n")
    assert report == [
        f"{tmp_path / 'requirements.txt'}:3: pandas pinned to 2.0, but to 1.5.3 at {tmp_path / 'requirements.txt'}:1"
    ]
    assert report_for(tmp_path, "pandas==1.5.3\npandas==1.5.3\n") == []


def test_environment_variables_are_expanded_as_pip_does(tmp_path, monkeypatch):
    monkeypatch.setenv("PANDAS_VERSION", "1.5.3")
    assert report_for(tmp_path, "pandas==${PANDAS_VERSION}\n") == []


def test_stored_text_redacts_credentials_and_inlines_includes(tmp_path):
    write(tmp_path, "base.txt", "numpy==1.24.4\n")
    path = write(tmp_path, "requirements.txt", "-i https://user:s3cr3t@pypi.example/simple\n-r base.txt\npandas==1.5.3\n")
    text = stored_text(path).requirements
    assert "s3cr3t" not in text and "user" not in text
    assert "https://****@pypi.example/simple" in text
    assert "numpy==1.24.4" in text and "pandas==1.5.3" in text


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "no requirements in the file"),
        (b"# only a comment\n\n", "no requirements in the file"),
        (b"pandas==1.5.3\ncaf\xe9==1.0\n", ":2: not UTF-8 text"),
        (b"pandas==1.5.3\n--no-such-option\n", ":2: unknown option '--no-such-option'"),
        (b"pandas==1.5.3\nnot a requirement!!\n", ":2: not a valid requirement"),
    ],
)
def test_bad_files_are_usage_errors_naming_file_and_line(tmp_path, content, message):
    path = write(tmp_path, "requirements.txt", content)
    with pytest.raises(UsageError, match=message) as info:
        check_pins(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(UsageError, match="requirements file not found"):
        check_pins(tmp_path / "nope.txt")


def test_cli_lists_every_unpinned_line_and_exits_3(tmp_path, capsys):
    path = write(tmp_path, "requirements.txt", "a==1\nb\nc>=2\n")
    assert main(["check-pins", str(path)]) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{path}:2: b (no version specifier)"
    assert err[1] == f"{path}:3: c>=2 ('>=' is not '==')"
    assert err[2] == f"venvbuild: error: {path}: 2 requirement(s) not pinned to one version with '=='"


def test_cli_exit_codes(tmp_path, capsys):
    assert main(["check-pins", str(write(tmp_path, "ok.txt", "a==1\n"))]) == 0
    assert main(["check-pins", str(tmp_path / "missing.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"venvbuild: error: {tmp_path / 'missing.txt'}: requirements file not found"]


def test_unpinned_error_carries_every_line(tmp_path):
    with pytest.raises(UnpinnedError) as info:
        check_pins(write(tmp_path, "r.txt", "a\nb\n"))
    assert len(info.value.lines) == 2


def test_the_normalised_model_ignores_spelling_comments_and_how_files_are_split(tmp_path):
    """What the build fingerprint reads: the requirements as pip reads them, credentials masked."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(
        tmp_path,
        "a/requirements.txt",
        "--index-url https://u:s3cr3t@pypi.example/simple\nScikit_Learn == 1.5.2  # ml\n"
        "requests[Socks]==2.32.3;python_version>='3.8'\n-c c.txt\n",
    )
    write(tmp_path, "a/c.txt", "numpy<2\n")
    write(tmp_path, "b/requirements.txt", "-i https://other:pw@pypi.example/simple\n-r more.txt\n-c c.txt\n")
    write(tmp_path, "b/more.txt", 'scikit-learn==1.5.2\nrequests[socks] == 2.32.3 ; python_version >= "3.8"\n')
    write(tmp_path, "b/c.txt", "# constraints\nNumPy <2\n")
    a, b = parse(tmp_path / "a/requirements.txt"), parse(tmp_path / "b/requirements.txt")
    assert (
        a.normalised()
        == b.normalised()
        == [
            "requirement scikit-learn==1.5.2",
            'requirement requests[socks]==2.32.3 ; python_version >= "3.8"',
            "constraint numpy<2",
            "option index_url=https://****@pypi.example/simple",
        ]
    )
    assert [(e.line.path.name, e.line.lineno) for e in b.entries] == [("more.txt", 1), ("more.txt", 2), ("c.txt", 2)]
    assert [e.name for e in a.requirements] == ["scikit-learn", "requests"] and len(a.constraints) == 1


def test_files_are_read_in_chunks_with_the_lines_str_splitlines_gives(tmp_path, monkeypatch):
    import random

    from venvbuild.build import requirements_reader

    monkeypatch.setattr(requirements_reader, "_CHUNK", 7)  # every multi-byte character and "\r\n" crosses a chunk
    rng = random.Random(9)
    pieces = ["a", "==", "\r", "\n", "\r\n", "\x0b", "\x85", "\u2028", "é", "\ufeff", " ", "\\", "#"]
    for round_ in range(500):
        text = ("\ufeff" if round_ % 3 == 0 else "") + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        path = write(tmp_path, "r.txt", text)
        got = list(requirements_reader._physical_lines(path, requirements_reader._Budget(1 << 20), None))
        assert got == text.removeprefix("\ufeff").splitlines(), repr(text)
    path = write(tmp_path, "bad.txt", b"a==1\nb==1\n" * 3 + b"caf\xe9==1\n")
    with pytest.raises(UsageError, match=r"bad.txt:7: not UTF-8 text \(byte 0xe9\)"):
        parse(path)


def test_what_validate_keeps_of_the_requirements_gives_the_same_model_without_the_files(tmp_path, monkeypatch):
    """state.json keeps the lines validate read; later stages rebuild the same requirements from them, even
    once the files are gone, and no credential or ${VAR} value is kept."""
    import json

    from venvbuild.build import requirements_gate

    monkeypatch.setenv("INDEX_USER", "u")
    monkeypatch.setenv("INDEX_TOKEN", "v4r-s3cret")
    (tmp_path / "base.txt").write_text("beta==1.0 ; python_version >= '3'\n-c pins.txt\n")
    (tmp_path / "pins.txt").write_text("gamma==2.0\n")
    top = tmp_path / "requirements.txt"
    top.write_text(
        "--index-url https://${INDEX_USER}:${INDEX_TOKEN}@example.invalid/simple\n"
        "--extra-index-url https://builder:literal-s3cret@example.invalid/x\n"
        "-r base.txt\nalpha==1.0 \\\n  --hash=sha256:" + "0" * 64 + "\n"
    )
    read = requirements_gate.read(top)
    kept = json.loads(json.dumps(read.records))
    assert read.had_credentials and "s3cret" not in json.dumps(kept) and "${INDEX_TOKEN}" in json.dumps(kept)
    for path in tmp_path.iterdir():
        path.unlink()
    back = requirements_gate.read_back(top, kept, read.had_credentials)
    assert back.parsed.normalised() == read.parsed.normalised()
    assert back.stored() == read.stored()
