#!/bin/sh
# The venvbuild helper for the library's steps (io.venvbuild.HelperTool); every value comes from the
# environment.
# VB_STAGE=install-helper
#   VB_HELPER_COMMAND set: check it is venvbuild $VB_VERSION and use it.
#   Otherwise the tool venv VB_TOOL_ROOT/VB_HELPER_KEY (the key names the lock's sha256), outside the
#   workspace and shared by the agent's builds: reused when there, else installed from the lock
#   VB_HELPER_LOCK with --require-hashes into a temporary folder, checked, made read-only and renamed
#   into place. Either way its files must still match the digest taken when it was installed.
#   Writes command= and digest= lines to VB_HELPER_INFO.
# VB_STAGE=verify-helper: the tool's files must match VB_HELPER_DIGEST, taken by install-helper.
set -u

mkdir -p "$(dirname "$VB_STDERR_FILE")"
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

# One sha256 over every file (path and content) and every symbolic link (path and target) in folder $1,
# except the digest file itself; a file added, removed or changed changes it.
tool_digest() (
    cd "$1" || exit 1
    {
        find . -type f ! -path ./venvbuild-tool.digest -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
        find . -type l -print | LC_ALL=C sort | while IFS= read -r link; do
            printf 'link %s %s\n' "$link" "$(readlink "$link")"
        done
    } | sha256sum | cut -c1-64
)

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
    printf 'command=%s\ndigest=\n' "$VB_HELPER_COMMAND" > "$VB_HELPER_INFO"
    exit 0
fi

tool_root=${VB_TOOL_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/venvbuild/helpers}
tool="$tool_root/$VB_HELPER_KEY"
runner="$tool/bin/venvbuild-run"

if [ "$VB_STAGE" = verify-helper ]; then
    [ "$(tool_digest "$tool")" = "$VB_HELPER_DIGEST" ] ||
        fail "the helper's tool folder $tool changed during this build; not running it with credentials" 5
    say "venvbuild helper in $tool unchanged since it was checked"
    exit 0
fi

mkdir -p "$tool_root" || fail "cannot create the helper's tool folder $tool_root (helperToolRoot)" 5
case "$(cd "$tool_root" && pwd -P)/" in
    "$(pwd -P)/"*) fail "the helper's tool folder $tool_root is inside the workspace; give helperToolRoot outside it" 2 ;;
esac

install_tool() {
    tmp=$(mktemp -d "$tool_root/.$VB_HELPER_KEY.XXXXXX") || fail "cannot write to the helper's tool folder $tool_root" 5
    lock="$tmp.lock"
    trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp" "$lock" "$tmp.status"' EXIT
    printf '%s\n' "$VB_HELPER_LOCK" > "$lock"
    "$VB_HELPER_PYTHON" -m venv "$tmp" ||
        fail "could not create the helper's tool venv with helperPython '$VB_HELPER_PYTHON'" 5
    index_url=${VB_INDEX_URL:-}
    if [ -n "$index_url" ] && [ -n "${VB_INDEX_USER:-}" ]; then
        # The credentials go into the URL pip reads from its environment: never on disk or a command line.
        index_url=$("$VB_HELPER_PYTHON" -I -c 'import os, urllib.parse as u
url = u.urlsplit(os.environ["VB_INDEX_URL"])
auth = ":".join(u.quote(os.environ[k], safe="") for k in ("VB_INDEX_USER", "VB_INDEX_PASSWORD"))
print(u.urlunsplit(url._replace(netloc=auth + "@" + url.netloc.rpartition("@")[2])))') ||
            fail "helperIndexUrl '$VB_INDEX_URL' is not a URL" 2
    fi
    say "installing the venvbuild helper $VB_VERSION from its lock into $tool"
    # pip's exit status comes back through a file: its output goes through mask (no pipefail in sh).
    {
        if [ -n "$index_url" ]; then export PIP_INDEX_URL="$index_url"; fi
        # --no-cache-dir: nothing fetched with the index credentials is kept in a cache on the agent.
        "$tmp/bin/python" -I -m pip install --disable-pip-version-check --no-input --no-cache-dir --require-hashes --no-deps \
            --only-binary :all: -r "$lock" 2>&1
        echo "$?" > "$tmp.status"
    } | mask >&2
    [ "$(cat "$tmp.status" 2>/dev/null)" = 0 ] ||
        fail "could not install the helper from its lock ($VB_HELPER_KEY) into $tool_root" 5
    "$tmp/bin/python" -I -m pip check >&2 ||
        fail "the helper's dependencies do not fit together (pip check) in $tmp" 5
    # Run as `python -I -B -m venvbuild`: the workspace is not on sys.path, PYTHON* variables are ignored
    # and no bytecode is written into the tool. The path is the final one, as the folder is renamed.
    printf '#!/bin/sh\nexec "%s/bin/python" -I -B -m venvbuild "$@"\n' "$tool" > "$tmp/bin/venvbuild-run"
    chmod 755 "$tmp/bin/venvbuild-run"
    tool_digest "$tmp" > "$tmp/venvbuild-tool.digest"
    chmod -R a-w "$tmp"
    # rename(2) is atomic; another build that got there first wins and this copy is dropped.
    mv -T "$tmp" "$tool" 2>/dev/null || say "another build installed $tool first; using it"
}

if [ ! -d "$tool" ]; then
    install_tool
else
    say "venvbuild helper already installed in $tool"
fi
[ -f "$tool/venvbuild-tool.digest" ] || fail "$tool is not a complete helper tool folder; remove it" 5
digest=$(tool_digest "$tool")
[ "$digest" = "$(cat "$tool/venvbuild-tool.digest")" ] ||
    fail "the helper's tool folder $tool was changed after it was installed; remove it (chmod -R u+w, rm -rf) and the next build installs it again" 5
check_version "$runner"
printf 'command=%s\ndigest=%s\n' "$runner" "$digest" > "$VB_HELPER_INFO"
