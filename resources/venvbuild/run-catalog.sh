#!/bin/sh
# Regenerates the catalog of a store for vars/venvCatalog.groovy; every value comes from the environment.
set -u
set -- catalog --store "$VB_STORE" --out "$VB_CATALOG_OUT"
if [ -n "${VB_REGION:-}" ]; then set -- "$@" --region "$VB_REGION"; fi
if [ -n "${VB_ENDPOINT_URL:-}" ]; then set -- "$@" --endpoint-url "$VB_ENDPOINT_URL"; fi
echo "+ venvbuild $*"
exec "$VB_HELPER" "$@"
