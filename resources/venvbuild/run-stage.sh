#!/bin/sh
# Runs one venvbuild stage command (VB_STAGE) for vars/buildVenv.groovy, its options taken from the
# environment only (an option not given is unset: Jenkins' withEnv drops empty values). The helper's
# stderr is kept in VB_STDERR_FILE so the step can report its error.
set -u

mkdir -p "$(dirname "$VB_STDERR_FILE")"

case "$VB_STAGE" in
    validate)
        set -- validate --work-dir "$VB_WORK_DIR" --requirements "$VB_REQUIREMENTS" --env-name "$VB_ENV_NAME"
        if [ -n "${VB_PYTHON_VERSION:-}" ]; then set -- "$@" --python "$VB_PYTHON_VERSION"; fi
        if [ "$VB_ALLOW_UNPINNED" = true ]; then set -- "$@" --allow-unpinned; fi
        if [ -n "${VB_INSTALLER:-}" ]; then set -- "$@" --installer "$VB_INSTALLER"; fi
        if [ -n "${VB_COMPRESSION:-}" ]; then set -- "$@" --compression "$VB_COMPRESSION"; fi
        ;;
    install | package | metadata)
        set -- "$VB_STAGE" --work-dir "$VB_WORK_DIR"
        ;;
    inspect)
        # Always: exit 4 tells the step there are conflicts (the state is saved first, so the build can go
        # on); the step fails on it with failOnConflicts and otherwise marks the stage UNSTABLE.
        set -- inspect --work-dir "$VB_WORK_DIR" --fail-on-conflicts
        ;;
    publish)
        # Two builds started in the same second: the later one moves to the next free second.
        set -- publish "$VB_WORK_DIR/artifacts" --store "$VB_STORE" --next-free-version
        if [ -n "${VB_REGION:-}" ]; then set -- "$@" --region "$VB_REGION"; fi
        if [ -n "${VB_ENDPOINT_URL:-}" ]; then set -- "$@" --endpoint-url "$VB_ENDPOINT_URL"; fi
        if [ -n "${VB_SSE:-}" ]; then set -- "$@" --sse "$VB_SSE"; fi
        if [ -n "${VB_KMS_KEY_ID:-}" ]; then set -- "$@" --kms-key-id "$VB_KMS_KEY_ID"; fi
        if [ "${VB_CHECKSUM_WHEN_REQUIRED:-false}" = true ]; then set -- "$@" --checksum-when-required; fi
        ;;
    *)
        echo "venvbuild: error: unknown stage '$VB_STAGE'" | tee "$VB_STDERR_FILE" >&2
        exit 2
        ;;
esac

echo "+ venvbuild $*"
"$VB_HELPER" "$@" 2>"$VB_STDERR_FILE"
status=$?
cat "$VB_STDERR_FILE" >&2
exit "$status"
