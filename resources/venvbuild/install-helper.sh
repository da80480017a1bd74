#!/bin/sh
# Makes the venvbuild helper available as "$VB_HELPER" for vars/buildVenv.groovy; every value comes
# from the environment. VB_INSTALL_HELPER=false: check the installed command VB_HELPER and use it.
# Otherwise pip-install VB_HELPER_REQUIREMENT into the tool venv VB_TOOL_DIR (created with
# VB_HELPER_PYTHON, separate from the venv being built), kept while the requirement is unchanged.
set -u

mkdir -p "$(dirname "$VB_STDERR_FILE")"
: > "$VB_STDERR_FILE"

# A requirement may be a URL with credentials (git+https://user:token@host/...): everything printed goes
# through mask, which replaces a URL's user-info with ****.
mask() {
    sed 's#://[^/]*@#://****@#g'
}

say() {
    printf '%s\n' "$1" | mask
}

fail() {
    say "venvbuild: error: $1" | tee -a "$VB_STDERR_FILE" >&2
    exit "$2"
}

if [ "$VB_INSTALL_HELPER" = false ]; then
    command -v "$VB_HELPER" >/dev/null 2>&1 ||
        fail "helperCommand '$VB_HELPER' is not a command on this agent" 2
else
    marker="$VB_TOOL_DIR/venvbuild-requirement.txt"
    if [ -x "$VB_HELPER" ] && [ "$(cat "$marker" 2>/dev/null)" = "$VB_HELPER_REQUIREMENT" ]; then
        say "venvbuild helper already installed in $VB_TOOL_DIR: $VB_HELPER_REQUIREMENT"
    else
        rm -rf "$VB_TOOL_DIR"
        "$VB_HELPER_PYTHON" -m venv "$VB_TOOL_DIR" ||
            fail "could not create the helper's tool venv $VB_TOOL_DIR with helperPython '$VB_HELPER_PYTHON'" 5
        # pip's and git's output can name the URL too; the exit status comes back through a file (no pipefail).
        pip_status="$VB_TOOL_DIR/pip-status"
        { "$VB_TOOL_DIR/bin/python" -m pip install --disable-pip-version-check "$VB_HELPER_REQUIREMENT" 2>&1
          echo "$?" > "$pip_status"; } | mask
        [ "$(cat "$pip_status" 2>/dev/null)" = 0 ] ||
            fail "could not install the helper '$VB_HELPER_REQUIREMENT' into $VB_TOOL_DIR" 5
        printf '%s\n' "$VB_HELPER_REQUIREMENT" > "$marker"
    fi
fi

"$VB_HELPER" --version || fail "the helper '$VB_HELPER' does not run" 5
