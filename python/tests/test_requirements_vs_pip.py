"""Our requirements reader against pip's own, on one corpus: the same requirement set, or both refuse.

pip's internals are used here, in the test, and never by the helper: the helper must not depend on them.
"""

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from venvbuild.build.requirements_gate import unpinned_report
from venvbuild.build.requirements_reader import parse
from venvbuild.errors import UsageError

pip_req_file = pytest.importorskip("pip._internal.req.req_file")
from pip._internal.network.session import PipSession  # noqa: E402
from pip._internal.req.constructors import install_req_from_parsed_requirement  # noqa: E402

SHA = "0123456789abcdef0123456789abcdef01234567"
HASH = "0" * 64

CORPUS = {
    "requirements.txt": (
        "# a comment\n"
        "\n"
        "--index-url https://user:p@ss@pypi.example/simple\n"
        "--extra-index-url=https://example.com/simple?token=abc\n"
        "-f ./wheels\n"
        "--pre\n"
        "--prefer-binary\n"
        "--only-binary=:all:\n"
        "--trusted-host example.com\n"
        "--requirement=sub/base.txt\n"
        '-r "dir with space/more.txt"\n'
        "-c constraints.txt\n"
        "Pandas==1.5.3  # inline comment\n"
        "numpy==1.24.4 \\\n"
        f"    --hash=sha256:{HASH}\n"
        'requests[socks,Security]==2.32.3 ; python_version >= "3.8"\n'
        "semi==1.0;python_version>'3'\n"
        "legacy===1.0-custom\n"
        "Scikit_Learn==1.5.2\n"
        "wheel-pkg @ https://files.example/wheel_pkg-1.0-py3-none-any.whl\n"
        f"vcs-pkg @ git+https://git.example/vcs-pkg@{SHA}\n"
        f"git+https://git.example/eggy.git@{SHA}#egg=eggy\n"
        "git+https://git.example/eggy2.git@main#egg=Eggy2\n"
        "https://files.example/other_pkg-2.0-py3-none-any.whl\n"
        "https://files.example/thing-1.0.tar.gz#egg=thing\n"
        "https://files.example/unnamed-1.0.tar.gz\n"
        'https://files.example/marked-1.0-py3-none-any.whl; python_version < "4"\n'
        "./wheels/local_wheel-3.0-py3-none-any.whl\n"
        "./project[Extra]\n"
        "-e ./project\n"
        "--editable git+https://git.example/ed.git@main#egg=ed\n"
        "eight==1.0 # a comment ending in a backslash \\\n"
        "swallowed==9.9\n"
        "nine==1.0 --no-binary :all:\n"
        "ten==1.0 -C key=value --hash sha512:abc --config-settings=k2=v2\n"
        "eleven==${ELEVEN_VERSION}\n"
        "twelve==1.0 ; python_version > '${EMPTY_VAR}'\n"
        "x==2.31\n"
        "X==2.31.0\n"
        "cont\\\n"
        "inued==1.0\n"
        "--pre foo-ignored==1.0\n"
        "-r first.txt -r second.txt\n"
        "last==1.0 \\"
    ),
    "sub/base.txt": "alpha==1.0\n-r ../common.txt\n",
    "common.txt": "common==1.0\n",
    "dir with space/more.txt": "spaced==1.0\n",
    "first.txt": "first==1.0\n",
    "second.txt": "second==1.0\n",
    # A -r inside a constraints file adds requirements (pip installs them); a -c inside adds constraints.
    "constraints.txt": "beta<2\n-r from-constraints.txt\n-c nested-constraints.txt\n--index-url https://other.example/simple\n",
    "from-constraints.txt": "unpinned-from-constraints\n",
    "nested-constraints.txt": "gamma!=1.1\n",
    "project/pyproject.toml": "[project]\nname = 'project'\nversion = '1.0'\n",
    "wheels/local_wheel-3.0-py3-none-any.whl": "not really a wheel, pip only reads its name here\n",
}

# Each of these pip refuses while reading the file; so must we.
REFUSED = [
    "foo==1.0 --no-such-option\n",
    "foo==1.0 --hash=md5:abc\n",
    "foo==1.0 --hash=nocolon\n",
    "foo==1.0 -C novalue\n",
    "foo==1.0 --hash 'unclosed\n",
    "not a requirement!!\n",
    "foo==1.0 ; python_version >>> '3'\n",
    "-r missing.txt\n",
    "./no/such/project\n",
    "foo==1.0\n-r\n",
]


def write_corpus(root):
    for name, text in CORPUS.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "requirements.txt"


def pip_view(path):
    """(name, specifier, extras, marker, constraint, editable) for each requirement pip reads, in order."""
    rows = []
    for parsed in pip_req_file.parse_requirements(str(path), session=PipSession()):
        ireq = install_req_from_parsed_requirement(parsed)
        rows.append(
            (
                canonicalize_name(ireq.name) if ireq.name else None,
                str(SpecifierSet(str(ireq.req.specifier))) if ireq.req else "",
                tuple(sorted(canonicalize_name(e) for e in ireq.extras)),
                str(Marker(str(ireq.markers))) if ireq.markers else None,
                bool(ireq.constraint),
                bool(ireq.editable),
            )
        )
    return rows


def our_view(path):
    return [
        (e.name, str(SpecifierSet(e.specifier)), e.extras, e.marker, e.kind == "constraint", e.editable)
        for e in parse(path).entries
    ]


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    # pip reads bare paths relative to the working directory; so do we.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ELEVEN_VERSION", "11.0")
    monkeypatch.setenv("EMPTY_VAR", "")
    return write_corpus(tmp_path)


def test_the_same_requirement_set_as_pip(corpus):
    ours, pips = our_view(corpus), pip_view(corpus)
    assert ours == pips
    # The corpus exercises what it claims to: spot checks on pip's answer.
    names = [row[0] for row in pips]
    assert "swallowed" not in names and "foo-ignored" not in names and "second" not in names
    assert ("unpinned-from-constraints", "", (), None, False, False) in pips
    assert ("beta", "<2", (), None, True, False) in pips and ("gamma", "!=1.1", (), None, True, False) in pips
    assert ("eleven", "==11.0", (), None, False, False) in pips
    assert ("last", "==1.0", (), None, False, False) in pips
    assert ("inued", "", (), None, False, False) not in pips and ("continued", "==1.0", (), None, False, False) in pips


def test_the_pin_gate_on_the_corpus(corpus):
    report = unpinned_report(parse(corpus))
    flagged = {line.split(": ", 1)[1].split(" (")[0] for line in report}
    # Unpinned as pip installs them: the -r inside constraints.txt, branch/sdist URLs, paths, editables.
    assert flagged == {
        "unpinned-from-constraints",
        "git+https://git.example/eggy2.git@main#egg=Eggy2",
        "https://files.example/thing-1.0.tar.gz#egg=thing",
        "https://files.example/unnamed-1.0.tar.gz",
        "./project[Extra]",
        "-e ./project",
        "--editable git+https://git.example/ed.git@main#egg=ed",
    }
    # x==2.31 and X==2.31.0 are one version: no clash; the egg VCS URL at a full commit is pinned.
    assert not any("pinned to" in line for line in report)


@pytest.mark.parametrize("text", REFUSED)
def test_what_pip_refuses_we_refuse(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception) as pip_error:
        pip_view(path)
    assert not isinstance(pip_error.value, AssertionError)
    with pytest.raises(UsageError, match=f"^{path}"):
        parse(path)
