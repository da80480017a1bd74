package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/**
 * The environment the scripts in resources/venvbuild/*.sh read. Values reach the shell only this way,
 * never inside a command string.
 */
class StageEnvironment {

    /** withEnv entries for buildVenv's options; an option not given is an empty entry, which withEnv unsets. */
    @NonCPS
    static List<String> of(Map options, String libraryVersion) {
        Map values = [
            VB_WORK_DIR          : BuildPaths.WORK_DIR,
            VB_ENV_NAME          : options.envName,
            VB_PYTHON_VERSION    : options.pythonVersion,
            VB_REQUIREMENTS      : options.requirements,
            VB_ALLOW_UNPINNED    : !options.requirePinned,
            VB_FAIL_ON_CONFLICTS : options.failOnConflicts,
            VB_INSTALLER         : options.installer,
            VB_COMPRESSION       : options.compression,
            VB_STORE             : options.bucket ? "s3://${options.bucket}/${options.prefix}" : null,
            VB_REGION            : options.region,
            VB_ENDPOINT_URL      : options.endpointUrl,
            VB_SSE               : options.sse,
            VB_KMS_KEY_ID        : options.kmsKeyId,
            VB_CHECKSUM_WHEN_REQUIRED: options.checksumWhenRequired == true,
            VB_REUSE             : options.reuse == true,
            VB_INSTALL_HELPER    : options.helperCommand == null,
            VB_HELPER            : options.helperCommand ?: BuildPaths.TOOL_COMMAND,
            VB_HELPER_REQUIREMENT: options.helperRequirement ?: defaultHelperRequirement(options, libraryVersion),
            VB_HELPER_PYTHON     : options.helperPython,
            VB_TOOL_DIR          : BuildPaths.TOOL_DIR,
        ]
        return values.collect { name, value -> "${name}=${value == null ? '' : value}".toString() }
    }

    /** The helper at the library's own version, with the extras (pyproject.toml) the options need. */
    @NonCPS
    static String defaultHelperRequirement(Map options, String libraryVersion) {
        List<String> extras = []
        if (options.installer == 'uv') {
            extras << 'uv'
        }
        if (options.compression == 'zst') {
            extras << 'zst'
        }
        return "venvbuild${extras ? "[${extras.join(',')}]" : ''}==${libraryVersion}"
    }

    /** The extra entries for one script run: which command, and where its stderr goes. */
    @NonCPS
    static List<String> forCommand(String command) {
        return ["VB_STAGE=${command}".toString(), "VB_STDERR_FILE=${BuildPaths.stderrFile(command)}".toString()]
    }
}
