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
        if (options.helperCommand != null && options.helperRequirement != null) {
            return 'tagVenv: give helperCommand (use an installed helper) or helperRequirement (install one), not both'
        }
        for (String key : NAMING.keySet()) {
            if (options[key] != null) {
                String message = NamingRules.problem(namingRules, NAMING[key], key, options[key])
                if (message) {
                    return "tagVenv: ${message}"
                }
            }
        }
        String other = ['awsCredentialsId', 'helperRequirement', 'helperCommand', 'helperPython'].find {
            options[it] != null && (!(options[it] instanceof String) || !options[it].trim() || options[it] =~ /[\x00-\x1f]/)
        }
        return other ? "tagVenv: ${other} ${NamingRules.quote(options[other])} must be a non-empty single line" : null
    }

    /** The withEnv entries run-tag.sh reads, beside StageEnvironment's. */
    @NonCPS
    static List<String> environment(Map options) {
        return ["VB_VERSION=${options.version}", "VB_TAG=${options.tag}", "VB_REMOVE=${options.remove == true}"]
            .collect { it.toString() }
    }
}
