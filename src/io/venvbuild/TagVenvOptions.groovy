package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/** Checks tagVenv's named arguments (defaults in vars/tagVenv.groovy) before any shell runs. */
class TagVenvOptions {

    static final List<String> REQUIRED = ['version', 'tag', 'bucket']

    // Option -> its rule in resources/venvbuild/naming.json.
    static final Map<String, String> NAMING = [
        version    : 'venv_version',
        tag        : 'tag',
        bucket     : 'bucket',
        prefix     : 'prefix',
        region     : 'region',
        endpointUrl: 'endpoint_url',
    ]

    /** Null when args are acceptable, else a one-line error naming the parameter. */
    @NonCPS
    static String problem(Map defaults, Map args, Map namingRules) {
        String unknown = StepArguments.unknownKeys('tagVenv', defaults, args)
        if (unknown) {
            return unknown
        }
        Map options = BuildVenvOptions.withDefaults(defaults, args)
        String missing = REQUIRED.find { options[it] == null }
        if (missing) {
            return "tagVenv: ${missing} is required"
        }
        if (!(options.remove instanceof Boolean)) {
            return "tagVenv: remove must be true or false, not ${NamingRules.quote(options.remove)}"
        }
        for (String key : NAMING.keySet()) {
            if (options[key] != null) {
                String message = NamingRules.problem(namingRules, NAMING[key], key, options[key])
                if (message) {
                    return "tagVenv: ${message}"
                }
            }
        }
        if (options.awsCredentialsId != null && (!(options.awsCredentialsId instanceof String) || !options.awsCredentialsId.trim())) {
            return "tagVenv: awsCredentialsId ${NamingRules.quote(options.awsCredentialsId)} must be a non-empty string"
        }
        return HelperTool.problem('tagVenv', options, namingRules)
    }

    /** Where this call keeps its logs, relative to the workspace. */
    @NonCPS
    static String logDir(Map options) {
        return ".venvbuild-logs/tagVenv/${options.tag}"
    }

    /** withEnv entries for run-tag.sh; an option not given is an empty entry, which withEnv unsets. */
    @NonCPS
    static List<String> environment(Map options, String helper) {
        Map values = [
            VB_HELPER      : helper,
            VB_VERSION     : options.version,
            VB_TAG         : options.tag,
            VB_REMOVE      : options.remove == true,
            VB_STORE       : "s3://${options.bucket}/${options.prefix}",
            VB_REGION      : options.region,
            VB_ENDPOINT_URL: options.endpointUrl,
        ]
        return values.collect { name, value -> "${name}=${value == null ? '' : value}".toString() }
    }
}
