package io.venvbuild

import com.cloudbees.groovy.cps.NonCPS

/**
 * Checks buildVenv's named arguments against its defaults (vars/buildVenv.groovy) before any shell runs:
 * unknown keys, required keys, types, and the shared naming rules (choices included).
 */
class BuildVenvOptions {

    static final List<String> REQUIRED = ['envName']

    static final List<String> CLOSURES = ['onFailure']

    // Option -> its rule in resources/venvbuild/naming.json.
    static final Map<String, String> NAMING = [
        envName      : 'env_name',
        pythonVersion: 'python_version',
        requirements : 'requirements_path',
        bucket       : 'bucket',
        prefix       : 'prefix',
        installer    : 'installer',
        compression  : 'compression',
        region       : 'region',
        endpointUrl  : 'endpoint_url',
        sse          : 'sse',
    ]

    /** Null when args are acceptable, else a one-line error naming the parameter. */
    @NonCPS
    static String problem(String step, Map defaults, Map args, Map namingRules) {
        String unknown = StepArguments.unknownKeys(step, defaults, args)
        if (unknown) {
            return unknown
        }
        Map options = withDefaults(defaults, args)
        String missing = REQUIRED.find { options[it] == null }
        if (missing) {
            return "${step}: ${missing} is required"
        }
        if (options.helperCommand != null && options.helperRequirement != null) {
            return "${step}: give helperCommand (use an installed helper) or helperRequirement (install one), not both"
        }
        for (String key : options.keySet()) {
            String message = valueProblem(key, options[key], defaults[key], namingRules)
            if (message) {
                return "${step}: ${message}"
            }
        }
        if (options.reuse == true && !options.bucket) {
            return "${step}: reuse needs a bucket: builds are looked up where they are published"
        }
        if (options.kmsKeyId != null && options.sse != 'aws:kms') {
            return "${step}: kmsKeyId needs sse 'aws:kms'" + (options.sse == null ? '' : ", not ${NamingRules.quote(options.sse)}")
        }
        return null
    }

    /** The options to run with: defaults overridden by the args that are not null, GStrings as Strings. */
    @NonCPS
    static Map withDefaults(Map defaults, Map args) {
        return (defaults + args.findAll { key, value -> value != null }).collectEntries { key, value ->
            [(key): value instanceof GString ? value.toString() : value]
        }
    }

    @NonCPS
    private static String valueProblem(String key, Object value, Object defaultValue, Map namingRules) {
        if (value == null) {
            return null
        }
        if (defaultValue instanceof Boolean) {
            return value instanceof Boolean ? null : "${key} must be true or false, not ${NamingRules.quote(value)}"
        }
        if (key in CLOSURES) {
            return value instanceof Closure ? null : "${key} must be a closure, not ${value.getClass().simpleName}"
        }
        if (!(value instanceof CharSequence)) {
            return "${key} must be a string, not ${value.getClass().simpleName}"
        }
        String text = value.toString()
        if (NAMING.containsKey(key)) {
            return NamingRules.problem(namingRules, NAMING[key], key, text)
        }
        if (!text.trim() || text =~ /[\x00-\x1f]/) {
            return "${key} ${NamingRules.quote(text)} must be a non-empty single line"
        }
        return null
    }
}
