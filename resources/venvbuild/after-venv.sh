#!/bin/sh
# After a withVenv body (vars/withVenv.groovy), even a failed one: lets go of the shared cache entry
# (removing VB_LEASE_FILE ends the holder `venvbuild pull --hold-while` left), removes the body's private
# copy VB_PRIVATE_DEST, and with VB_PRUNE=true prunes the agent's cache with the helper "$VB_HELPER".
# Every value comes from the environment. A failed prune is a warning: the body's result stands.
set -u

if [ -n "${VB_LEASE_FILE:-}" ]; then rm -f "$VB_LEASE_FILE"; fi
if [ -n "${VB_PRIVATE_DEST:-}" ] && [ -e "$VB_PRIVATE_DEST" ]; then
    chmod -R u+w "$VB_PRIVATE_DEST" 2>/dev/null
    rm -rf "$VB_PRIVATE_DEST" || echo "venvbuild: warning: could not remove the private venv $VB_PRIVATE_DEST" >&2
fi
[ "${VB_PRUNE:-false}" = true ] || exit 0

mkdir -p "$(dirname "$VB_STDERR_FILE")"
set -- cache prune --cache-dir "${VB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/venvbuild/envs}"
if [ -n "${VB_PRUNE_MAX_BYTES:-}" ]; then set -- "$@" --max-bytes "$VB_PRUNE_MAX_BYTES"; fi
if [ -n "${VB_PRUNE_KEEP_DAYS:-}" ]; then set -- "$@" --keep-days "$VB_PRUNE_KEEP_DAYS"; fi
if [ "${VB_PRUNE_HELPERS:-false}" = true ]; then
    set -- "$@" --helpers-dir "${VB_TOOL_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/venvbuild/helpers}"
fi
echo "+ venvbuild $*"
if ! "$VB_HELPER" "$@" 2>"$VB_STDERR_FILE"; then
    echo "venvbuild: warning: pruning the cache failed; the build goes on: $(tail -n 1 "$VB_STDERR_FILE")" >&2
fi
exit 0
