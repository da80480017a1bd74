#!/bin/sh
# The venvbuild helper for the library's steps (io.venvbuild.HelperTool); every value comes from the
# environment or a file the step wrote.
#
# Trust model (docs/how-to/jenkins-trust.md): every build on a static agent runs as the same OS user, so
# nothing a build can write may decide what a later build runs. No helper is reused across builds:
#
# VB_STAGE=install-helper
#   VB_HELPER_COMMAND set: check it is venvbuild $VB_VERSION and use it (the agent admin's install).
#   Otherwise: probe helperPython (resolved path, version, machine; refused in one line below the lock's
#   Python floor), then install the lock VB_HELPER_LOCK_FILE (written by the step, every wheel pinned by
#   sha256) with pip --require-hashes into a fresh folder under VB_TOOL_DIR, this call's private folder
#   under the workspace's @tmp (whatever an earlier build left there is removed first). Wheels come from
#   the agent's shared cache VB_TOOL_ROOT/wheels, each checked against the lock's sha256 before pip sees
#   it (and again by pip), and are downloaded into it when missing. Writes command=, digest=, key= and
#   tool= lines to VB_HELPER_INFO; the step keeps the digest in the controller's memory.
# VB_STAGE=verify-helper: the tool VB_HELPER_TOOL and the interpreter under it must still give
#   VB_HELPER_DIGEST, the digest install-helper reported; run right before credentials are bound.
set -u

mkdir -p "$(dirname "$VB_STDERR_FILE")" || exit 5
: > "$VB_STDERR_FILE"

# An index URL may hold credentials: everything printed goes through mask.
mask() {
    sed 's#://[^/]*@#://****@#g'
}

say() {
    printf '%s\n' "$1" | mask >&2
}

fail() {
    printf 'venvbuild: error: %s\n' "$1" | mask | tee -a "$VB_STDERR_FILE" >&2
    exit "$2"
}

# $1 must answer --version with this library's version.
check_version() {
    answer=$("$1" --version 2>&1) || fail "the helper '$1' does not run: $answer" 5
    [ "$answer" = "venvbuild $VB_VERSION" ] ||
        fail "helper '$1' is '$answer', this library needs 'venvbuild $VB_VERSION'" 2
}

if [ -n "${VB_HELPER_COMMAND:-}" ]; then
    command -v "$VB_HELPER_COMMAND" >/dev/null 2>&1 ||
        fail "helperCommand '$VB_HELPER_COMMAND' is not a command on this agent" 2
    check_version "$VB_HELPER_COMMAND"
    printf 'command=%s\ndigest=\nkey=\ntool=\n' "$VB_HELPER_COMMAND" > "$VB_HELPER_INFO" ||
        fail "cannot write $VB_HELPER_INFO" 5
    exit 0
fi

python=$VB_HELPER_PYTHON
command -v "$python" >/dev/null 2>&1 || fail "helperPython '$python' is not a command on this agent" 2

# What the helper runs on: the interpreter's resolved path, version and machine, and the sha256 of its
# executable. Run isolated (-I: no workspace on sys.path, no PYTHON* variables) from /.
probe_python() {
    (cd / && "$python" -I -c 'import hashlib, os, platform, sys
exe = os.path.realpath(sys.executable)
with open(exe, "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
print("%s %s %s %s" % (platform.python_version(), platform.machine(), digest, exe))' 2>/dev/null)
}

# One sha256 over every entry below folder $1 (path and kind; a file's content, a link's target) and the
# interpreter probe $2. Computed by helperPython, never by anything inside the folder.
tool_digest() {
    (cd / && "$python" -I -c 'import hashlib, os, sys
root, probe = sys.argv[1], sys.argv[2]
total = hashlib.sha256(probe.encode() + b"\0")
for folder, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(dirs + files):
        path = os.path.join(folder, name)
        rel = os.path.relpath(path, root).encode("utf-8", "surrogateescape")
        if os.path.islink(path):
            total.update(b"l " + rel + b" " + os.readlink(path).encode("utf-8", "surrogateescape"))
        elif os.path.isdir(path):
            total.update(b"d " + rel)
        else:
            with open(path, "rb") as f:
                total.update(b"f " + rel + b" " + hashlib.sha256(f.read()).digest() + oct(os.stat(path).st_mode & 0o111).encode())
        total.update(b"\0")
print(total.hexdigest())' "$1" "$2")
}

floor=$(sed -n 's/^# python: >=\([0-9][0-9.]*\).*/\1/p' "${VB_HELPER_LOCK_FILE:-/dev/null}" 2>/dev/null | head -n 1)
probe=$(probe_python)
if [ -z "$probe" ]; then
    # Too old for -I (before 3.4), or not a Python at all: its own answer to -V says which.
    answer=$("$python" -V 2>&1 | head -n 1)
    fail "helperPython '$python' ($answer) cannot run the venvbuild helper, which needs Python >=${floor:-3.10}" 2
fi

if [ "$VB_STAGE" = verify-helper ]; then
    [ -d "$VB_HELPER_TOOL" ] && [ "$(tool_digest "$VB_HELPER_TOOL" "$probe")" = "$VB_HELPER_DIGEST" ] ||
        fail "the helper in $VB_HELPER_TOOL or its interpreter changed during this build; not running it with credentials" 5
    say "venvbuild helper in $VB_HELPER_TOOL unchanged since it was installed for this build"
    exit 0
fi

read -r python_version python_machine python_sha python_path <<PROBE
$probe
PROBE
if [ -n "$floor" ]; then
    (cd / && VB_FLOOR=$floor "$python" -I -c 'import os, sys
sys.exit(sys.version_info[:2] < tuple(int(p) for p in os.environ["VB_FLOOR"].split(".")[:2]))') ||
        fail "helperPython '$python' is Python $python_version ($python_path); the venvbuild helper needs Python >=$floor: set helperPython to a newer interpreter" 2
fi
if [ "$(id -u)" != 0 ] && [ -w "$python_path" ]; then
    say "warning: helperPython $python_path is writable by this agent's user; a build could change it (see the trust model in the library's docs)"
fi

[ -f "${VB_HELPER_LOCK_FILE:-}" ] || fail "the helper's lock file '${VB_HELPER_LOCK_FILE:-}' is missing" 5
lock_sha=$(cd / && "$python" -I -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$VB_HELPER_LOCK_FILE")
# The tool's name: the library version, the lock and the interpreter it runs on (an x86_64 and an aarch64
# agent sharing a home, or two Pythons behind one name, never share a tool).
key=venvbuild-$VB_VERSION-$(printf '%s\n%s %s %s\n' "$lock_sha" "$python_path" "$python_version" "$python_machine" |
    (cd / && "$python" -I -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:16])'))

tool_root=${VB_TOOL_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/venvbuild/helpers}
wheels="$tool_root/wheels"
mkdir -p "$wheels" || fail "cannot create the helper's wheel cache $wheels (helperToolRoot)" 5
case "$(cd "$tool_root" && pwd -P)/" in
    "$(pwd -P)/"*) fail "the helper's tool folder $tool_root is inside the workspace; give helperToolRoot outside it" 2 ;;
esac

# Whatever an earlier build left in this call's folder is removed, never run.
if [ -e "$VB_TOOL_DIR" ]; then
    chmod -R u+w "$VB_TOOL_DIR" 2>/dev/null
    rm -rf "$VB_TOOL_DIR" || fail "cannot remove the old helper folder $VB_TOOL_DIR" 5
fi
mkdir -p "$VB_TOOL_DIR" || fail "cannot create the helper folder $VB_TOOL_DIR" 5
tool="$VB_TOOL_DIR/$key"
tmp="$VB_TOOL_DIR/.installing"
trap 'rm -rf "$tmp" "$VB_TOOL_DIR/.wheels" "$VB_TOOL_DIR/.status" "$VB_TOOL_DIR/.first-try.log"' EXIT

index_url=${VB_INDEX_URL:-}
if [ -n "$index_url" ] && [ -n "${VB_INDEX_USER:-}" ]; then
    # The credentials go into the URL pip reads from its environment: never on disk or a command line.
    index_url=$(cd / && "$python" -I -c 'import os, urllib.parse as u
url = u.urlsplit(os.environ["VB_INDEX_URL"])
auth = ":".join(u.quote(os.environ[k], safe="") for k in ("VB_INDEX_USER", "VB_INDEX_PASSWORD"))
print(u.urlunsplit(url._replace(netloc=auth + "@" + url.netloc.rpartition("@")[2])))') ||
        fail "helperIndexUrl '$VB_INDEX_URL' is not a URL" 2
fi

say "installing the venvbuild helper $VB_VERSION from its lock into $tool (Python $python_version, $python_machine, $python_path)"
# The resolved interpreter from here on: a shim (pyenv) would pick by the workspace's .python-version.
"$python_path" -m venv "$tmp" >&2 ||
    fail "could not create the helper's venv with helperPython '$python' (Python $python_version) in $VB_TOOL_DIR" 5

# The cached wheels whose sha256 the lock names are linked into a folder of this call's, and pip sees only
# those: a file another build put in the cache is never installed (a wrong one under a lock wheel's name
# is replaced by pip download, which checks the hash of what it finds there).
select_wheels() {
    rm -rf "$VB_TOOL_DIR/.wheels"
    (cd / && "$python" -I -c 'import hashlib, os, re, shutil, sys
lock, cache, out = sys.argv[1:4]
wanted = set(re.findall(r"--hash=sha256:([0-9a-f]{64})", open(lock).read()))
os.makedirs(out)
for name in sorted(os.listdir(cache)):
    path = os.path.join(cache, name)
    if os.path.islink(path) or not os.path.isfile(path):
        continue
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest in wanted and name.endswith(".whl"):
        try:
            os.link(path, os.path.join(out, name))
        except OSError:
            shutil.copyfile(path, os.path.join(out, name))' "$VB_HELPER_LOCK_FILE" "$wheels" "$VB_TOOL_DIR/.wheels")
}

# pip's exit status comes back through a file: its output goes through mask (no pipefail in sh).
pip_run() {
    {
        if [ -n "$index_url" ]; then export PIP_INDEX_URL="$index_url"; fi
        "$tmp/bin/python" -I -m pip "$@" 2>&1
        echo "$?" > "$VB_TOOL_DIR/.status"
    } | mask >&2
    [ "$(cat "$VB_TOOL_DIR/.status" 2>/dev/null)" = 0 ]
}

install_from_cache() {
    pip_run install --disable-pip-version-check --no-input --no-cache-dir --require-hashes --no-deps \
        --only-binary :all: --no-index --find-links "$VB_TOOL_DIR/.wheels" -r "$VB_HELPER_LOCK_FILE"
}

select_wheels || fail "could not read the helper's wheel cache $wheels" 5
if ! install_from_cache 2>"$VB_TOOL_DIR/.first-try.log"; then
    say "the agent's wheel cache $wheels lacks some of the helper's wheels; downloading them"
    pip_run download --disable-pip-version-check --no-input --no-cache-dir --require-hashes --no-deps \
        --only-binary :all: -d "$wheels" -r "$VB_HELPER_LOCK_FILE" ||
        fail "could not download the helper's wheels from its lock ($key) into $wheels" 5
    select_wheels || fail "could not read the helper's wheel cache $wheels" 5
    install_from_cache || fail "could not install the helper from its lock ($key) into $VB_TOOL_DIR" 5
fi
"$tmp/bin/python" -I -m pip check >&2 ||
    fail "the helper's dependencies do not fit together (pip check) in $tmp" 5
# Run as `python -I -B -m venvbuild`: the workspace is not on sys.path, PYTHON* variables are ignored
# and no bytecode is written into the tool. The path is the final one, as the folder is renamed.
printf '#!/bin/sh\nexec "%s/bin/python" -I -B -m venvbuild "$@"\n' "$tool" > "$tmp/bin/venvbuild-run" &&
    chmod 755 "$tmp/bin/venvbuild-run" || fail "cannot write $tmp/bin/venvbuild-run" 5
# A portable rename (os.replace, rename(2)): fails when $tool exists, which nothing else makes.
(cd / && "$python" -I -c 'import os, sys; os.replace(sys.argv[1], sys.argv[2])' "$tmp" "$tool") ||
    fail "could not move the helper into place at $tool" 5
check_version "$tool/bin/venvbuild-run"
digest=$(tool_digest "$tool" "$probe") || fail "could not take the digest of $tool" 5
printf 'command=%s\ndigest=%s\nkey=%s\ntool=%s\n' "$tool/bin/venvbuild-run" "$digest" "$key" "$tool" > "$VB_HELPER_INFO" ||
    fail "cannot write $VB_HELPER_INFO" 5
