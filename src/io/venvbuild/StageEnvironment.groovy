package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/**
 * The environment the scripts in resources/venvbuild/*.sh read. Values reach the shell only this way,
 * never inside a command string.
 */
class StageEnvironment {

    /** withEnv entries for buildVenv's options; an option not given is an empty entry, which withEnv unsets. */
    @NonCPS
    static List<String> of(Map options, Map paths, String helperCommand) {
        Map values = [
            VB_WORK_DIR          : paths.workDir,
            VB_ENV_NAME          : options.envName,
            VB_PYTHON_VERSION    : options.pythonVersion,
            VB_REQUIREMENTS      : options.requirements,
            VB_ALLOW_UNPINNED    : !options.requirePinned,
            VB_INSTALLER         : options.installer,
            VB_COMPRESSION       : options.compression,
            VB_STORE             : options.bucket ? "s3://${options.bucket}/${options.prefix}" : null,
            VB_REGION            : options.region,
            VB_ENDPOINT_URL      : options.endpointUrl,
            VB_SSE               : options.sse,
            VB_KMS_KEY_ID        : options.kmsKeyId,
            VB_CHECKSUM_WHEN_REQUIRED: options.checksumWhenRequired == true,
            VB_HELPER            : helperCommand,
        ]
        return values.collect { name, value -> "${name}=${value == null ? '' : value}".toString() }
    }
}
