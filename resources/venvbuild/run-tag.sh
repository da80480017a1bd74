#!/bin/sh
# Runs `venvbuild tag` for vars/tagVenv.groovy, every value taken from the environment (an option not
# given is unset). The helper's stderr is kept in VB_STDERR_FILE so the step can report its error.
set -u

mkdir -p "$(dirname "$VB_STDERR_FILE")"

set -- tag "$VB_VERSION" "$VB_TAG" --store "$VB_STORE"
if [ "${VB_REMOVE:-false}" = true ]; then set -- "$@" --remove; fi
if [ -n "${VB_REGION:-}" ]; then set -- "$@" --region "$VB_REGION"; fi
if [ -n "${VB_ENDPOINT_URL:-}" ]; then set -- "$@" --endpoint-url "$VB_ENDPOINT_URL"; fi

echo "+ venvbuild $*"
"$VB_HELPER" "$@" 2>"$VB_STDERR_FILE"
status=$?
cat "$VB_STDERR_FILE" >&2
exit "$status"
