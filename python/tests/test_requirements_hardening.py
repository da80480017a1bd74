"""Requirements files as a hostile user writes them: every case is one
`venvbuild: error:` line naming the file and line, or the pin gate agreeing with what pip installs."""

import os
import resource
import subprocess
import sys

import pytest

from venvbuild.build import requirements_gate, requirements_reader
from venvbuild.cli import main


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _limit_memory():
    # An unbounded read fails fast here instead of taking the machine down.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def check_pins_subprocess(path, timeout=60):
    """`venvbuild check-pins path` in a child with 1 GiB of address space and a time limit."""
    return subprocess.run(
        [sys.executable, "-m", "venvbuild", "check-pins", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("venvbuild: error: "), lines[0]
    return lines[0]


# ---- includes are regular files under a size cap --------------------------------------------------


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null", "fifo"])
def test_an_include_that_is_not_a_regular_file_is_refused(tmp_path, target):
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")  # opening it for reading would wait for a writer forever
        target = str(tmp_path / "fifo")
    top = write(tmp_path, "requirements.txt", f"pandas==1.5.3\n-r {target}\n")
    result = check_pins_subprocess(top)
    assert result.returncode == 2
    line = one_error_line(result)
    assert line.startswith(f"venvbuild: error: {top}:2: -r {target}: ")
    assert "not a regular file" in line


def test_the_top_file_must_be_a_regular_file_too():
    result = check_pins_subprocess("/dev/zero")
    assert result.returncode == 2
    assert one_error_line(result) == (
        "venvbuild: error: /dev/zero: is not a regular file (a device, FIFO or socket); requirements files must be regular files"
    )


def test_a_file_over_the_cap_is_refused_without_reading_it_all(tmp_path):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as out:
        out.truncate(requirements_reader.MAX_BYTES + 1)  # sparse: no disk used
    top = write(tmp_path, "requirements.txt", "pandas==1.5.3\n-r huge.txt\n")
    result = check_pins_subprocess(top)
    assert result.returncode == 2
    assert one_error_line(result) == (
        f"venvbuild: error: {top}:2: -r huge.txt: requirements larger than 64 MiB in all (files and their includes)"
    )


def test_the_cap_counts_every_include_even_a_repeated_one(tmp_path, monkeypatch):
    # A file included twice at each of n levels is read 2**n times by a naive reader.
    monkeypatch.setattr(requirements_reader, "MAX_BYTES", 1000)
    write(tmp_path, "leaf.txt", "".join(f"pkg{i}==1.0\n" for i in range(40)))  # 440 bytes
    top = write(tmp_path, "requirements.txt", "-r leaf.txt\n-r leaf.txt\n-r leaf.txt\n")
    assert main(["check-pins", str(top)]) == 2


def test_includes_nested_too_deep_are_one_line(tmp_path):
    for level in range(1500):
        write(tmp_path, f"r{level}.txt", f"-r r{level + 1}.txt\n")
    write(tmp_path, "r1500.txt", "pandas==1.5.3\n")
    result = check_pins_subprocess(tmp_path / "r0.txt")
    assert result.returncode == 2
    assert one_error_line(result) == (
        f"venvbuild: error: {tmp_path / 'r99.txt'}:1: -r r100.txt: includes nested more than 100 deep"
    )


def peak_memory_reading(path):
    """The child's own peak RSS (VmHWM): ru_maxrss would carry over the forking pytest's across exec."""
    code = (
        "from venvbuild.build.requirements_gate import check_pins; "
        f"check_pins({str(path)!r}); "
        "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600)
    return int(done.stdout) * 1024


def test_memory_grows_with_distinct_packages_not_with_lines(tmp_path):
    """One pin repeated: memory stays flat. Every line a different package (the worst case, 16-byte lines):
    two machine words a package, about ten times the file, where the old reader took eighty."""
    base = peak_memory_reading(write(tmp_path, "one.txt", "pandas==1.5.3\n"))
    repeated = write(tmp_path, "repeated.txt", "pandas==1.5.3\n" * 300_000)  # 4.2 MB
    distinct = write(tmp_path, "distinct.txt", "".join(f"pkg{i}==1.{i % 50}.0\n" for i in range(150_000)))  # 2.5 MB
    for path, bound in ((repeated, 3), (distinct, 15)):
        grown, size = peak_memory_reading(path) - base, path.stat().st_size
        assert grown < bound * size, f"{path.name}: reading {size} bytes took {grown} more bytes of memory"


# ---- the pin gate agrees with pip ------------------------------------------------------------------


def test_a_requirement_included_from_a_constraints_file_must_be_pinned(tmp_path, capsys):
    write(tmp_path, "constraints.txt", "beta<2\n-r more.txt\n")
    write(tmp_path, "more.txt", "requests\n")  # pip installs this, as a requirement
    top = write(tmp_path, "requirements.txt", "pandas==1.5.3\n-c constraints.txt\n")
    assert main(["check-pins", str(top)]) == 3
    assert capsys.readouterr().err.splitlines()[0] == f"{tmp_path / 'more.txt'}:1: requests (no version specifier)"


def test_versions_are_compared_as_versions(tmp_path, capsys):
    top = write(tmp_path, "requirements.txt", "x==2.31\nX==2.31.0\ny===1.0\ny===1.0.0\n")
    assert main(["check-pins", str(top)]) == 3  # === compares strings, so y is pinned twice differently
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{top}:4: y pinned to 1.0.0, but to 1.0 at {top}:3"
    assert len(err) == 2


def test_a_vcs_url_at_a_full_commit_in_egg_form_is_pinned(tmp_path, capsys):
    sha = "0123456789abcdef0123456789abcdef01234567"
    top = write(tmp_path, "requirements.txt", f"git+https://git.example/x.git@{sha}#egg=x\n")
    assert main(["check-pins", str(top)]) == 0
    assert capsys.readouterr().out == f"{top}: all 1 requirement(s) pinned\n"
    branch = write(tmp_path, "branch.txt", "git+https://git.example/x.git@main#egg=x\n")
    assert main(["check-pins", str(branch)]) == 3


def test_an_inline_comment_ending_in_a_backslash_swallows_the_next_line_as_pip_does(tmp_path, capsys):
    # pip joins the next line into the comment: `requests` is never installed, so it is not reported.
    top = write(tmp_path, "requirements.txt", "pandas==1.5.3 # pinned for now \\\nrequests\n")
    assert main(["check-pins", str(top)]) == 0


def test_a_quoted_include_path_and_options_after_a_requirement(tmp_path):
    write(tmp_path, "dir with space/more.txt", "numpy==1.24.4\n")
    top = write(tmp_path, "requirements.txt", '-r "dir with space/more.txt"\npandas==1.5.3 --no-binary :all:\n')
    assert main(["check-pins", str(top)]) == 0
    assert [e.name for e in requirements_gate.parse(top).entries] == ["numpy", "pandas"]


@pytest.mark.parametrize(
    "constraint, problem",
    [
        ("-e ./project", "editable requirements are not allowed as constraints"),
        ("https://files.example/x-1.0.tar.gz", "a constraint needs a package name"),
        ("pandas[excel]<2", "constraints cannot have extras"),
    ],
)
def test_constraints_pip_refuses_are_refused_with_their_line(tmp_path, capsys, constraint, problem):
    write(tmp_path, "constraints.txt", f"numpy<2\n{constraint}\n")
    top = write(tmp_path, "requirements.txt", "pandas==1.5.3\n-c constraints.txt\n")
    assert main(["check-pins", str(top)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"venvbuild: error: {tmp_path / 'constraints.txt'}:2: {problem} (pip refuses it)"


# ---- a missing include names the including file and line ------------------------------------------


def test_a_missing_include_names_the_including_file_and_line(tmp_path, capsys):
    write(tmp_path, "sub/top.txt", "numpy==1.24.4\n\n-r ../nope.txt\n")
    top = write(tmp_path, "requirements.txt", "-r sub/top.txt\n")
    assert main(["check-pins", str(top)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    nested = tmp_path / "sub" / "top.txt"
    missing = tmp_path / "sub" / "../nope.txt"
    assert err == [f"venvbuild: error: {nested}:3: -r ../nope.txt: requirements file not found ({missing})"]
