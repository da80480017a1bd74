#!/bin/sh
# Pulls a published build for vars/withVenv.groovy with the helper "$VB_HELPER": checked, relocated and
# cached by sha256 under VB_CACHE_DIR (default ~/.cache/venvbuild/envs, shared by the agent's jobs), the
# entry leased until VB_LEASE_FILE is removed (after-venv.sh); or, with VB_DEST, a private copy there.
# Every value comes from the environment; an option not given is unset. The receipt (JSON) goes to
# VB_RESULT_FILE, the helper's stderr to VB_STDERR_FILE so the step can report its error.
set -u

mkdir -p "$(dirname "$VB_STDERR_FILE")" "$(dirname "$VB_RESULT_FILE")"
cache="${VB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/venvbuild/envs}"

if [ -n "${VB_DEST:-}" ]; then
    set -- pull --store "$VB_STORE" --dest "$VB_DEST" --json       # the body's own, writable copy
else
    set -- pull --store "$VB_STORE" --cache-dir "$cache" --json    # shared, read-only, checked before use
    if [ -n "${VB_LEASE_FILE:-}" ]; then set -- "$@" --hold-while "$VB_LEASE_FILE"; fi
fi
if [ -n "${VB_PYTHON_VERSION:-}" ]; then set -- "$@" --python "$VB_PYTHON_VERSION"; fi
if [ -n "${VB_PULL_VERSION:-}" ]; then set -- "$@" "$VB_PULL_VERSION"; fi
if [ -n "${VB_ENV_NAME:-}" ]; then set -- "$@" --env-name "$VB_ENV_NAME"; fi
if [ "${VB_PULL_LATEST:-false}" = true ]; then set -- "$@" --latest; fi
if [ -n "${VB_PULL_TAG:-}" ]; then set -- "$@" --tag "$VB_PULL_TAG"; fi
if [ -n "${VB_REGION:-}" ]; then set -- "$@" --region "$VB_REGION"; fi
if [ -n "${VB_ENDPOINT_URL:-}" ]; then set -- "$@" --endpoint-url "$VB_ENDPOINT_URL"; fi

echo "+ venvbuild $*"
"$VB_HELPER" "$@" >"$VB_RESULT_FILE" 2>"$VB_STDERR_FILE"
status=$?
cat "$VB_STDERR_FILE" >&2
exit "$status"
