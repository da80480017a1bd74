import json
import os
import socket
import subprocess
import tarfile

import pytest

from tests._support.processes import CHILD_TIMEOUT_S
from venvbuild.build import archive, relocation


def _make_tree(root, prefix=None):
    """A venv-like tree; text files that name its own folder, as a real venv's do."""
    prefix = str(prefix or root)
    (root / "bin").mkdir(parents=True)
    site = root / "lib" / "python3.11" / "site-packages"
    (site / "pkg" / "__pycache__").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("x = 1\n")
    (site / "pkg" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"\x00bytecode stamped now")
    (root / "bin" / "tool").write_text(f"#!{prefix}/bin/python3.11\nimport pkg\n")
    (root / "bin" / "tool").chmod(0o775)
    (root / "bin" / "activate").write_text(f'VIRTUAL_ENV="{prefix}"\nexport VIRTUAL_ENV\n')
    (root / "pyvenv.cfg").write_text(f"home = /usr/bin\ncommand = /usr/bin/python3 -m venv {prefix}\n")
    dist = site / "pkg-1.0.dist-info"
    dist.mkdir()
    tool = (root / "bin" / "tool").read_bytes()
    (dist / "RECORD").write_text(
        f"pkg/__init__.py,{relocation.record_hash(b'x = 1' + bytes([10]))},6\r\n"
        f"../../../bin/tool,{relocation.record_hash(tool)},{len(tool)}\r\n"
        "pkg-1.0.dist-info/RECORD,,\r\n"
    )
    (root / "bin" / "python3.11").symlink_to("/usr/bin/python3.11")
    (root / "bin" / "python").symlink_to("python3.11")
    (root / "lib64").symlink_to("lib")
    (root / "bin" / "absolute-inside").symlink_to(f"{prefix}/lib")
    os.link(root / "bin" / "activate", root / "bin" / "activate-link")
    # More than one compression chunk, so the gzip stream has several members.
    (root / "lib" / "big.bin").write_bytes(os.urandom(1 << 20) * 20)
    return root


@pytest.fixture
def tree(tmp_path):
    return _make_tree(tmp_path / "venv")


def _read(target, name):
    with tarfile.open(target) as tar:
        return tar.extractfile(name).read()


@pytest.mark.parametrize("compression", ["gz", "zst"])
def test_same_venv_in_two_folders_gives_the_same_bytes(tmp_path, compression):
    if compression == "zst":
        pytest.importorskip("zstandard")
    short = _make_tree(tmp_path / "a" / "venv")
    long = _make_tree(tmp_path / "a-much-longer-folder-name" / "nested" / "venv")
    (long / "lib" / "big.bin").write_bytes((short / "lib" / "big.bin").read_bytes())
    os.utime(long / "bin" / "tool", (0, 1_700_000_000))  # mtimes must not matter
    os.chmod(long / "bin" / "tool", 0o700)  # nor the umask the files were written under
    first = archive.write(short, tmp_path / f"a.tar.{compression}", compression)
    second = archive.write(long, tmp_path / f"b.tar.{compression}", compression)
    assert first == second
    assert (tmp_path / f"a.tar.{compression}").read_bytes() == (tmp_path / f"b.tar.{compression}").read_bytes()
    assert first.size == (tmp_path / f"a.tar.{compression}").stat().st_size


def test_build_folder_becomes_the_placeholder_and_is_recorded(tmp_path, tree):
    target = tmp_path / "venv_x.tar.gz"
    packed = archive.write(tree, target, "gz")
    with tarfile.open(target) as tar:
        names = tar.getnames()
        blob = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isreg())
    assert str(tree).encode() not in blob, "no trace of the build folder"
    assert _read(target, "venv/bin/tool").startswith(b"#!/__venvbuild_prefix__/bin/python3.11\n")
    assert _read(target, "venv/bin/activate") == b'VIRTUAL_ENV="/__venvbuild_prefix__"\nexport VIRTUAL_ENV\n'
    kinds = {f["path"]: f["kind"] for f in packed.relocation["files"]}
    assert kinds == {
        "bin/activate": "text",
        "bin/activate-link": "text",
        "bin/tool": "shebang",
        "pyvenv.cfg": "text",
        "lib/python3.11/site-packages/pkg-1.0.dist-info/RECORD": "record",
    }
    record = _read(target, "venv/lib/python3.11/site-packages/pkg-1.0.dist-info/RECORD").decode()
    tool = _read(target, "venv/bin/tool")
    assert f"../../../bin/tool,{relocation.record_hash(tool)},{len(tool)}\r\n" in record
    assert names[-1] == "venv/.venvbuild/build.json"
    build = json.loads(_read(target, "venv/.venvbuild/build.json"))
    assert build["relocation"] == packed.relocation and build["archive_format"] == archive.FORMAT_VERSION
    assert build["files"]["bin/tool"]["sha256"] == __import__("hashlib").sha256(tool).hexdigest()
    assert build["files"]["bin/tool"]["mode"] == "755"
    assert build["files"]["bin/absolute-inside"] == {"type": "symlink", "target": "../lib"}


def test_no_bytecode_and_no_sockets(tmp_path, tree, capsys):
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tree / "lib" / "agent.sock"))
    try:
        target = tmp_path / "venv_x.tar.gz"
        archive.write(tree, target, "gz")
    finally:
        sock.close()
    with tarfile.open(target) as tar:
        names = tar.getnames()
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "venv/lib/agent.sock" not in names
    assert "agent.sock: not a file, folder or link" in capsys.readouterr().err


def test_compiled_file_holding_the_build_folder_is_flagged(tmp_path, tree, capsys):
    (tree / "lib" / "ext.so").write_bytes(b"\x7fELF\x00\x00rpath=" + str(tree).encode() + b"/lib\x00")
    packed = archive.write(tree, tmp_path / "venv_x.tar.gz", "gz")
    assert packed.relocation["binary_files"] == ["lib/ext.so"]
    assert "lib/ext.so: a compiled file holds the build path" in capsys.readouterr().err


def test_shebang_in_the_sh_exec_form_is_normalised(tmp_path):
    spaced = _make_tree(tmp_path / "with space" / "venv")
    (spaced / "bin" / "tool").write_bytes(relocation.shebang(f"{spaced}/bin/python3.11".encode()) + b"import pkg\n")
    plain = _make_tree(tmp_path / "plain" / "venv")
    (plain / "lib" / "big.bin").write_bytes((spaced / "lib" / "big.bin").read_bytes())
    a = archive.write(spaced, tmp_path / "a.tar.gz", "gz")
    b = archive.write(plain, tmp_path / "b.tar.gz", "gz")
    assert _read(tmp_path / "a.tar.gz", "venv/bin/tool") == b"#!/__venvbuild_prefix__/bin/python3.11\nimport pkg\n"
    assert a.sha256 == b.sha256


def test_gzip_archive_is_read_by_tar_with_links_and_modes(tmp_path, tree):
    target = tmp_path / "venv_x.tar.gz"
    archive.write(tree, target, "gz")
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(["tar", "-xzf", str(target), "-C", str(out)], check=True, timeout=CHILD_TIMEOUT_S)
    assert (out / "venv" / "lib" / "big.bin").read_bytes() == (tree / "lib" / "big.bin").read_bytes()
    assert os.readlink(out / "venv" / "bin" / "python3.11") == "/usr/bin/python3.11"
    assert os.readlink(out / "venv" / "lib64") == "lib"
    assert os.access(out / "venv" / "bin" / "tool", os.X_OK)
    with tarfile.open(target) as tar:
        link = tar.getmember("venv/bin/activate-link")
        assert link.isreg() and link.size == len(_read(target, "venv/bin/activate"))
        names = tar.getnames()[:-2]
        records = [n for n in names if n.endswith(".dist-info/RECORD")]
        assert records and names[-len(records) :] == records, "RECORD files come after the files they hash"
        names = names[: -len(records)]
        assert names == sorted(names, key=lambda n: n.split("/"))
        assert not [n for n in names if n.startswith("venv/lib64/")], "a symlinked folder is not followed"


@pytest.mark.parametrize(
    "executable, args",
    [
        ("/opt/envs/demo/bin/python", ""),
        ("/opt/envs/demo/bin/python", " -u"),
        ("/opt/" + "x" * 108 + "/bin/python", ""),  # 127 bytes with #! and the newline: still the simple form
        ("/opt/" + "x" * 109 + "/bin/python", ""),  # one more: the /bin/sh form
        ("/opt/" + "x" * 109 + "/bin/python", " -E"),
        ("/opt/with space/bin/python", ""),
        ("/opt/" + "y" * 200 + " z/bin/python", ""),
    ],
)
def test_shebang_is_the_one_pip_writes(executable, args):
    """pip's own script maker (its vendored distlib, used by this test only) decides the same form; in the
    /bin/sh form the interpreter is always quoted, as distlib quotes it when it holds a space."""
    scripts = pytest.importorskip("pip._vendor.distlib.scripts")
    maker = scripts.ScriptMaker(None, None)
    simple = " " not in executable and len(executable) + len(args) + 3 <= relocation.MAX_SHEBANG
    quoted = executable if simple else f'"{executable}"'
    expected = maker._build_shebang(quoted.encode(), args.encode())
    expected += b"" if expected.endswith(b"\n") else b"\n"  # as its _write_script ends the line
    assert relocation.shebang(executable.encode(), args.encode()) == expected
    parsed = relocation._parse_shebang(expected + b"import sys\n")
    assert parsed == (executable.encode(), args.encode(), b"import sys\n")


def test_a_relocated_script_keeps_its_interpreter_arguments():
    kind, archived = relocation.to_placeholder(b"#!/build/venv/bin/python -u\nrun()\n", [b"/build/venv"])
    assert (kind, archived) == ("shebang", b"#!/__venvbuild_prefix__/bin/python -u\nrun()\n")
    long_dest = b"/opt/" + b"x" * 130 + b"/a&b(c)"
    relocated = relocation.from_placeholder(archived, kind, long_dest)
    assert relocated == b"#!/bin/sh\n'''exec' \"" + long_dest + b'/bin/python" -u "$0" "$@"\n\' \'\'\'\nrun()\n'


@pytest.mark.parametrize(
    "name, kind, mode, size, target",
    [
        ("venv", "dir", 0o755, 0, ""),
        ("venv/", "dir", 0o755, 0, ""),
        ("v" * 99, "dir", 0o755, 0, ""),  # 100 bytes with the slash: the last that fits
        ("v" * 100, "dir", 0o755, 0, ""),  # 101 with it: a GNU long name
        ("f" * 100, "file", 0o644, 1, ""),
        ("f" * 101, "file", 0o644, 1, ""),
        ("\u00e9" * 50, "file", 0o644, 0, ""),  # 50 characters, 100 bytes
        ("\u00e9" * 51, "file", 0o644, 0, ""),  # 51 characters, 102 bytes
        (os.fsdecode(b"venv/not-utf8-\xff"), "file", 0o755, 7, ""),
        ("venv/bin/python", "symlink", 0o777, 0, "t" * 100),
        ("venv/bin/python", "symlink", 0o777, 0, "t" * 101),
        ("venv/bin/python", "symlink", 0o777, 0, os.fsdecode(b"/usr/bin/\xfe")),
        ("venv/lib/huge.bin", "file", 0o644, 8**11 - 1, ""),  # the largest size in octal
        ("venv/lib/huge.bin", "file", 0o644, 8**11, ""),  # base 256 from here
        ("venv/odd-mode", "file", 0o104755, 3, ""),  # bits above 0o7777 are dropped
    ],
)
def test_each_header_is_what_tarfile_writes(name, kind, mode, size, target):
    assert archive._header(name, kind, mode, size, target) == archive._tarfile_header(name, kind, mode, size, target)


def test_the_tar_stream_is_byte_for_byte_what_tarfile_writes(tmp_path):
    """archive._TarWriter skips tarfile's per-entry work; any tar reader must see the same stream: GNU long
    names and link targets, non-ASCII names, files over one write chunk, a stream ending mid-record."""
    import io

    deep = "/".join(["a-folder-name-of-some-length"] * 6)
    entries = [
        ("venv", "dir", 0o755, b"", ""),
        (f"venv/{deep}", "dir", 0o755, b"", ""),
        (f"venv/{deep}/module_with_a_long_name.py", "file", 0o644, b"print('x')\n", ""),
        ("venv/caf\u00e9/\u00fcber.txt", "file", 0o644, "\u00e9".encode() * 999, ""),
        ("venv/big.bin", "file", 0o755, os.urandom(archive._CHUNK + 1234), ""),
        ("venv/empty", "file", 0o644, b"", ""),
        ("venv/link", "symlink", 0o777, b"", f"{deep}/module_with_a_long_name.py"),
    ]
    ours = io.BytesIO()
    writer = archive._TarWriter(ours)
    for name, kind, mode, data, target in entries:
        if kind == "file":
            writer.add_file(name, mode, len(data), io.BytesIO(data))
        else:
            writer.add(name, kind, mode, target=target)
    writer.close()

    reference = io.BytesIO()
    with tarfile.open(fileobj=reference, mode="w|", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, mode, data, target in entries:
            info = tarfile.TarInfo(name)
            info.type = {"dir": tarfile.DIRTYPE, "file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE}[kind]
            info.mode, info.size, info.linkname, info.mtime = mode, len(data), target, archive.MTIME
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data) if kind == "file" else None)

    assert ours.getvalue() == reference.getvalue()
    with tarfile.open(fileobj=io.BytesIO(ours.getvalue())) as tar:
        assert [m.name for m in tar.getmembers()] == [e[0] for e in entries]
        assert tar.extractfile("venv/big.bin").read() == entries[4][3]
